#pragma once
// Coinbase subscribes by messages after connecting: one per channel, for the products of
// the instruments ("BTC-USD@coinbase" -> "BTC-USD"). heartbeats take no products and keep
// a connection open when its channels are quiet (Coinbase closes it after 60-90 s without
// updates); the first subscribe must arrive within 5 s of connecting.
#include <string>
#include <vector>

namespace trader::coinbase {

std::vector<std::string> subscribe_frames(const std::vector<std::string>& instruments,
                                          const std::vector<std::string>& channels);

}  // namespace trader::coinbase
