#pragma once
// UTC timestamps for people: nanoseconds since the Unix epoch <-> ISO 8601.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace trader {

// 1723161253937085768 -> "2024-08-08T23:54:13.937085768Z"
std::string format_utc_ns(std::int64_t ns);

// Milliseconds, to the millisecond: 1677628860000 -> "2023-03-01T00:01:00.000Z"
std::string format_utc_ms(std::int64_t ms);

// To the minute: 1677628860000000000 -> "2023-03-01T00:01Z"
std::string format_utc_minute(std::int64_t ns);

// A day counted from 1970-01-01 (UTC): 19417 -> "2023-03-01"
std::string format_utc_day(std::int64_t day);

inline constexpr std::int64_t kMsPerDay = 86'400'000;

// The UTC day a time in milliseconds falls on, counted as above: days roll over at
// midnight UTC, for risk's daily limits, the portfolio's day book and the SQL tables.
// Floor division, so a time before 1970 still falls on its own day.
constexpr std::int64_t utc_day_number(std::int64_t ms) {
  return ms >= 0 ? ms / kMsPerDay : -((-ms + kMsPerDay - 1) / kMsPerDay);
}

// The first millisecond of a day numbered as above; nullopt beyond 64-bit milliseconds.
constexpr std::optional<std::int64_t> utc_day_start_ms(std::int64_t day) {
  if (day > std::numeric_limits<std::int64_t>::max() / kMsPerDay ||
      day < std::numeric_limits<std::int64_t>::min() / kMsPerDay)
    return std::nullopt;
  return day * kMsPerDay;
}

// Accepts integer nanoseconds, or "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.fraction]][Z]" (UTC);
// nullopt for a time 64-bit nanoseconds cannot hold (before 1677-09-22, after 2262-04-10).
std::optional<std::int64_t> parse_time_ns(std::string_view text);

}  // namespace trader
