#pragma once
// Binance subscribes by the URL: the combined stream of `symbols` x `channels`.
#include <string>
#include <vector>

namespace trader::binance {

// One stream of the combined stream, as subscribed and as its frames name it:
// ("BTCUSDT@binance_usdm", "markPrice@1s") -> "btcusdt@markPrice@1s" (the venue's symbol).
std::string stream_name(const std::string& symbol, const std::string& channel);

// wss://.../stream?streams=btcusdt@trade/btcusdt@bookTicker
std::string combined_stream_url(const std::string& base, const std::vector<std::string>& symbols,
                                const std::vector<std::string>& channels);

}  // namespace trader::binance
