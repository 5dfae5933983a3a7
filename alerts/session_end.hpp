#pragma once
// Whether a session's end reason ("completed", "stopped by signal", "error: ...") is a
// failure, which the rules announce as critical (AlertRules::on_end). The node and the
// SQL history ask this one place.
#include <string_view>

namespace trader::alerts {

inline bool session_failed(std::string_view end_reason) {
  return end_reason != "completed" && end_reason != "stopped by signal";
}

}  // namespace trader::alerts
