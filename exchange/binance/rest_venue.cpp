#include "exchange/binance/rest_venue.hpp"

#include <atomic>
#include <charconv>

#include <simdjson.h>

#include <fmt/format.h>

#include "base/percent_encoding.hpp"
#include "exchange/binance/answer_fields.hpp"
#include "exchange/binance/user_stream.hpp"
#include "exchange/net/https_client.hpp"
#include "messages/instrument.hpp"
#include "messages/fixed_point.hpp"

namespace trader::binance {

std::optional<VenueOrderStatus> parse_status(std::string_view s) {
  if (s == "NEW" || s == "PENDING_NEW" || s == "PENDING_CANCEL") return VenueOrderStatus::open;
  if (s == "PARTIALLY_FILLED") return VenueOrderStatus::partially_filled;
  if (s == "FILLED") return VenueOrderStatus::filled;
  if (s == "CANCELED") return VenueOrderStatus::canceled;
  if (s == "REJECTED") return VenueOrderStatus::rejected;
  if (s == "EXPIRED" || s == "EXPIRED_IN_MATCH") return VenueOrderStatus::expired;
  return std::nullopt;
}

bool fixed_field(simdjson::dom::element e, const char* key, std::int64_t* out) {
  std::string_view text;
  if (e[key].get_string().get(text) != simdjson::SUCCESS) return false;
  auto v = parse_fixed(text);
  if (!v) return false;
  *out = *v;
  return true;
}

namespace {

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

VenueReply<VenueOrder> order_from(simdjson::dom::element e) {
  VenueOrder o;
  std::string_view s;
  std::int64_t id = 0;
  if (e["symbol"].get_string().get(s)) return tl::unexpected(unreadable_answer("order without symbol"));
  o.symbol = std::string(s);
  if (e["clientOrderId"].get_string().get(s)) return tl::unexpected(unreadable_answer("order without clientOrderId"));
  o.client_order_id = std::string(s);
  if (e["orderId"].get_int64().get(id)) return tl::unexpected(unreadable_answer("order without orderId"));
  o.exchange_order_id = std::to_string(id);
  if (e["side"].get_string().get(s) || (s != "BUY" && s != "SELL")) return tl::unexpected(unreadable_answer("order without side"));
  o.side = s == "BUY" ? Side::buy : Side::sell;
  if (e["status"].get_string().get(s)) return tl::unexpected(unreadable_answer("order without status"));
  auto status = parse_status(s);
  if (!status) return tl::unexpected(unreadable_answer(fmt::format("order status {}", s)));
  o.status = *status;
  if (!fixed_field(e, "origQty", &o.orig_qty) || !fixed_field(e, "executedQty", &o.executed_qty) ||
      !(fixed_field(e, "cummulativeQuoteQty", &o.quote_qty) || fixed_field(e, "cumQuote", &o.quote_qty)))
    return tl::unexpected(unreadable_answer("order quantities"));
  std::int64_t t = 0;
  if (!e["updateTime"].get_int64().get(t) || !e["transactTime"].get_int64().get(t)) o.update_ms = t;
  simdjson::dom::array fills;
  if (!e["fills"].get_array().get(fills)) {
    for (simdjson::dom::element f : fills) {
      VenueFill fill;
      std::uint64_t trade = 0;
      if (!fixed_field(f, "price", &fill.price) || !fixed_field(f, "qty", &fill.qty) ||
          !fixed_field(f, "commission", &fill.commission) || f["commissionAsset"].get_string().get(s))
        return tl::unexpected(unreadable_answer("order fill"));
      fill.commission_asset = std::string(s);
      if (!f["tradeId"].get_uint64().get(trade)) fill.trade_id = trade;
      o.fills.push_back(std::move(fill));
    }
  }
  return o;
}

VenueReply<SymbolRules> rules_from(simdjson::dom::element doc, const std::string& symbol) {
  simdjson::dom::array symbols;
  if (doc["symbols"].get_array().get(symbols)) return tl::unexpected(unreadable_answer("exchange info without symbols"));
  for (simdjson::dom::element e : symbols) {
    std::string_view name;
    if (e["symbol"].get_string().get(name) || name != symbol) continue;
    SymbolRules r;
    r.symbol = symbol;
    simdjson::dom::array filters;
    if (e["filters"].get_array().get(filters)) return tl::unexpected(unreadable_answer("symbol without filters"));
    for (simdjson::dom::element f : filters) {
      std::string_view type;
      if (f["filterType"].get_string().get(type)) return tl::unexpected(unreadable_answer("filter without filterType"));
      bool read = true;
      if (type == "LOT_SIZE")
        read = fixed_field(f, "stepSize", &r.step_size) && fixed_field(f, "minQty", &r.min_qty) &&
               fixed_field(f, "maxQty", &r.max_qty);
      else if (type == "PRICE_FILTER")
        read = fixed_field(f, "tickSize", &r.tick_size);
      else if (type == "NOTIONAL" || type == "MIN_NOTIONAL")  // spot's older name; USDⓈ-M's, with "notional"
        read = fixed_field(f, "minNotional", &r.min_notional) || fixed_field(f, "notional", &r.min_notional);
      if (!read) return tl::unexpected(unreadable_answer(fmt::format("{} filter of {}", type, symbol)));
    }
    return r;
  }
  return tl::unexpected(VenueFailure{VenueFailure::Kind::rejected, 400, -1121, "Invalid symbol.", 0});
}

// What a client order id or symbol could hold ([A-Za-z0-9._-]), safe in a query anyway.
std::string encode(std::string_view v) { return percent_encode(v); }

}  // namespace

VenueReply<VenueOrder> parse_order(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  if (parser.parse(simdjson::padded_string(json)).get(e)) return tl::unexpected(unreadable_answer("not JSON"));
  return order_from(e);
}

namespace {

VenueReply<std::vector<VenuePosition>> positions_from(simdjson::dom::element doc) {
  simdjson::dom::array list;
  if (doc.get_array().get(list)) return tl::unexpected(unreadable_answer("positions: not a list"));
  std::vector<VenuePosition> out;
  for (simdjson::dom::element e : list) {
    VenuePosition p;
    std::string_view symbol, leverage;
    if (e["symbol"].get_string().get(symbol) || !fixed_field(e, "positionAmt", &p.qty) ||
        !fixed_field(e, "entryPrice", &p.entry_price) || !fixed_field(e, "markPrice", &p.mark_price) ||
        !fixed_field(e, "unRealizedProfit", &p.unrealized_pnl) || e["leverage"].get_string().get(leverage))
      return tl::unexpected(unreadable_answer("position"));
    // The whole text a leverage Binance can set (1..125): "20x" or "" is an unreadable answer, not 20 or 0.
    const auto [end, ec] = std::from_chars(leverage.data(), leverage.data() + leverage.size(), p.leverage);
    if (ec != std::errc{} || end != leverage.data() + leverage.size() || p.leverage < 1 || p.leverage > 125)
      return tl::unexpected(unreadable_answer(fmt::format("position of {}: leverage \"{}\"", symbol, leverage)));
    p.symbol = std::string(symbol);
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace

VenueReply<std::vector<VenuePosition>> parse_positions(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  if (parser.parse(simdjson::padded_string(json)).get(e)) return tl::unexpected(unreadable_answer("not JSON"));
  return positions_from(e);
}

namespace {

// Where each call goes on each of Binance's APIs.
struct Paths {
  const char *time, *order, *trades, *open_orders, *exchange_info, *ticker_price, *klines;
};
constexpr Paths kSpotPaths{"/api/v3/time",         "/api/v3/order",        "/api/v3/myTrades", "/api/v3/openOrders",
                           "/api/v3/exchangeInfo", "/api/v3/ticker/price", "/api/v3/klines"};
constexpr Paths kUsdmPaths{"/fapi/v1/time",         "/fapi/v1/order",        "/fapi/v1/userTrades", "/fapi/v1/openOrders",
                           "/fapi/v1/exchangeInfo", "/fapi/v1/ticker/price", "/fapi/v1/klines"};

VenueReply<std::vector<Kline>> klines_from(simdjson::dom::element doc, const std::string& symbol,
                                           std::uint32_t interval_s, std::int64_t now_ms) {
  simdjson::dom::array rows;
  if (doc.get_array().get(rows)) return tl::unexpected(unreadable_answer("klines: not a list"));
  std::vector<Kline> out;
  for (simdjson::dom::element row : rows) {
    simdjson::dom::array a;
    if (row.get_array().get(a) || a.size() < 11)
      return tl::unexpected(unreadable_answer(fmt::format("kline {} of {}: not a list of 11 or more", out.size() + 1, symbol)));
    Kline k;
    k.symbol = symbol;
    k.interval_s = interval_s;
    auto number = [&](std::size_t i, std::int64_t& v) { return !a.at(i).get_int64().get(v); };
    auto decimal = [&](std::size_t i, std::int64_t& v) {
      std::string_view text;
      if (a.at(i).get_string().get(text)) return false;
      const auto parsed = parse_fixed(text);
      if (parsed) v = *parsed;
      return parsed.has_value();
    };
    std::int64_t trades = 0;
    if (!number(0, k.open_time_ms) || !decimal(1, k.open) || !decimal(2, k.high) || !decimal(3, k.low) ||
        !decimal(4, k.close) || !decimal(5, k.volume) || !number(6, k.close_time_ms) || !decimal(7, k.quote_volume) ||
        !number(8, trades) || trades < 0 || !decimal(9, k.taker_buy_volume) || !decimal(10, k.taker_buy_quote_volume))
      return tl::unexpected(unreadable_answer(fmt::format("kline {} of {}: a field is missing or not a number", out.size() + 1, symbol)));
    if (k.close_time_ms < k.open_time_ms || (!out.empty() && k.open_time_ms <= out.back().open_time_ms))
      return tl::unexpected(unreadable_answer(fmt::format("kline {} of {}: times out of order", out.size() + 1, symbol)));
    k.trades = static_cast<std::uint64_t>(trades);
    k.closed = k.close_time_ms < now_ms;
    k.exchange_ts_ms = k.close_time_ms;  // a history kline has no event time: it is known once over
    k.history = true;
    out.push_back(std::move(k));
  }
  return out;
}

}  // namespace

std::span<const KlineInterval> kline_intervals() {
  static constexpr KlineInterval kIntervals[] = {
      {1, "1s"},       {60, "1m"},     {180, "3m"},     {300, "5m"},     {900, "15m"},     {1800, "30m"},
      {3600, "1h"},    {7200, "2h"},   {14400, "4h"},   {21600, "6h"},   {28800, "8h"},    {43200, "12h"},
      {86400, "1d"},   {259200, "3d"}, {604800, "1w"}};
  return kIntervals;
}

std::string interval_name(std::uint32_t seconds) {
  for (const auto& i : kline_intervals())
    if (i.seconds == seconds) return i.name;
  return "";
}

VenueReply<std::vector<Kline>> parse_klines(std::string_view json, const std::string& symbol, std::uint32_t interval_s,
                                            std::int64_t now_ms) {
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  if (parser.parse(simdjson::padded_string(json)).get(e)) return tl::unexpected(unreadable_answer("not JSON"));
  return klines_from(e, symbol, interval_s, now_ms);
}

VenueReply<SymbolRules> parse_symbol_rules(std::string_view json, const std::string& symbol) {
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  if (parser.parse(simdjson::padded_string(json)).get(e)) return tl::unexpected(unreadable_answer("not JSON"));
  return rules_from(e, symbol);
}

struct RestVenue::Impl {
  RestVenueOptions options;
  const Paths* paths = &kSpotPaths;
  bool usdm() const { return options.market == Market::usdm; }
  // USDⓈ-M: "BTCUSDT@binance_usdm" (or bare) to the venue's "BTCUSDT", and back.
  std::string at_venue(const std::string& symbol) const {
    const std::string_view suffix = "@binance_usdm";
    return usdm() && symbol.size() > suffix.size() && symbol.ends_with(suffix)
               ? symbol.substr(0, symbol.size() - suffix.size())
               : symbol;
  }
  std::string instrument(const std::string& venue_symbol) const {
    return usdm() ? instrument_name(VenueId::binance_usdm, venue_symbol) : venue_symbol;
  }
  // An order as the node names its instrument.
  VenueReply<VenueOrder> read_order(simdjson::dom::element e) const {
    auto o = order_from(e);
    if (o) o->symbol = instrument(o->symbol);
    return o;
  }
  std::unique_ptr<net::HttpsClient> http;
  // The venue's clock minus ours; shared with the user stream's signer (another thread).
  std::shared_ptr<std::atomic<std::int64_t>> offset_ms = std::make_shared<std::atomic<std::int64_t>>(0);
  std::int64_t used_weight = 0;
  simdjson::dom::parser parser;

  // One request; `signed_` adds timestamp, recvWindow and the signature. The answer's
  // JSON is handed to `read` when the status is 2xx.
  template <class T, class Read>
  VenueReply<T> call(const char* method, const char* path, std::string query, bool signed_, Read&& read) {
    net::HttpRequest req;
    req.method = method;
    if (signed_) {
      query += fmt::format("{}timestamp={}&recvWindow={}", query.empty() ? "" : "&", wall_ms() + offset_ms->load(),
                           options.recv_window_ms);
      query += "&signature=" + credentials::hmac_sha256_hex(options.credentials.api_secret, query);
      req.headers["X-MBX-APIKEY"] = options.credentials.api_key;
    }
    req.target = query.empty() ? std::string(path) : fmt::format("{}?{}", path, query);
    auto out = http->send(req);
    using K = net::HttpOutcome::Kind;
    if (out.kind == K::not_sent)
      return tl::unexpected(VenueFailure{VenueFailure::Kind::unavailable, 0, 0, out.error, 0});
    if (out.kind == K::no_answer)
      return tl::unexpected(VenueFailure{VenueFailure::Kind::unknown, 0, 0, out.error, 0});
    const auto& res = out.response;
    if (auto w = res.header("x-mbx-used-weight-1m"); !w.empty()) used_weight = std::strtoll(w.c_str(), nullptr, 10);
    simdjson::dom::element doc;
    const bool json = !parser.parse(simdjson::padded_string(res.body)).get(doc);
    if (res.status == 429 || res.status == 418) {
      return tl::unexpected(VenueFailure{VenueFailure::Kind::rate_limited, res.status, 0,
                                         res.status == 418 ? "IP banned for too many requests" : "too many requests",
                                         res.retry_after_ms()});
    }
    if (res.status >= 200 && res.status < 300) {
      if (!json) return tl::unexpected(unreadable_answer(fmt::format("{} {}: not JSON", method, path)));
      return read(doc);
    }
    VenueFailure f;
    f.http_status = res.status;
    // 5xx: Binance says the request may or may not have been executed.
    f.kind = res.status >= 500 ? VenueFailure::Kind::unknown : VenueFailure::Kind::rejected;
    std::int64_t code = 0;
    std::string_view msg;
    if (json && !doc["code"].get_int64().get(code) && !doc["msg"].get_string().get(msg)) {
      f.code = static_cast<int>(code);
      f.message = std::string(msg);
    } else {
      f.message = fmt::format("HTTP {}", res.status);
    }
    return tl::unexpected(f);
  }
};

RestVenue::RestVenue(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RestVenue::~RestVenue() = default;

Result<std::unique_ptr<RestVenue>> RestVenue::create(RestVenueOptions options) {
  auto http = net::HttpsClient::create(options.base_url, options.ca_file, options.timeout);
  if (!http) return tl::unexpected(http.error());
  auto impl = std::make_unique<Impl>();
  impl->paths = options.market == Market::usdm ? &kUsdmPaths : &kSpotPaths;
  impl->options = std::move(options);
  impl->http = std::move(*http);
  return std::unique_ptr<RestVenue>(new RestVenue(std::move(impl)));
}

std::int64_t RestVenue::used_weight() const { return impl_->used_weight; }

std::string RestVenue::name() const { return impl_->usdm() ? "binance_usdm" : "binance"; }

std::unique_ptr<VenueUpdates> RestVenue::updates() {
  const auto& o = impl_->options;
  if (o.ws_api_url.empty() || impl_->usdm()) return nullptr;  // USDⓈ-M: polling (its user stream is not built)
  UserStreamOptions u;
  u.url = o.ws_api_url;
  u.ca_file = o.ca_file;
  u.credentials = o.credentials;
  u.recv_window_ms = o.recv_window_ms;
  u.venue_time_ms = [offset = impl_->offset_ms] { return wall_ms() + offset->load(); };
  return make_user_stream(std::move(u));
}

VenueReply<std::int64_t> RestVenue::sync_time() {
  const std::int64_t before = wall_ms();
  return impl_->call<std::int64_t>("GET", impl_->paths->time, "", false,
                                   [&](simdjson::dom::element doc) -> VenueReply<std::int64_t> {
                                     std::int64_t server = 0;
                                     if (doc["serverTime"].get_int64().get(server))
                                       return tl::unexpected(unreadable_answer("time without serverTime"));
                                     const std::int64_t after = wall_ms();
                                     const std::int64_t offset = server - (before + after) / 2;
                                     impl_->offset_ms->store(offset);
                                     return offset;
                                   });
}

VenueReply<VenueOrder> RestVenue::place(const OrderRequest& r) {
  // Spot answers with the fills (FULL); USDⓈ-M has no such answer: RESULT, fills from userTrades.
  std::string q = fmt::format("symbol={}&side={}&type={}&quantity={}&newClientOrderId={}&newOrderRespType={}",
                              encode(impl_->at_venue(r.symbol)), r.side == Side::buy ? "BUY" : "SELL",
                              r.type == OrderType::limit ? "LIMIT" : "MARKET", format_fixed(r.qty),
                              encode(r.client_order_id), impl_->usdm() ? "RESULT" : "FULL");
  if (r.reduce_only && impl_->usdm()) q += "&reduceOnly=true";
  if (r.type == OrderType::limit) {
    const char* tif = r.time_in_force == TimeInForce::ioc ? "IOC" : r.time_in_force == TimeInForce::fok ? "FOK" : "GTC";
    q += fmt::format("&price={}&timeInForce={}", format_fixed(r.limit_price), tif);
  }
  return impl_->call<VenueOrder>("POST", impl_->paths->order, std::move(q), true, [this](simdjson::dom::element e) { return impl_->read_order(e); });
}

VenueReply<VenueOrder> RestVenue::cancel(const std::string& symbol, const std::string& client_order_id) {
  return impl_->call<VenueOrder>("DELETE", impl_->paths->order,
                                 fmt::format("symbol={}&origClientOrderId={}", encode(impl_->at_venue(symbol)), encode(client_order_id)),
                                 true, [this](simdjson::dom::element e) { return impl_->read_order(e); });
}

VenueReply<VenueOrder> RestVenue::query(const std::string& symbol, const std::string& client_order_id) {
  return impl_->call<VenueOrder>("GET", impl_->paths->order,
                                 fmt::format("symbol={}&origClientOrderId={}", encode(impl_->at_venue(symbol)), encode(client_order_id)),
                                 true, [this](simdjson::dom::element e) { return impl_->read_order(e); });
}

VenueReply<std::vector<VenueFill>> RestVenue::trades(const std::string& symbol, const std::string& exchange_order_id) {
  return impl_->call<std::vector<VenueFill>>(
      "GET", impl_->paths->trades, fmt::format("symbol={}&orderId={}", encode(impl_->at_venue(symbol)), encode(exchange_order_id)), true,
      [](simdjson::dom::element doc) -> VenueReply<std::vector<VenueFill>> {
        simdjson::dom::array list;
        if (doc.get_array().get(list)) return tl::unexpected(unreadable_answer("trades: not a list"));
        std::vector<VenueFill> out;
        for (simdjson::dom::element e : list) {
          VenueFill f;
          std::string_view asset;
          if (e["id"].get_uint64().get(f.trade_id) || !fixed_field(e, "price", &f.price) || !fixed_field(e, "qty", &f.qty) ||
              !fixed_field(e, "commission", &f.commission) || e["commissionAsset"].get_string().get(asset))
            return tl::unexpected(unreadable_answer("trade"));
          f.commission_asset = std::string(asset);
          out.push_back(std::move(f));
        }
        return out;
      });
}

VenueReply<std::vector<VenueOrder>> RestVenue::open_orders() {
  return impl_->call<std::vector<VenueOrder>>(
      "GET", impl_->paths->open_orders, "", true, [this](simdjson::dom::element doc) -> VenueReply<std::vector<VenueOrder>> {
        simdjson::dom::array list;
        if (doc.get_array().get(list)) return tl::unexpected(unreadable_answer("open orders: not a list"));
        std::vector<VenueOrder> out;
        for (simdjson::dom::element e : list) {
          auto o = impl_->read_order(e);
          if (!o) return tl::unexpected(o.error());
          out.push_back(std::move(*o));
        }
        return out;
      });
}

VenueReply<std::vector<VenueBalance>> RestVenue::balances() {
  if (impl_->usdm())  // the wallet: what is free to margin, and what margin holds
    return impl_->call<std::vector<VenueBalance>>(
        "GET", "/fapi/v2/balance", "", true, [](simdjson::dom::element doc) -> VenueReply<std::vector<VenueBalance>> {
          simdjson::dom::array list;
          if (doc.get_array().get(list)) return tl::unexpected(unreadable_answer("balance: not a list"));
          std::vector<VenueBalance> out;
          for (simdjson::dom::element e : list) {
            VenueBalance b;
            std::string_view asset;
            std::int64_t wallet = 0;
            if (e["asset"].get_string().get(asset) || !fixed_field(e, "balance", &wallet) ||
                !fixed_field(e, "availableBalance", &b.free))
              return tl::unexpected(unreadable_answer("futures balance"));
            if (wallet == 0 && b.free == 0) continue;  // as spot's omitZeroBalances
            b.asset = std::string(asset);
            b.locked = std::max<std::int64_t>(0, wallet - b.free);
            out.push_back(std::move(b));
          }
          return out;
        });
  return impl_->call<std::vector<VenueBalance>>(
      "GET", "/api/v3/account", "omitZeroBalances=true", true,
      [](simdjson::dom::element doc) -> VenueReply<std::vector<VenueBalance>> {
        simdjson::dom::array list;
        if (doc["balances"].get_array().get(list)) return tl::unexpected(unreadable_answer("account without balances"));
        std::vector<VenueBalance> out;
        for (simdjson::dom::element e : list) {
          VenueBalance b;
          std::string_view asset;
          if (e["asset"].get_string().get(asset) || !fixed_field(e, "free", &b.free) || !fixed_field(e, "locked", &b.locked))
            return tl::unexpected(unreadable_answer("account balance"));
          b.asset = std::string(asset);
          out.push_back(std::move(b));
        }
        return out;
      });
}

VenueReply<SymbolRules> RestVenue::rules(const std::string& symbol) {
  // USDⓈ-M's exchangeInfo takes no symbol: it lists every one.
  return impl_->call<SymbolRules>("GET", impl_->paths->exchange_info, impl_->usdm() ? "" : "symbol=" + encode(impl_->at_venue(symbol)), false,
                                  [&](simdjson::dom::element doc) -> VenueReply<SymbolRules> {
                                    auto r = rules_from(doc, impl_->at_venue(symbol));
                                    if (r) r->symbol = symbol;
                                    return r;
                                  });
}

VenueReply<std::int64_t> RestVenue::price(const std::string& symbol) {
  return impl_->call<std::int64_t>("GET", impl_->paths->ticker_price, "symbol=" + encode(impl_->at_venue(symbol)), false,
                                   [&](simdjson::dom::element doc) -> VenueReply<std::int64_t> {
                                     std::int64_t price = 0;
                                     std::string_view name;
                                     if (doc["symbol"].get_string().get(name) || name != impl_->at_venue(symbol) ||
                                         !fixed_field(doc, "price", &price) || price <= 0)
                                       return tl::unexpected(unreadable_answer("ticker price of " + symbol));
                                     return price;
                                   });
}

VenueReply<std::vector<Kline>> RestVenue::klines(const std::string& symbol, std::uint32_t interval_s,
                                                 std::int64_t start_ms, std::int64_t end_ms, int limit,
                                                 std::int64_t now_ms) {
  const std::string name = interval_name(interval_s);
  if (name.empty())
    return tl::unexpected(VenueFailure{VenueFailure::Kind::rejected, 0, 0,
                                       fmt::format("Binance has no kline interval of {} s", interval_s), 0});
  return impl_->call<std::vector<Kline>>(
      "GET", impl_->paths->klines,
      fmt::format("symbol={}&interval={}&startTime={}&endTime={}&limit={}", encode(impl_->at_venue(symbol)), name, start_ms, end_ms, limit),
      false, [&](simdjson::dom::element doc) { return klines_from(doc, symbol, interval_s, now_ms); });
}

VenueReply<std::vector<VenuePosition>> RestVenue::positions() {
  if (!impl_->usdm()) return std::vector<VenuePosition>{};  // spot holds assets, no positions
  return impl_->call<std::vector<VenuePosition>>("GET", "/fapi/v2/positionRisk", "", true,
                                                 [this](simdjson::dom::element doc) {
                                                   auto list = positions_from(doc);
                                                   if (list)
                                                     for (auto& p : *list) p.symbol = impl_->instrument(p.symbol);
                                                   return list;
                                                 });
}

VenueReply<int> RestVenue::set_margin(const std::string& symbol, futures::MarginMode mode, int leverage) {
  if (!impl_->usdm()) return Venue::set_margin(symbol, mode, leverage);  // spot: refused
  // The margin type is the account's per symbol, and a new account's is CROSSED: set it,
  // every start. -4046 "No need to change margin type." is success; with a position or
  // open orders in the other type Binance refuses (-4048, -4047), and so does the start.
  const char* type = mode == futures::MarginMode::cross ? "CROSSED" : "ISOLATED";
  auto set = impl_->call<bool>("POST", "/fapi/v1/marginType",
                               fmt::format("symbol={}&marginType={}", encode(impl_->at_venue(symbol)), type), true,
                               [](simdjson::dom::element) -> VenueReply<bool> { return true; });
  if (!set && !(set.error().kind == VenueFailure::Kind::rejected && set.error().code == -4046))
    return tl::unexpected(set.error());
  return impl_->call<int>("POST", "/fapi/v1/leverage", fmt::format("symbol={}&leverage={}", encode(impl_->at_venue(symbol)), leverage),
                          true, [&](simdjson::dom::element doc) -> VenueReply<int> {
                            std::int64_t set = 0;
                            if (doc["leverage"].get_int64().get(set)) return tl::unexpected(unreadable_answer("leverage"));
                            return static_cast<int>(set);
                          });
}

}  // namespace trader::binance
