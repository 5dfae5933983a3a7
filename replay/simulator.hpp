#pragma once
// The node's schedule, run synchronously on one thread: the same rule the live journal
// actor follows (actors/node/node_runtime.hpp), so it reproduces a live session.
//   An external input is sequenced, then everything it causes: a FIFO queue; each message
//   is given its seq by the sink, delivered to its recipients (actors/routing.hpp) in
//   order, and their outputs join the queue recipient by recipient.
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <span>
#include <vector>

#include "actors/actor_core.hpp"
#include "base/result.hpp"

namespace trader::replay {

using Cores = std::map<Actor, std::unique_ptr<ActorCore>>;

// Where sequenced messages go: a new journal (what-if) or a comparison with a recorded
// one (verify). Returns the seq the message gets; an error stops the run.
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  // `cause_seq`: the seq of the delivery that produced the message (0 for an input).
  virtual Result<std::uint64_t> append(const EnvelopeHeader& header, const Message& message,
                                       std::uint64_t cause_seq) = 0;
};

class Simulator {
 public:
  explicit Simulator(Cores cores);

  // Sequences one external input and everything it causes.
  Status run(const EnvelopeHeader& header, Message input, RecordSink& sink);

  std::uint64_t deliveries() const { return deliveries_; }
  Cores& cores() { return cores_; }

 private:
  struct Pending {
    EnvelopeHeader header;
    Message message;
    std::uint64_t cause_seq;
  };
  Cores cores_;
  std::deque<Pending> queue_;
  Outbox outbox_;
  std::uint64_t deliveries_ = 0;
};

// All cores' state in one blob (the journal's snapshot value), and back.
std::vector<std::uint8_t> save_cores(const Cores& cores);
// The same blob from states saved one by one (the live node asks each actor for its own).
std::vector<std::uint8_t> encode_snapshot(const std::vector<std::pair<Actor, std::vector<std::uint8_t>>>& states);
// Each actor's state in a snapshot blob, in the blob's order.
Result<std::vector<std::pair<Actor, std::vector<std::uint8_t>>>> decode_snapshot(std::span<const std::uint8_t> snapshot);
Status load_cores(Cores& cores, std::span<const std::uint8_t> snapshot);

}  // namespace trader::replay
