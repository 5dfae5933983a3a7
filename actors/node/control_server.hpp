#pragma once
// The node's control API over HTTP (Boost.Beast), on threads of its own:
//   GET  /health   liveness, feed and journal status
//   GET  /status   trading state, positions, open orders, equity, PnL today, drawdown,
//                  model id, last seq, journal lag, feed status (JSON)
//   GET  /metrics  Prometheus text format
//   GET  /         the dashboard (one page compiled into the binary), which reads
//   GET  /events   server-sent events: the dashboard view (/dashboard.json) as it changes
//   GET  /explain?seq=N   the causal chain of a journaled record (trader-tools explain)
//   POST /halt, /resume, /flatten   need "Authorization: Bearer <token>" (401 without,
//                  403 wrong); each becomes a journaled OperatorCommand, so replay
//                  reproduces it. ?reason=... is journaled with it (never the token).
// Views come from the journal actor, so they are exactly what the journal says. Each
// connection is served on a worker thread (a bounded number), with 5 s to send its request:
// no client holds the API for another.
#include <memory>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "base/result.hpp"

namespace trader::journal {
class Reader;
}

namespace trader::node {

class ControlServer {
 public:
  // `listen` is "host:port" (port 0: any free port); an empty token refuses every
  // mutating request with 403.
  // It answers 503 until attach() names the journal actor.
  static Result<std::unique_ptr<ControlServer>> start(const std::string& listen, std::string token,
                                                      caf::actor_system& system);
  // `journal` reads the node's own journal for /explain (journal::Writer::reader()).
  void attach(const caf::actor& sequencer, std::shared_ptr<journal::Reader> journal);
  ~ControlServer();
  unsigned short port() const;
  void stop();

 private:
  struct Impl;
  explicit ControlServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Constant-time comparison of a presented token with the expected one.
bool token_matches(const std::string& presented, const std::string& expected);

}  // namespace trader::node
