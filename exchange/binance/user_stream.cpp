#include "exchange/binance/user_stream.hpp"

#include <simdjson.h>

#include <fmt/format.h>

#include "exchange/binance/answer_fields.hpp"
#include "exchange/net/ws_client.hpp"

namespace trader::binance {

std::string user_stream_subscribe_request(std::string_view request_id, const credentials::ApiCredentials& keys,
                                          std::int64_t timestamp_ms, std::int64_t recv_window_ms) {
  // Sorted by name: apiKey, recvWindow, timestamp.
  const std::string payload =
      fmt::format("apiKey={}&recvWindow={}&timestamp={}", keys.api_key, recv_window_ms, timestamp_ms);
  return fmt::format(
      R"({{"id":"{}","method":"userDataStream.subscribe.signature","params":{{"apiKey":"{}","recvWindow":{},"timestamp":{},"signature":"{}"}}}})",
      request_id, keys.api_key, recv_window_ms, timestamp_ms, credentials::hmac_sha256_hex(keys.api_secret, payload));
}

namespace {

Result<VenueUpdate> execution_report(simdjson::dom::element e) {
  VenueUpdate u;
  u.kind = VenueUpdate::Kind::order;
  VenueOrder& o = u.order;
  std::string_view s, x;
  std::int64_t n = 0;
  auto bad = [](const char* what) { return fail(fmt::format("executionReport without a readable {}", what)); };
  if (e["s"].get_string().get(s)) return bad("symbol (s)");
  o.symbol = std::string(s);
  if (e["x"].get_string().get(x)) return bad("execution type (x)");
  // A cancel reports the canceled order's id in C; c is the cancel request's own.
  if (x == "CANCELED" && !e["C"].get_string().get(s) && !s.empty()) o.client_order_id = std::string(s);
  else if (!e["c"].get_string().get(s)) o.client_order_id = std::string(s);
  else return bad("client order id (c)");
  if (e["i"].get_int64().get(n)) return bad("order id (i)");
  o.exchange_order_id = std::to_string(n);
  if (e["S"].get_string().get(s) || (s != "BUY" && s != "SELL")) return bad("side (S)");
  o.side = s == "BUY" ? Side::buy : Side::sell;
  if (e["X"].get_string().get(s)) return bad("order status (X)");
  auto status = parse_status(s);
  if (!status) return fail(fmt::format("executionReport with order status {}", s));
  o.status = *status;
  if (!fixed_field(e, "q", &o.orig_qty) || !fixed_field(e, "z", &o.executed_qty) || !fixed_field(e, "Z", &o.quote_qty))
    return bad("quantity (q, z, Z)");
  if (!e["T"].get_int64().get(n)) o.update_ms = n;
  if (x == "TRADE") {
    VenueFill f;
    std::int64_t trade = 0;
    if (!fixed_field(e, "L", &f.price) || !fixed_field(e, "l", &f.qty) || !fixed_field(e, "n", &f.commission))
      return bad("trade (L, l, n)");
    if (e["t"].get_int64().get(trade) || trade < 0) return bad("trade id (t)");
    f.trade_id = static_cast<std::uint64_t>(trade);
    if (!e["N"].get_string().get(s)) f.commission_asset = std::string(s);
    o.fills.push_back(std::move(f));
  }
  u.detail = std::string(x);
  return u;
}

}  // namespace

Result<VenueUpdate> parse_user_stream_frame(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(simdjson::padded_string(json)).get(doc)) return fail("not JSON");
  simdjson::dom::element event;
  if (!doc["event"].get(event)) {
    std::string_view type;
    if (event["e"].get_string().get(type)) return fail("an event without a type (e)");
    if (type == "executionReport") return execution_report(event);
    VenueUpdate u;
    u.detail = std::string(type);
    if (type == "eventStreamTerminated") u.kind = VenueUpdate::Kind::dropped;
    return u;
  }
  // The answer to a request: {"id":..,"status":200,"result":{"subscriptionId":N}}, or an error.
  std::int64_t status = 0;
  if (doc["status"].get_int64().get(status)) return fail("neither an event nor an answer");
  VenueUpdate u;
  if (status == 200) {
    std::int64_t id = 0;
    if (doc["result"]["subscriptionId"].get_int64().get(id)) {
      u.detail = "an answer without a subscription";
      return u;
    }
    u.kind = VenueUpdate::Kind::subscribed;
    u.detail = fmt::format("subscription {}", id);
    return u;
  }
  std::int64_t code = 0;
  std::string_view msg;
  if (doc["error"]["code"].get_int64().get(code)) code = 0;
  if (doc["error"]["msg"].get_string().get(msg)) msg = "no message";
  u.kind = VenueUpdate::Kind::refused;
  u.detail = fmt::format("status {}, code {}: {}", status, code, msg);
  return u;
}

namespace {

class UserStream final : public VenueUpdates {
 public:
  explicit UserStream(UserStreamOptions o) : options_(std::move(o)) {}

  VenueUpdate subscribe(const std::atomic<bool>* stop) override {
    client_.reset();
    auto url = net::parse_wss_url(options_.url);
    if (!url) return dropped(url.error().message);
    auto client = net::WsClient::connect(*url, options_.ca_file, options_.idle_timeout);
    if (!client) return dropped(client.error().message);
    const std::string id = fmt::format("sub-{}", ++requests_);
    if (auto sent = (*client)->write(user_stream_subscribe_request(id, options_.credentials, options_.venue_time_ms(),
                                                                   options_.recv_window_ms));
        !sent)
      return dropped("sending the subscription: " + sent.error().message);
    client_ = std::move(*client);
    for (;;) {  // the answer; events cannot come before it
      auto u = next(stop);
      if (u.kind == VenueUpdate::Kind::other) continue;
      if (u.kind != VenueUpdate::Kind::subscribed) client_.reset();
      return u;
    }
  }

  VenueUpdate next(const std::atomic<bool>* stop) override {
    if (!client_) return dropped("not connected");
    auto frame = client_->read(stop);
    if (!frame) {
      client_.reset();
      return dropped(frame.error().message);
    }
    auto u = parse_user_stream_frame(*frame);
    if (!u) {  // an unreadable frame may have been an execution report: treat it as lost
      client_.reset();
      return dropped("unreadable frame (" + u.error().message + ")");
    }
    return std::move(*u);
  }

 private:
  static VenueUpdate dropped(std::string why) {
    VenueUpdate u;
    u.kind = VenueUpdate::Kind::dropped;
    u.detail = std::move(why);
    return u;
  }
  UserStreamOptions options_;
  std::unique_ptr<net::WsClient> client_;
  std::uint64_t requests_ = 0;
};

}  // namespace

std::unique_ptr<VenueUpdates> make_user_stream(UserStreamOptions options) {
  return std::make_unique<UserStream>(std::move(options));
}

}  // namespace trader::binance
