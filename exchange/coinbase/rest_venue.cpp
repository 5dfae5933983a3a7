#include "exchange/coinbase/rest_venue.hpp"

#include <charconv>
#include <map>

#include <simdjson.h>

#include <fmt/format.h>

#include "base/wall_clock.hpp"
#include "base/percent_encoding.hpp"
#include "credentials/jwt.hpp"
#include "exchange/coinbase/frame_parser.hpp"
#include "exchange/net/https_client.hpp"
#include "messages/fixed_point.hpp"
#include "messages/instrument.hpp"
#include "messages/message_json.hpp"

namespace trader::coinbase {
namespace {
namespace dom = simdjson::dom;

constexpr const char* kBrokerage = "/api/v3/brokerage/";
constexpr int kMaxPages = 1000;  // a cursor that never ends is a broken answer, not a long list

VenueFailure refused(std::string message) {
  return VenueFailure{VenueFailure::Kind::rejected, 0, 0, std::move(message), 0};
}

bool fixed_field(dom::element e, std::string_view key, std::int64_t* out) {
  std::string_view text;
  if (e[key].get_string().get(text) != simdjson::SUCCESS) return false;
  const auto v = parse_fixed(text);
  if (!v) return false;
  *out = *v;
  return true;
}

std::string string_field(dom::element e, std::string_view key) {
  std::string_view s;
  return e[key].get_string().get(s) == simdjson::SUCCESS ? std::string(s) : std::string();
}

// "BTC-USD@coinbase" (or a bare "BTC-USD") -> "BTC-USD"; anything else is not Coinbase's.
tl::expected<std::string, VenueFailure> product_of(const std::string& symbol) {
  const std::string text = symbol.find('@') == std::string::npos ? symbol + "@coinbase" : symbol;
  auto i = parse_instrument(text);
  if (!i || i->venue != VenueId::coinbase)
    return tl::unexpected(refused(fmt::format("{} is not a Coinbase instrument (e.g. BTC-USD@coinbase)", symbol)));
  return i->symbol;
}

std::string instrument_of(std::string_view product) { return instrument_name(VenueId::coinbase, product); }

VenueReply<VenueOrder> order_from(dom::element e) {
  VenueOrder o;
  o.exchange_order_id = string_field(e, "order_id");
  const std::string product = string_field(e, "product_id");
  o.client_order_id = string_field(e, "client_order_id");
  const std::string side = string_field(e, "side"), status = string_field(e, "status");
  if (o.exchange_order_id.empty() || product.empty()) return tl::unexpected(unreadable_answer("order without order_id or product_id"));
  o.symbol = instrument_of(product);
  if (side != "BUY" && side != "SELL") return tl::unexpected(unreadable_answer(fmt::format("order {} side \"{}\"", o.exchange_order_id, side)));
  o.side = side == "BUY" ? Side::buy : Side::sell;
  if (!fixed_field(e, "filled_size", &o.executed_qty) || !fixed_field(e, "filled_value", &o.quote_qty))
    return tl::unexpected(unreadable_answer(fmt::format("order {} filled_size or filled_value", o.exchange_order_id)));
  // The ordered size sits in the one configuration the order has.
  dom::object config;
  if (e["order_configuration"].get_object().get(config) == simdjson::SUCCESS)
    for (dom::key_value_pair kind : config)
      if (fixed_field(kind.value, "base_size", &o.orig_qty)) break;
  if (status == "OPEN" || status == "PENDING" || status == "QUEUED" || status == "CANCEL_QUEUED")
    o.status = o.executed_qty > 0 ? VenueOrderStatus::partially_filled : VenueOrderStatus::open;
  else if (status == "FILLED")
    o.status = VenueOrderStatus::filled;
  else if (status == "CANCELLED")
    o.status = VenueOrderStatus::canceled;
  else if (status == "EXPIRED")
    o.status = VenueOrderStatus::expired;
  else if (status == "FAILED")
    o.status = VenueOrderStatus::rejected;
  else
    return tl::unexpected(unreadable_answer(fmt::format("order {} status \"{}\"", o.exchange_order_id, status)));
  if (o.orig_qty == 0) o.orig_qty = o.executed_qty;  // sized in quote: what it bought is its size
  for (const char* key : {"last_fill_time", "created_time"})
    if (const auto ms = parse_time_ms(string_field(e, key))) {
      o.update_ms = *ms;
      break;
    }
  return o;
}

VenueReply<SymbolRules> rules_from(dom::element e) {
  const std::string product = string_field(e, "product_id");
  if (product.empty()) return tl::unexpected(unreadable_answer("product without product_id"));
  SymbolRules r;
  r.symbol = instrument_of(product);
  if (!fixed_field(e, "base_increment", &r.step_size) || !fixed_field(e, "base_min_size", &r.min_qty) ||
      !fixed_field(e, "quote_min_size", &r.min_notional))
    return tl::unexpected(unreadable_answer(fmt::format("product {}: base_increment, base_min_size or quote_min_size", product)));
  if (!fixed_field(e, "base_max_size", &r.max_qty)) r.max_qty = 0;
  if (!fixed_field(e, "price_increment", &r.tick_size) && !fixed_field(e, "quote_increment", &r.tick_size))
    return tl::unexpected(unreadable_answer(fmt::format("product {}: price_increment", product)));
  return r;
}

std::string json_text(std::string_view s) { return to_json_string(s); }

}  // namespace

VenueReply<VenueOrder> parse_order(std::string_view json) {
  dom::parser parser;
  dom::element e;
  if (parser.parse(simdjson::padded_string(json)).get(e)) return tl::unexpected(unreadable_answer("not JSON"));
  return order_from(e);
}

VenueReply<SymbolRules> parse_product_rules(std::string_view json) {
  dom::parser parser;
  dom::element e;
  if (parser.parse(simdjson::padded_string(json)).get(e)) return tl::unexpected(unreadable_answer("not JSON"));
  return rules_from(e);
}

struct RestVenue::Impl {
  RestVenueOptions options;
  std::unique_ptr<net::HttpsClient> http;
  std::unique_ptr<net::HttpsClient> market;  // public market data (time, products); no JWT
  dom::parser parser;
  std::map<std::string, std::string> placed;  // client order id -> Coinbase's order id, this process's
  std::int64_t offset_ms = 0;  // Coinbase's clock minus ours (sync_time): tokens are dated on its clock

  // One request; a signed one carries a JWT and goes to the account's API, any other to
  // the public market data. The answer's JSON is handed to `read` when the status is 2xx.
  template <class T, class Read>
  VenueReply<T> call(const char* method, const std::string& path, const std::string& query, std::string body,
                     bool signed_, Read&& read) {
    net::HttpsClient& to = signed_ ? *http : *market;
    net::HttpRequest req;
    req.method = method;
    req.target = query.empty() ? path : path + "?" + query;
    if (!body.empty()) {
      req.body = std::move(body);
      req.headers["Content-Type"] = "application/json";
    }
    if (signed_) {
      const credentials::JwtRequest jwt{options.credentials.api_key, (wall_ns() / 1'000'000 + offset_ms) / 1000,
                                        fmt::format("{} {}{}", method, http->url().host_header(), path),  // the host as the Host header names it
                                        credentials::random_nonce_hex()};
      auto token = credentials::es256_jwt(options.credentials.api_secret, jwt);
      // A key that cannot sign sends nothing: no request left.
      if (!token) return tl::unexpected(VenueFailure{VenueFailure::Kind::rejected, 0, 0,
                                                     "the API key's private key cannot sign: " + token.error().message, 0});
      req.headers["Authorization"] = "Bearer " + *token;
    }
    auto out = to.send(req);
    using K = net::HttpOutcome::Kind;
    if (out.kind == K::not_sent) return tl::unexpected(VenueFailure{VenueFailure::Kind::unavailable, 0, 0, out.error, 0});
    if (out.kind == K::no_answer) return tl::unexpected(VenueFailure{VenueFailure::Kind::unknown, 0, 0, out.error, 0});
    const auto& res = out.response;
    dom::element doc;
    const bool json = !parser.parse(simdjson::padded_string(res.body)).get(doc);
    if (res.status == 429)
      return tl::unexpected(VenueFailure{VenueFailure::Kind::rate_limited, 429, 0, "too many requests", res.retry_after_ms()});
    if (res.status >= 200 && res.status < 300) {
      if (!json) return tl::unexpected(unreadable_answer(fmt::format("{} {}: not JSON", method, path)));
      return read(doc);
    }
    VenueFailure f;
    f.http_status = res.status;
    f.kind = res.status >= 500 ? VenueFailure::Kind::unknown : VenueFailure::Kind::rejected;
    const std::string error = json ? string_field(doc, "error") : "", message = json ? string_field(doc, "message") : "";
    f.message = error.empty() && message.empty() ? fmt::format("HTTP {}", res.status)
                                                 : fmt::format("HTTP {} {}: {}", res.status, error, message);
    f.order_unknown = res.status == 404;
    return tl::unexpected(f);
  }

  VenueReply<VenueOrder> order_by_id(const std::string& order_id) {
    return call<VenueOrder>("GET", kBrokerage + std::string("orders/historical/") + percent_encode(order_id), "", "", true,
                            [](dom::element doc) -> VenueReply<VenueOrder> {
                              dom::element o;
                              if (doc["order"].get(o)) return tl::unexpected(unreadable_answer("lookup without order"));
                              return order_from(o);
                            });
  }

  // Each entry of a listing's `list_key` array, page by page: Coinbase's cursor (and
  // has_next, where the listing has one) says whether another page follows.
  template <class Each>
  VenueReply<bool> each_entry(const std::string& path, const std::string& query, const char* list_key, Each&& each) {
    std::string cursor;
    for (int page = 0; page < kMaxPages; ++page) {
      bool more = false;
      std::string q = query;
      if (!cursor.empty()) q += (q.empty() ? "cursor=" : "&cursor=") + percent_encode(cursor);
      auto read = call<bool>("GET", kBrokerage + path, q, "", true, [&](dom::element doc) -> VenueReply<bool> {
        dom::array list;
        if (doc[list_key].get_array().get(list)) return tl::unexpected(unreadable_answer(fmt::format("{}: no list", list_key)));
        for (dom::element e : list)
          if (auto ok = each(e); !ok) return ok;
        if (list.size() == 0) return true;  // an empty page ends it, whatever cursor it carries
        bool has_next = true;
        if (doc["has_next"].get_bool().get(has_next)) has_next = true;  // absent (fills): the cursor says
        cursor = string_field(doc, "cursor");
        more = has_next && !cursor.empty();
        return true;
      });
      if (!read || !more) return read;
    }
    return tl::unexpected(unreadable_answer(fmt::format("{}: the cursor never ends", list_key)));
  }

  // Every order matching `query`; `keep` picks what to return.
  template <class Keep>
  VenueReply<std::vector<VenueOrder>> orders(const std::string& query, Keep&& keep) {
    std::vector<VenueOrder> out;
    auto read = each_entry("orders/historical/batch", query, "orders", [&](dom::element e) -> VenueReply<bool> {
      auto o = order_from(e);
      if (!o) return tl::unexpected(o.error());
      if (keep(*o)) out.push_back(std::move(*o));
      return true;
    });
    if (!read) return tl::unexpected(read.error());
    return out;
  }
};

RestVenue::RestVenue(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RestVenue::~RestVenue() = default;

Result<std::unique_ptr<RestVenue>> RestVenue::create(RestVenueOptions options) {
  auto http = net::HttpsClient::create(options.base_url, options.ca_file, options.timeout);
  if (!http) return tl::unexpected(http.error());
  auto market = net::HttpsClient::create(options.public_url.empty() ? options.base_url : options.public_url,
                                         options.ca_file, options.timeout);
  if (!market) return tl::unexpected(market.error());
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->http = std::move(*http);
  impl->market = std::move(*market);
  return std::unique_ptr<RestVenue>(new RestVenue(std::move(impl)));
}

VenueReply<std::int64_t> RestVenue::sync_time() {
  const std::int64_t before = wall_ns() / 1'000'000;
  return impl_->call<std::int64_t>("GET", kBrokerage + std::string("time"), "", "", false,
                                   [&](dom::element doc) -> VenueReply<std::int64_t> {
                                     const std::string text = string_field(doc, "epochMillis");
                                     std::int64_t server = 0;
                                     const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), server);
                                     if (text.empty() || ec != std::errc() || end != text.data() + text.size())
                                       return tl::unexpected(unreadable_answer("time without epochMillis"));
                                     const std::int64_t after = wall_ns() / 1'000'000;
                                     impl_->offset_ms = server - (before + after) / 2;
                                     return impl_->offset_ms;
                                   });
}

VenueReply<VenueOrder> RestVenue::place(const OrderRequest& r) {
  auto product = product_of(r.symbol);
  if (!product) return tl::unexpected(product.error());
  std::string config;
  if (r.type == OrderType::market) {
    config = fmt::format(R"({{"market_market_ioc":{{"base_size":"{}"}}}})", format_fixed(r.qty));
  } else {
    const char* kind = r.time_in_force == TimeInForce::ioc   ? "sor_limit_ioc"
                       : r.time_in_force == TimeInForce::fok ? "limit_limit_fok"
                                                             : "limit_limit_gtc";
    config = fmt::format(R"({{"{}":{{"base_size":"{}","limit_price":"{}"{}}}}})", kind, format_fixed(r.qty),
                         format_fixed(r.limit_price), r.time_in_force == TimeInForce::gtc ? R"(,"post_only":false)" : "");
  }
  const std::string body = fmt::format(R"({{"client_order_id":{},"product_id":{},"side":"{}","order_configuration":{}}})",
                                       json_text(r.client_order_id), json_text(*product),
                                       r.side == Side::buy ? "BUY" : "SELL", config);
  auto id = impl_->call<std::string>(
      "POST", kBrokerage + std::string("orders"), "", body, true, [&](dom::element doc) -> VenueReply<std::string> {
        bool success = false;
        if (doc["success"].get_bool().get(success)) return tl::unexpected(unreadable_answer("order answer without success"));
        if (!success) {
          // Refused before it was placed: the reason, and the order preview's when it has one.
          dom::element e;
          if (doc["error_response"].get(e)) return tl::unexpected(refused(string_field(doc, "failure_reason")));
          std::string why = string_field(e, "error");
          if (const auto preview = string_field(e, "preview_failure_reason"); !preview.empty()) why += " (" + preview + ")";
          if (const auto message = string_field(e, "message"); !message.empty()) why += ": " + message;
          return tl::unexpected(refused(why));
        }
        std::string order_id = string_field(doc, "order_id");
        if (order_id.empty()) {
          dom::element s;
          if (!doc["success_response"].get(s)) order_id = string_field(s, "order_id");
        }
        if (order_id.empty()) return tl::unexpected(unreadable_answer("order answer without order_id"));
        return order_id;
      });
  if (!id) return tl::unexpected(id.error());
  impl_->placed[r.client_order_id] = *id;
  // Its state now (a market order has filled); if that cannot be read, it is placed and
  // open as far as we know, and the next poll reads the rest.
  if (auto now = impl_->order_by_id(*id)) return now;
  return placed_unread(r, *id, instrument_of(*product));
}

VenueReply<VenueOrder> RestVenue::query(const std::string& symbol, const std::string& client_order_id) {
  if (const auto it = impl_->placed.find(client_order_id); it != impl_->placed.end()) return impl_->order_by_id(it->second);
  auto product = product_of(symbol);
  if (!product) return tl::unexpected(product.error());
  auto found = impl_->orders("product_ids=" + percent_encode(*product),
                             [&](const VenueOrder& o) { return o.client_order_id == client_order_id; });
  if (!found) return tl::unexpected(found.error());
  if (found->empty()) {
    VenueFailure f = refused(fmt::format("no order with client_order_id {} among {}'s orders", client_order_id, *product));
    f.order_unknown = true;
    return tl::unexpected(f);
  }
  impl_->placed[client_order_id] = found->front().exchange_order_id;
  return found->front();
}

VenueReply<VenueOrder> RestVenue::cancel(const std::string& symbol, const std::string& client_order_id) {
  auto order = query(symbol, client_order_id);
  if (!order) return order;
  const std::string body = fmt::format(R"({{"order_ids":[{}]}})", json_text(order->exchange_order_id));
  auto canceled = impl_->call<bool>("POST", kBrokerage + std::string("orders/batch_cancel"), "", body, true,
                                    [](dom::element doc) -> VenueReply<bool> {
                                      dom::array results;
                                      dom::element first;
                                      bool success = false;
                                      if (doc["results"].get_array().get(results) || results.at(0).get(first) ||
                                          first["success"].get_bool().get(success))
                                        return tl::unexpected(unreadable_answer("cancel without results"));
                                      if (!success) return tl::unexpected(refused(string_field(first, "failure_reason")));
                                      return true;
                                    });
  if (!canceled) return tl::unexpected(canceled.error());
  return impl_->order_by_id(order->exchange_order_id);
}

VenueReply<std::vector<VenueFill>> RestVenue::trades(const std::string& symbol, const std::string& exchange_order_id) {
  auto product = product_of(symbol);
  if (!product) return tl::unexpected(product.error());
  const std::string quote = product->substr(product->find('-') + 1);
  std::vector<VenueFill> out;
  auto read = impl_->each_entry(
      "orders/historical/fills", "order_ids=" + percent_encode(exchange_order_id), "fills",
      [&](dom::element e) -> VenueReply<bool> {
        VenueFill f;
        const std::string trade = string_field(e, "trade_id");
        if (trade.empty() || !fixed_field(e, "price", &f.price) || !fixed_field(e, "size", &f.qty) ||
            !fixed_field(e, "commission", &f.commission))
          return tl::unexpected(unreadable_answer(fmt::format("a fill of order {}", exchange_order_id)));
        bool in_quote = false;
        if (!e["size_in_quote"].get_bool().get(in_quote) && in_quote)
          return tl::unexpected(unreadable_answer(fmt::format("a fill of order {} sized in quote", exchange_order_id)));
        f.trade_id = trade_number(trade);
        f.commission_asset = quote;  // Coinbase charges spot fees in the quote currency
        out.push_back(std::move(f));
        return true;
      });
  if (!read) return tl::unexpected(read.error());
  return out;
}

VenueReply<std::vector<VenueOrder>> RestVenue::open_orders() {
  return impl_->orders("order_status=OPEN", [](const VenueOrder&) { return true; });
}

VenueReply<std::vector<VenueBalance>> RestVenue::balances() {
  std::vector<VenueBalance> out;
  auto read = impl_->each_entry("accounts", "limit=250", "accounts", [&](dom::element e) -> VenueReply<bool> {
    VenueBalance b;
    b.asset = string_field(e, "currency");
    dom::element available, hold;
    if (b.asset.empty() || e["available_balance"].get(available) || !fixed_field(available, "value", &b.free))
      return tl::unexpected(unreadable_answer("an account's currency or available_balance"));
    if (!e["hold"].get(hold) && !fixed_field(hold, "value", &b.locked))
      return tl::unexpected(unreadable_answer(fmt::format("account {}: hold", b.asset)));
    if (b.free != 0 || b.locked != 0) out.push_back(std::move(b));
    return true;
  });
  if (!read) return tl::unexpected(read.error());
  return out;
}

VenueReply<SymbolRules> RestVenue::rules(const std::string& symbol) {
  auto product = product_of(symbol);
  if (!product) return tl::unexpected(product.error());
  return impl_->call<SymbolRules>("GET", kBrokerage + std::string("market/products/") + percent_encode(*product), "", "", false,
                                  rules_from);
}

VenueReply<std::int64_t> RestVenue::price(const std::string& symbol) {
  auto product = product_of(symbol);
  if (!product) return tl::unexpected(product.error());
  return impl_->call<std::int64_t>("GET", kBrokerage + std::string("market/products/") + percent_encode(*product), "", "", false,
                                   [&](dom::element doc) -> VenueReply<std::int64_t> {
                                     std::int64_t price = 0;
                                     if (!fixed_field(doc, "price", &price) || price <= 0)
                                       return tl::unexpected(unreadable_answer("price of " + *product));
                                     return price;
                                   });
}

VenueReply<std::vector<Kline>> RestVenue::klines(const std::string&, std::uint32_t, std::int64_t, std::int64_t, int,
                                                 std::int64_t) {
  return tl::unexpected(refused("klines are not read from Coinbase (history warm-up reads Binance's)"));
}

}  // namespace trader::coinbase
