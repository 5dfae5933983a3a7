#include "exchange/kucoin/stream_connect.hpp"

#include <memory>

#include <fmt/format.h>

#include "base/percent_encoding.hpp"
#include "base/wall_clock.hpp"
#include "exchange/kucoin/handshake.hpp"
#include "exchange/net/https_client.hpp"

namespace trader::kucoin {

namespace {

Result<Bullet> fetch_bullet(net::HttpsClient& client) {
  const auto outcome = client.send({"POST", "/api/v1/bullet-public", "", {{"Content-Type", "application/json"}}});
  if (outcome.kind != net::HttpOutcome::Kind::answered)
    return fail(fmt::format("kucoin bullet: {}", outcome.error));
  auto bullet = parse_bullet(outcome.response.body);
  if (!bullet && outcome.response.status != 200)
    return fail(fmt::format("kucoin bullet: HTTP {}: {}", outcome.response.status, bullet.error().message));
  return bullet;
}

// A GET whose KuCoin answer must be {"code":"200000",...}: its body, or what went wrong,
// named `what` ("kucoin book of BTC-USDT").
Result<std::string> fetch_answer(net::HttpsClient& client, const std::string& what, const std::string& path) {
  const auto outcome = client.send({"GET", path, "", {}});
  if (outcome.kind != net::HttpOutcome::Kind::answered) return fail(fmt::format("{}: {}", what, outcome.error));
  const std::string& body = outcome.response.body;
  if (outcome.response.status != 200 || body.find(R"("code":"200000")") == std::string::npos)
    return fail(fmt::format("{}: HTTP {}: {}", what, outcome.response.status, body.substr(0, 200)));
  return body;
}

// The symbol's REST order book as a frame the decoder reads: KuCoin's answer with the
// symbol written into its data.
Result<std::string> fetch_book(net::HttpsClient& client, const std::string& symbol) {
  const std::string what = "kucoin book of " + symbol;
  auto body = fetch_answer(client, what, "/api/v1/market/orderbook/level2_100?symbol=" + percent_encode(symbol));
  if (!body) return body;
  constexpr std::string_view kData = R"("data":{)";
  const auto at = body->find(kData);
  if (at == std::string::npos) return fail(fmt::format("{}: HTTP 200: {}", what, body->substr(0, 200)));
  body->insert(at + kData.size(), fmt::format(R"("symbol":"{}",)", symbol));
  return body;
}

// KuCoin Futures: the contract, as the decoder reads it (its answer names its symbol).
Result<std::string> fetch_contract(net::HttpsClient& client, const std::string& symbol) {
  return fetch_answer(client, "kucoin contract " + symbol, "/api/v1/contracts/" + percent_encode(symbol));
}

}  // namespace

StreamConnector stream_connector(StreamSettings settings) {
  auto connections = std::make_shared<std::uint64_t>(0);
  return [s = std::move(settings), connections](bool& permanent) -> Result<StreamConnection> {
    // One REST connection per attempt serves its bullet and its books.
    auto client = net::HttpsClient::create(s.rest_url, s.ca_file, std::chrono::seconds(10));
    if (!client) {
      permanent = true;  // a bad URL or CA file stays bad
      return tl::unexpected(client.error());
    }
    auto bullet = fetch_bullet(**client);
    if (!bullet) return tl::unexpected(bullet.error());
    // Futures' contracts before any frame: the frames count in their lots.
    std::vector<std::string> contracts;
    for (const auto& symbol : s.contract_symbols) {
      auto contract = fetch_contract(**client, symbol);
      if (!contract) return tl::unexpected(contract.error());
      contracts.push_back(std::move(*contract));
    }
    // The id only tells this client's connections apart (KuCoin echoes it in the welcome).
    const std::string connect_id = fmt::format("trader-{}-{}", wall_ns(), ++*connections);
    auto url = net::parse_wss_url(connect_url(*bullet, connect_id));
    if (!url) return tl::unexpected(url.error());
    auto ws = net::WsClient::connect(*url, s.ca_file, s.idle_timeout, &permanent);
    if (!ws) return tl::unexpected(ws.error());
    StreamConnection c{std::move(*ws), std::move(contracts)};
    auto welcome = c.ws->read(s.stop);
    if (!welcome) return fail(fmt::format("kucoin: no welcome: {}", welcome.error().message));
    auto kind = frame_kind(*welcome);
    if (!kind) return tl::unexpected(kind.error());
    if (kind->type != "welcome")
      return fail(kind->error.empty() ? fmt::format("kucoin: expected a welcome, got: {}", welcome->substr(0, 200))
                                      : kind->error);
    for (const auto& request : s.subscribe)
      if (auto sent = c.ws->write(request); !sent) return fail(fmt::format("kucoin: subscribe: {}", sent.error().message));
    // Each subscription is acknowledged; data of a topic acknowledged already may come in
    // between, and is kept for the stream.
    std::size_t acks = 0;
    while (acks < s.subscribe.size()) {
      auto frame = c.ws->read(s.stop);
      if (!frame) return fail(fmt::format("kucoin: {} of {} subscriptions acknowledged: {}", acks, s.subscribe.size(),
                                          frame.error().message));
      auto k = frame_kind(*frame);
      if (k && k->type == "ack") ++acks;
      else if (k && k->type == "error") return fail(fmt::format("kucoin: subscribe refused: {}", k->error));
      else c.early_frames.push_back(std::move(*frame));
    }
    for (const auto& symbol : s.book_symbols) {
      auto book = fetch_book(**client, symbol);
      if (!book) return tl::unexpected(book.error());
      c.early_frames.push_back(std::move(*book));
    }
    c.ws->set_heartbeat({std::chrono::milliseconds(bullet->ping_interval_ms),
                         std::chrono::milliseconds(bullet->ping_timeout_ms), [](std::uint64_t n) { return ping_frame(n); }});
    return c;
  };
}

}  // namespace trader::kucoin
