#pragma once
// Closed klines kept on disk between sessions, so a restarted node fetches only what it
// does not have (actors/node/warmup.hpp). One CSV file per venue, symbol and interval,
// DIR/VENUE/SYMBOL-INTERVAL.csv, a kline a line, oldest first, with a header:
//   open_ms,close_ms,open,high,low,close,volume,quote_volume,trades,taker_buy_volume,taker_buy_quote_volume
// A closed kline never changes, so the cache is never stale; it can only be damaged. A file
// that does not read back whole (edited, cut short, out of order) is an error naming its
// line, and its caller fetches instead and rewrites it.
#include <cstdint>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "messages/message_types.hpp"

namespace trader {

// The cache's file for a venue ("127.0.0.1_8443": anything but letters, digits, '.', '-'
// becomes '_'), symbol and interval.
std::string kline_cache_path(const std::string& dir, const std::string& venue, const std::string& symbol,
                             std::uint32_t interval_s);

// The file's klines, as history klines (Kline.history, closed). No file: none.
Result<std::vector<Kline>> read_kline_cache(const std::string& path, const std::string& symbol, std::uint32_t interval_s);

// Replaces the file with these klines (oldest first), whole or not at all.
Status write_kline_cache(const std::string& path, const std::vector<Kline>& klines);

}  // namespace trader
