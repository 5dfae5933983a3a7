#include "exchange/binance/stream_url.hpp"

#include <cctype>

namespace trader::binance {

std::string combined_stream_url(const std::string& base, const std::vector<std::string>& symbols,
                                const std::vector<std::string>& channels) {
  std::string streams;
  for (const auto& s : symbols) {
    std::string lower = s.substr(0, s.find('@'));  // "BTCUSDT@binance_usdm" subscribes as btcusdt
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const auto& ch : channels) streams += (streams.empty() ? "" : "/") + lower + "@" + ch;
  }
  return base + "?streams=" + streams;
}

}  // namespace trader::binance
