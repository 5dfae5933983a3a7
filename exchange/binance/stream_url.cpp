#include "exchange/binance/stream_url.hpp"

#include <cctype>

namespace trader::binance {

std::string stream_name(const std::string& symbol, const std::string& channel) {
  std::string lower = symbol.substr(0, symbol.find('@'));  // "BTCUSDT@binance_usdm" subscribes as btcusdt
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower + "@" + channel;
}

std::string combined_stream_url(const std::string& base, const std::vector<std::string>& symbols,
                                const std::vector<std::string>& channels) {
  std::string streams;
  for (const auto& s : symbols)
    for (const auto& ch : channels) streams += (streams.empty() ? "" : "/") + stream_name(s, ch);
  return base + "?streams=" + streams;
}

}  // namespace trader::binance
