#include "base/time_format.hpp"

#include <limits>

#include <charconv>
#include <chrono>
#include <cstdio>

namespace trader {

std::string format_utc_ns(std::int64_t ns) {
  using namespace std::chrono;
  const auto tp = sys_time<nanoseconds>(nanoseconds(ns));
  const auto day = floor<days>(tp);
  const year_month_day ymd(day);
  const hh_mm_ss hms(tp - day);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%09lldZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()), static_cast<long long>(hms.subseconds().count()));
  return buf;
}

namespace {
bool take_int(std::string_view& s, std::size_t digits, int& out) {
  if (s.size() < digits) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + digits, out);
  if (ec != std::errc() || p != s.data() + digits) return false;
  s.remove_prefix(digits);
  return true;
}
bool take_char(std::string_view& s, char c) {
  if (s.empty() || s.front() != c) return false;
  s.remove_prefix(1);
  return true;
}
}  // namespace

std::string format_utc_ms(std::int64_t ms) { return format_utc_ns(ms * 1'000'000).substr(0, 23) + "Z"; }

std::string format_utc_minute(std::int64_t ns) { return format_utc_ns(ns).substr(0, 16) + "Z"; }

std::string format_utc_day(std::int64_t day) { return format_utc_ns(day * 86'400'000'000'000).substr(0, 10); }

std::optional<std::int64_t> parse_time_ns(std::string_view text) {
  using namespace std::chrono;
  if (text.empty()) return std::nullopt;
  if (text.find('-', 1) == std::string_view::npos) {  // plain nanoseconds
    std::int64_t ns = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), ns);
    if (ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
    return ns;
  }
  std::string_view s = text;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!take_int(s, 4, y) || !take_char(s, '-') || !take_int(s, 2, mo) || !take_char(s, '-') || !take_int(s, 2, d))
    return std::nullopt;
  std::int64_t frac_ns = 0;
  if (take_char(s, 'T') || take_char(s, ' ')) {
    if (!take_int(s, 2, h) || !take_char(s, ':') || !take_int(s, 2, mi)) return std::nullopt;
    if (take_char(s, ':')) {
      if (!take_int(s, 2, sec)) return std::nullopt;
      if (take_char(s, '.')) {
        std::int64_t scale = 100'000'000;
        if (s.empty() || s.front() < '0' || s.front() > '9') return std::nullopt;
        while (!s.empty() && s.front() >= '0' && s.front() <= '9') {
          frac_ns += (s.front() - '0') * scale;
          scale /= 10;
          s.remove_prefix(1);
        }
      }
    }
  }
  take_char(s, 'Z');
  if (!s.empty()) return std::nullopt;
  const year_month_day ymd{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  const auto tp = sys_days(ymd) + hours(h) + minutes(mi) + seconds(sec);
  // Nanoseconds in 64 bits reach 1677-09-21 to 2262-04-11: past them, no such time.
  const std::int64_t secs = duration_cast<seconds>(tp.time_since_epoch()).count();
  if (secs >= std::numeric_limits<std::int64_t>::max() / 1'000'000'000 ||
      secs <= std::numeric_limits<std::int64_t>::min() / 1'000'000'000)
    return std::nullopt;
  return secs * 1'000'000'000 + frac_ns;
}

}  // namespace trader
