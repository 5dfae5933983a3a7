#include "exchange/coinbase/subscribe.hpp"

#include <fmt/format.h>

#include "messages/instrument.hpp"

namespace trader::coinbase {

std::vector<std::string> subscribe_frames(const std::vector<std::string>& instruments,
                                          const std::vector<std::string>& channels) {
  std::string products;
  for (const auto& name : instruments) {
    auto instrument = parse_instrument(name);
    const std::string product = instrument ? instrument->symbol : name;  // configs are validated before
    products += fmt::format(R"({}"{}")", products.empty() ? "" : ",", product);
  }
  std::vector<std::string> out;
  for (const auto& channel : channels)
    out.push_back(channel == "heartbeats"
                      ? std::string(R"({"type":"subscribe","channel":"heartbeats"})")
                      : fmt::format(R"({{"type":"subscribe","product_ids":[{}],"channel":"{}"}})", products, channel));
  return out;
}

}  // namespace trader::coinbase
