#pragma once
// How a run of the node's cores records itself in a journal, the same for the live node
// and for what-if: the journal-wide `config` and `code_version` keys, then a session
// (node id, the config's SHA-256, the code version, the start time) with the config it ran
// and its model id under the session's own keys, which replay rebuilds the cores from.
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "config/node_config.hpp"
#include "journal/journal.hpp"

namespace trader::replay {

// The meta keys under which a session's effective config and model id are journaled.
std::string session_config_key(std::uint64_t session_id);
std::string session_model_key(std::uint64_t session_id);

// How a node session ends (journal::SessionInfo::end_reason): "completed", "stopped by
// signal" and "feed failed: ..." once every cascade is over; kSessionError + why when the
// run stopped at once (an actor failed, a commit did). Only such a session, or one that
// crashed (no end), may end inside a cascade: recovery completes it, replay says so.
inline constexpr std::string_view kSessionError = "error: ";
inline bool session_may_end_inside_cascade(const journal::SessionInfo& s) {
  return s.end_reason.empty() || s.end_reason.starts_with(kSessionError);
}

// "session N was recorded by <its code version>, and this is <this build's>" when another
// build recorded `s`, else empty. A build whose decisions changed since diverges from a
// faithful record of that session, so a divergence or a refused resume must say this.
std::string recorded_by_another_build(const journal::SessionInfo& s);

// Begins the session and writes its keys; returns its id.
Result<std::uint64_t> begin_recorded_session(journal::Writer& writer, const NodeConfig& config,
                                             std::string_view node_id, std::string_view model_id,
                                             std::int64_t start_ts_ns);

}  // namespace trader::replay
