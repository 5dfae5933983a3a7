#pragma once
// The SQL read model kept by the node itself ([projection] db): the same Projector as
// `trader-tools project --follow`, on a thread of its own, reading what the journal has
// committed. It never holds up or stops trading: a database that is down or refuses a
// write is logged, and the projection resumes from its stored progress once it is back.
#include <chrono>
#include <memory>
#include <string>

#include "journal/journal.hpp"
#include "projection/projector.hpp"

namespace trader::node {

class NodeProjection {
 public:
  // Starts following; `reader` shares the node's journal.
  NodeProjection(std::shared_ptr<journal::Reader> reader, std::string db_url, std::string journal_dir,
                 projection::ProjectOptions options);
  ~NodeProjection();

  // A last catch-up (the session's end included), waited for up to `grace`; then the
  // thread stops. What is not projected by then is projected by the next run, or by
  // `trader-tools project`.
  void stop(std::chrono::milliseconds grace);

  NodeProjection(const NodeProjection&) = delete;
  NodeProjection& operator=(const NodeProjection&) = delete;

  struct Shared;  // what the thread shares with its owner (node_projection.cpp)

 private:
  std::shared_ptr<Shared> shared_;
};

}  // namespace trader::node
