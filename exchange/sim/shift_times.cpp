#include "exchange/sim/shift_times.hpp"

#include <cstdlib>

#include <fmt/format.h>

#include "base/time_format.hpp"

namespace trader::sim {

std::string shift_times(std::string_view text, std::int64_t received_ms, std::int64_t offset_ms) {
  std::string out;
  out.reserve(text.size() + 8);
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ':' && i + 14 <= text.size()) {
      std::size_t j = i + 1;
      while (j < text.size() && j - i - 1 < 14 && text[j] >= '0' && text[j] <= '9') ++j;
      const bool delimited = j < text.size() && (text[j] == ',' || text[j] == '}');
      if (j - i - 1 == 13 && delimited) {
        const std::int64_t v = std::stoll(std::string(text.substr(i + 1, 13)));
        if (std::llabs(v - received_ms) <= 86'400'000) {
          out += fmt::format(":{}", v + offset_ms);
          i = j;
          continue;
        }
      }
    }
    out.push_back(text[i++]);
  }
  return out;
}

std::string shift_coinbase_times(std::string_view text, std::int64_t offset_ms) {
  static constexpr std::string_view kStart = "\"start\":\"";
  std::string out;
  out.reserve(text.size() + 8);
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '"') {
      out.push_back(text[i++]);
      continue;
    }
    const auto end = text.find('"', i + 1);
    if (end == std::string_view::npos) break;
    const std::string_view inner = text.substr(i + 1, end - i - 1);
    if (inner.size() >= 20 && inner[4] == '-' && inner[10] == 'T' && inner.back() == 'Z') {
      if (const auto ns = parse_time_ns(inner)) {
        const std::int64_t shifted = *ns + offset_ms * 1'000'000;
        const std::string full = format_utc_ns(shifted);  // nine fraction digits
        out += fmt::format("\"{}Z\"", full.substr(0, full.size() - 4));  // to the microsecond
        i = end + 1;
        continue;
      }
    }
    if (text.substr(i, kStart.size()) == kStart) {
      const auto close = text.find('"', i + kStart.size());
      const std::string_view digits = text.substr(i + kStart.size(), close - i - kStart.size());
      char* stop = nullptr;
      const std::string d(digits);
      const long long seconds = std::strtoll(d.c_str(), &stop, 10);
      if (close != std::string_view::npos && !d.empty() && *stop == '\0') {
        out += fmt::format("\"start\":\"{}\"", seconds + offset_ms / 1000);
        i = close + 1;
        continue;
      }
    }
    out.append(text.substr(i, end - i + 1));
    i = end + 1;
  }
  out.append(text.substr(i));
  return out;
}

namespace {
// Each 19-digit nanosecond time after `key` (ending at `close`: a quote, or a ',' or '}' for
// a bare number) within a day of the receive time, moved by `offset_ms`.
std::string shift_ns_after(const std::string& ms_shifted, std::string_view key, bool quoted, std::int64_t received_ms,
                           std::int64_t offset_ms) {
  std::string out;
  out.reserve(ms_shifted.size() + 8);
  std::size_t i = 0;
  for (;;) {
    const auto at = ms_shifted.find(key, i);
    const auto digits = at + key.size();
    if (at == std::string::npos || digits + 20 > ms_shifted.size()) break;
    out.append(ms_shifted, i, digits - i);
    i = digits;
    const std::string_view number(ms_shifted.data() + digits, 19);
    const char close = ms_shifted[digits + 19];
    const bool closed = quoted ? close == '"' : close == ',' || close == '}';
    if (closed && number.find_first_not_of("0123456789") == std::string_view::npos) {
      const std::int64_t ns = std::stoll(std::string(number));
      if (std::llabs(ns / 1'000'000 - received_ms) <= 86'400'000) {
        out += std::to_string(ns + offset_ms * 1'000'000);
        i = digits + 19;
      }
    }
  }
  out.append(ms_shifted, i, std::string::npos);
  return out;
}
}  // namespace

std::string shift_kucoin_times(std::string_view text, std::int64_t received_ms, std::int64_t offset_ms) {
  // Spot's trades: "time":"<ns>"; futures' trades and tickers: "ts":<ns>.
  const std::string ms_shifted = shift_times(text, received_ms, offset_ms);
  return shift_ns_after(shift_ns_after(ms_shifted, "\"time\":\"", true, received_ms, offset_ms), "\"ts\":", false,
                        received_ms, offset_ms);
}

}  // namespace trader::sim
