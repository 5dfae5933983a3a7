#include "exchange/kucoin/handshake.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <simdjson.h>

#include "base/percent_encoding.hpp"
#include "messages/instrument.hpp"

namespace trader::kucoin {
namespace sj = simdjson;

namespace {
constexpr std::size_t kSymbolsPerTopic = 100;  // KuCoin's limit per subscription
}  // namespace

Result<Bullet> parse_bullet(std::string_view answer) {
  sj::dom::parser parser;
  sj::dom::element doc;
  if (auto err = parser.parse(std::string(answer)).get(doc); err != sj::SUCCESS)
    return fail(fmt::format("kucoin bullet: not JSON: {}", sj::error_message(err)));
  std::string_view code, message;
  if (doc["code"].get_string().get(code) != sj::SUCCESS) return fail("kucoin bullet: no \"code\"");
  if (code != "200000") {
    if (doc["msg"].get_string().get(message) != sj::SUCCESS) message = "(no message)";
    return fail(fmt::format("kucoin bullet: code {}: {}", code, message));
  }
  Bullet b;
  std::string_view token, endpoint;
  sj::dom::array servers;
  if (doc["data"]["token"].get_string().get(token) != sj::SUCCESS || token.empty())
    return fail("kucoin bullet: no \"data.token\"");
  if (doc["data"]["instanceServers"].get_array().get(servers) != sj::SUCCESS || servers.size() == 0)
    return fail("kucoin bullet: no \"data.instanceServers\"");
  const auto server = servers.at(0);
  if (server["endpoint"].get_string().get(endpoint) != sj::SUCCESS || endpoint.rfind("wss://", 0) != 0)
    return fail("kucoin bullet: the server's \"endpoint\" is not a wss:// URL");
  if (server["pingInterval"].get_int64().get(b.ping_interval_ms) != sj::SUCCESS || b.ping_interval_ms <= 0 ||
      server["pingTimeout"].get_int64().get(b.ping_timeout_ms) != sj::SUCCESS || b.ping_timeout_ms <= 0)
    return fail("kucoin bullet: the server's \"pingInterval\" and \"pingTimeout\" must be positive ms");
  b.token = token;
  b.endpoint = endpoint;
  return b;
}

std::string connect_url(const Bullet& bullet, std::string_view connect_id) {
  const char* separator = bullet.endpoint.find('?') == std::string::npos ? "?" : "&";
  return fmt::format("{}{}token={}&connectId={}", bullet.endpoint, separator, percent_encode(bullet.token),
                     percent_encode(connect_id));
}

namespace {
std::vector<std::string> symbols_of(const std::vector<std::string>& instruments) {
  std::vector<std::string> symbols;
  for (const auto& name : instruments) {
    auto instrument = parse_instrument(name);
    symbols.push_back(instrument ? instrument->symbol : name);  // configs are validated before
  }
  return symbols;
}

bool futures(const std::vector<std::string>& instruments) {
  return !instruments.empty() && venue_of(instruments.front()) == VenueId::kucoin_futures;
}
}  // namespace

std::vector<std::string> book_symbols(const std::vector<std::string>& instruments, const std::vector<std::string>& channels) {
  if (futures(instruments) || std::find(channels.begin(), channels.end(), "level2") == channels.end()) return {};
  return symbols_of(instruments);
}

std::vector<std::string> contract_symbols(const std::vector<std::string>& instruments) {
  return futures(instruments) ? symbols_of(instruments) : std::vector<std::string>{};
}

const std::vector<std::string>& known_channels(VenueId venue) {
  static const std::vector<std::string> spot{"match", "ticker", "level2"};
  static const std::vector<std::string> futures{"execution", "tickerV2", "instrument", "announcement"};
  return venue == VenueId::kucoin_futures ? futures : spot;
}

std::string known_channel_list(VenueId venue) { return fmt::format("{}", fmt::join(known_channels(venue), ", ")); }

std::string channel_topic(VenueId venue, std::string_view channel) {
  if (venue != VenueId::kucoin_futures) return fmt::format("/market/{}", channel);
  return fmt::format("{}{}", channel == "instrument" || channel == "announcement" ? "/contract/" : "/contractMarket/", channel);
}

std::vector<std::string> subscribe_frames(const std::vector<std::string>& instruments,
                                          const std::vector<std::string>& channels, std::uint64_t first_id) {
  const std::vector<std::string> symbols = symbols_of(instruments);
  const VenueId venue = futures(instruments) ? VenueId::kucoin_futures : VenueId::kucoin;
  std::vector<std::string> out;
  for (const auto& channel : channels)
    for (std::size_t from = 0; from < symbols.size(); from += kSymbolsPerTopic) {
      std::string list;
      for (std::size_t i = from; i < std::min(symbols.size(), from + kSymbolsPerTopic); ++i)
        list += (list.empty() ? "" : ",") + symbols[i];
      out.push_back(fmt::format(R"({{"id":"{}","type":"subscribe","topic":"{}:{}","privateChannel":false,"response":true}})",
                                first_id++, channel_topic(venue, channel), list));
    }
  return out;
}

std::string ping_frame(std::uint64_t id) { return fmt::format(R"({{"id":"{}","type":"ping"}})", id); }

Result<FrameKind> frame_kind(std::string_view frame) {
  sj::dom::parser parser;
  sj::dom::object root;
  if (parser.parse(std::string(frame)).get_object().get(root) != sj::SUCCESS)
    return fail(fmt::format("kucoin: a frame that is not a JSON object: {}", frame.substr(0, 120)));
  FrameKind k;
  std::string_view text;
  if (root["type"].get_string().get(text) == sj::SUCCESS) k.type = text;
  if (root["id"].get_string().get(text) == sj::SUCCESS) k.id = text;
  if (k.type == "error") {
    sj::dom::element code;
    std::string_view why;
    if (root["data"].get_string().get(why) != sj::SUCCESS) why = "(no reason)";
    k.error = fmt::format("kucoin error {}: {}", root["code"].get(code) == sj::SUCCESS ? sj::minify(code) : "?", why);
  }
  return k;
}

}  // namespace trader::kucoin
