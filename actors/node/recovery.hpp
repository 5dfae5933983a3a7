#pragma once
// Restart after a crash (or a stop): rebuild every actor's state from the journal alone.
//  1. Start from the latest snapshot of the last node session (or the state it started
//     from), then re-drive the journal's tail through the node's schedule, comparing
//     every regenerated message with the recorded one: recovery is a replay --verify, so
//     a journal that does not replay is refused, not guessed at.
//  2. If the crash cut a causal chain short (an input journaled, some of its consequences
//     not), the deterministic cores regenerate the missing consequences; they are handed
//     back to be journaled before anything new happens. In paper mode nothing left the
//     process, so nothing can be sent twice; a live venue adapter must look such orders up
//     by client order id instead (live connectivity).
//  3. The feed resumes after the last journaled input (Envelope.ingressSeq).
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "actors/core_factory/core_factory.hpp"
#include "actors/venue_gateway/order_tracker.hpp"
#include "base/result.hpp"
#include "config/node_config.hpp"
#include "replay/simulator.hpp"

namespace trader::journal {
class Reader;
}

namespace trader::node {

struct Recovery {
  Cores cores;  // the actors' state at the end of the journal (after the completion)
  std::vector<std::pair<EnvelopeHeader, Message>> completion;  // to journal first, in order
  std::uint64_t last_seq = 0;        // the journal's last seq before the completion
  std::uint64_t started_from = 0;    // snapshot seq recovery started from (0: a session start)
  std::vector<std::uint64_t> unattested_snapshots;  // later snapshots passed over: not under the hash chain
  bool started_unattested = false;  // started_from is the resumed session's own snapshot, not yet attested
  std::uint64_t replayed = 0;        // records re-driven and matched
  // Where a capture goes on: item `resume_item`, after its first `resume_skip` records
  // (they are the feed core's open group).
  std::uint64_t resume_item = 0, resume_skip = 0;
  std::uint64_t session = 0;         // the session resumed
  std::string session_end;           // how it ended ("" if it crashed)
  std::int64_t session_end_ts_ns = 0;
  std::string model_id;
};

// The meta key recording the snapshot a resumed session's state starts from.
std::string session_resumed_from_key(std::uint64_t session_id);

Result<Recovery> recover(const std::string& dir, const NodeConfig& config, const CoreFactory& factory = make_cores);

// The fills the journal booked for each of `client_order_ids`, by trade id: what a restart
// on a venue must never report again of the orders left open (and every other trade of
// them it must). Every order event in the journal is read (batches without one are
// skipped): an order can be older than any snapshot.
Result<std::map<std::string, BookedFills>> booked_fills(journal::Reader& reader,
                                                       const std::set<std::string>& client_order_ids);

}  // namespace trader::node
