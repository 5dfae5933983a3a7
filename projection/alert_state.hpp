#pragma once
// The alert rules' state as text, stored with the projection's progress in the same
// transaction (projection_progress.resume_state). A projector that starts again resumes
// the rules from it instead of re-reading its session from the start, so a restart costs
// the same at any point of a long session. It is a cache: the journal stays the truth,
// and a state that is missing, unreadable or taken at another seq is rebuilt from it.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "projection/alert_rows.hpp"

namespace trader::projection {

struct SavedAlerts {
  std::uint64_t at_seq = 0;                   // the state after this record
  std::optional<SessionAlerts::State> state;  // none: no session was open there
};

// One line of JSON; PortfolioStates inside it as hex of their packed Cap'n Proto body.
std::string encode_alert_state(const SavedAlerts& saved);
// And back; an error says what is wrong with the text.
Result<SavedAlerts> decode_alert_state(std::string_view text);

}  // namespace trader::projection
