#pragma once
// exchange-sim speaks of now: the times in a recorded frame (event, trade and kline times:
// 13-digit millisecond numbers after a ':' and before a ',' or '}', within a day of the
// line's receive time) move by `offset_ms`, so a recorded day replays as today. Other
// numbers (trade ids, prices, quoted strings) stay as they are.
#include <cstdint>
#include <string>
#include <string_view>

namespace trader::sim {

std::string shift_times(std::string_view text, std::int64_t received_ms, std::int64_t offset_ms);

// The same for a Coinbase frame: its RFC 3339 times ("2024-08-08T23:54:15.342123Z", the
// frame's, each trade's and update's, written back to the microsecond) and its candles'
// "start" (Unix seconds, as a string) move by `offset_ms`.
std::string shift_coinbase_times(std::string_view text, std::int64_t offset_ms);

// The same for a KuCoin frame: its millisecond times (as shift_times moves them) and its
// trades' nanosecond times ("time":"1723161255342000000", a quoted 19-digit number).
std::string shift_kucoin_times(std::string_view text, std::int64_t received_ms, std::int64_t offset_ms);

}  // namespace trader::sim
