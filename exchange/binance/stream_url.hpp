#pragma once
// Binance subscribes by the URL: the combined stream of `symbols` x `channels`.
#include <string>
#include <vector>

namespace trader::binance {

// wss://.../stream?streams=btcusdt@trade/btcusdt@bookTicker
std::string combined_stream_url(const std::string& base, const std::vector<std::string>& symbols,
                                const std::vector<std::string>& channels);

}  // namespace trader::binance
