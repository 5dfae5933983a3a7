#include "exchange/kline_cache.hpp"

#include <charconv>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "base/file_write.hpp"
#include "messages/fixed_point.hpp"

namespace trader {

namespace {

constexpr const char* kHeader =
    "open_ms,close_ms,open,high,low,close,volume,quote_volume,trades,taker_buy_volume,taker_buy_quote_volume";

std::vector<std::string_view> split(std::string_view line) {
  std::vector<std::string_view> out;
  for (std::size_t from = 0;;) {
    const auto comma = line.find(',', from);
    out.push_back(line.substr(from, comma == std::string_view::npos ? std::string_view::npos : comma - from));
    if (comma == std::string_view::npos) return out;
    from = comma + 1;
  }
}

bool integer(std::string_view s, std::int64_t& out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

bool decimal(std::string_view s, std::int64_t& out) {
  const auto v = parse_fixed(s);
  if (v) out = *v;
  return v.has_value();
}

}  // namespace

std::string kline_cache_path(const std::string& dir, const std::string& venue, const std::string& symbol,
                             std::uint32_t interval_s) {
  std::string folder = venue;
  for (char& c : folder)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') c = '_';
  return (std::filesystem::path(dir) / folder / fmt::format("{}-{}s.csv", symbol, interval_s)).string();
}

Result<std::vector<Kline>> read_kline_cache(const std::string& path, const std::string& symbol, std::uint32_t interval_s) {
  std::vector<Kline> out;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return out;
  std::ifstream in(path);
  if (!in) return fail(fmt::format("{}: cannot be read", path));
  std::string line;
  std::size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (n == 1) {
      if (line != kHeader) return fail(fmt::format("{}:1: not a kline cache (its header is not {})", path, kHeader));
      continue;
    }
    const auto f = split(line);
    Kline k;
    k.symbol = symbol;
    k.interval_s = interval_s;
    std::int64_t trades = 0;
    if (f.size() != 11 || !integer(f[0], k.open_time_ms) || !integer(f[1], k.close_time_ms) || !decimal(f[2], k.open) ||
        !decimal(f[3], k.high) || !decimal(f[4], k.low) || !decimal(f[5], k.close) || !decimal(f[6], k.volume) ||
        !decimal(f[7], k.quote_volume) || !integer(f[8], trades) || trades < 0 || !decimal(f[9], k.taker_buy_volume) ||
        !decimal(f[10], k.taker_buy_quote_volume))
      return fail(fmt::format("{}:{}: expected 11 fields ({}), got \"{}\"", path, n, kHeader, line));
    if (k.close_time_ms != k.open_time_ms + std::int64_t{interval_s} * 1000 - 1 ||
        (!out.empty() && k.open_time_ms <= out.back().open_time_ms))
      return fail(fmt::format("{}:{}: a {} s kline opening at {} closes at {}, or is not after the line before", path, n,
                              interval_s, k.open_time_ms, k.close_time_ms));
    k.trades = static_cast<std::uint64_t>(trades);
    k.closed = true;
    k.exchange_ts_ms = k.close_time_ms;
    k.history = true;
    out.push_back(std::move(k));
  }
  if (in.bad()) return fail(fmt::format("{}: read error after line {}", path, n));
  return out;
}

Status write_kline_cache(const std::string& path, const std::vector<Kline>& klines) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) return fail(fmt::format("cannot create the folder of {}: {}", path, ec.message()));
  std::string text = std::string(kHeader) + "\n";
  for (const auto& k : klines)
    text += fmt::format("{},{},{},{},{},{},{},{},{},{},{}\n", k.open_time_ms, k.close_time_ms, format_fixed(k.open),
                        format_fixed(k.high), format_fixed(k.low), format_fixed(k.close), format_fixed(k.volume),
                        format_fixed(k.quote_volume), k.trades, format_fixed(k.taker_buy_volume),
                        format_fixed(k.taker_buy_quote_volume));
  return write_file_atomically(path, text);
}

}  // namespace trader
