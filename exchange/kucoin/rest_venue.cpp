#include "exchange/kucoin/rest_venue.hpp"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>
#include <simdjson.h>

#include "base/percent_encoding.hpp"
#include "exchange/kucoin/rest_session.hpp"
#include "messages/fixed_point.hpp"
#include "messages/instrument.hpp"
#include "messages/message_json.hpp"

namespace trader::kucoin {
namespace {
namespace dom = simdjson::dom;

VenueFailure refused(std::string message, int code = 0) {
  return VenueFailure{VenueFailure::Kind::rejected, 0, code, std::move(message), 0};
}

std::string string_field(dom::element e, std::string_view key) {
  std::string_view s;
  return e[key].get_string().get(s) == simdjson::SUCCESS ? std::string(s) : std::string();
}

bool fixed_field(dom::element e, std::string_view key, std::int64_t* out) {
  const auto v = parse_fixed(string_field(e, key));
  if (!v) return false;
  *out = *v;
  return true;
}

bool bool_field(dom::element e, std::string_view key, bool* out) { return e[key].get_bool().get(*out) == simdjson::SUCCESS; }

bool int_field(dom::element e, std::string_view key, std::int64_t* out) {
  if (e[key].get_int64().get(*out) == simdjson::SUCCESS) return true;
  std::uint64_t u = 0;
  if (e[key].get_uint64().get(u) == simdjson::SUCCESS && u <= static_cast<std::uint64_t>(INT64_MAX)) {
    *out = static_cast<std::int64_t>(u);
    return true;
  }
  const std::string text = string_field(e, key);  // some ids come as strings
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

// "BTC-USDT@kucoin" (or a bare "BTC-USDT") -> "BTC-USDT"; anything else is not KuCoin's.
tl::expected<std::string, VenueFailure> symbol_of(const std::string& symbol) {
  const std::string text = symbol.find('@') == std::string::npos ? symbol + "@kucoin" : symbol;
  auto i = parse_instrument(text);
  if (!i || i->venue != VenueId::kucoin)
    return tl::unexpected(refused(fmt::format("{} is not a KuCoin instrument (e.g. BTC-USDT@kucoin)", symbol)));
  return i->symbol;
}

std::string instrument_of(std::string_view symbol) { return instrument_name(VenueId::kucoin, symbol); }

VenueReply<VenueOrder> order_from(dom::element e) {
  VenueOrder o;
  o.exchange_order_id = string_field(e, "id");
  o.client_order_id = string_field(e, "clientOid");
  const std::string symbol = string_field(e, "symbol"), side = string_field(e, "side");
  if (o.exchange_order_id.empty() || symbol.empty()) return tl::unexpected(unreadable_answer("order without id or symbol"));
  o.symbol = instrument_of(symbol);
  if (side != "buy" && side != "sell")
    return tl::unexpected(unreadable_answer(fmt::format("order {} side \"{}\"", o.exchange_order_id, side)));
  o.side = side == "buy" ? Side::buy : Side::sell;
  bool active = false, canceled = false;
  if (!fixed_field(e, "size", &o.orig_qty) || !fixed_field(e, "dealSize", &o.executed_qty) ||
      !fixed_field(e, "dealFunds", &o.quote_qty) || !bool_field(e, "active", &active))
    return tl::unexpected(unreadable_answer(fmt::format("order {}: size, dealSize, dealFunds or active", o.exchange_order_id)));
  if (!bool_field(e, "cancelExist", &canceled)) canceled = false;
  if (active) o.status = o.executed_qty > 0 ? VenueOrderStatus::partially_filled : VenueOrderStatus::open;
  else if (canceled) o.status = VenueOrderStatus::canceled;  // by us, or the unfilled rest of an IOC/FOK
  else if (o.executed_qty > 0) o.status = VenueOrderStatus::filled;
  else o.status = VenueOrderStatus::expired;
  if (o.orig_qty == 0) o.orig_qty = o.executed_qty;  // a market buy by funds: what it bought is its size
  if (!int_field(e, "lastUpdatedAt", &o.update_ms)) (void)int_field(e, "createdAt", &o.update_ms);
  return o;
}

VenueReply<SymbolRules> rules_from(dom::element e) {
  const std::string symbol = string_field(e, "symbol");
  if (symbol.empty()) return tl::unexpected(unreadable_answer("symbol without symbol"));
  SymbolRules r;
  r.symbol = instrument_of(symbol);
  if (!fixed_field(e, "baseIncrement", &r.step_size) || !fixed_field(e, "baseMinSize", &r.min_qty) ||
      !fixed_field(e, "priceIncrement", &r.tick_size))
    return tl::unexpected(unreadable_answer(fmt::format("symbol {}: baseIncrement, baseMinSize or priceIncrement", symbol)));
  if (!fixed_field(e, "baseMaxSize", &r.max_qty)) r.max_qty = 0;
  // minFunds: the smallest order value; older answers have only quoteMinSize.
  if (!fixed_field(e, "minFunds", &r.min_notional) && !fixed_field(e, "quoteMinSize", &r.min_notional)) r.min_notional = 0;
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

VenueReply<SymbolRules> parse_symbol_rules(std::string_view json) {
  dom::parser parser;
  dom::element e;
  if (parser.parse(simdjson::padded_string(json)).get(e)) return tl::unexpected(unreadable_answer("not JSON"));
  return rules_from(e);
}

struct RestVenue::Impl {
  std::unique_ptr<RestSession> session;

  template <class T, class Read>
  VenueReply<T> call(const char* method, const std::string& path, const std::string& query, const std::string& body,
                     bool signed_, Read&& read) {
    return session->call<T>(method, path, query, body, signed_, std::forward<Read>(read));
  }

  VenueReply<VenueOrder> order(const std::string& symbol, const std::string& client_order_id) {
    return call<VenueOrder>("GET", "/api/v1/hf/orders/client-order/" + percent_encode(client_order_id),
                            "symbol=" + percent_encode(symbol), "", true, order_from);
  }

  VenueReply<std::vector<VenueOrder>> active(const std::string& symbol) {
    return call<std::vector<VenueOrder>>("GET", "/api/v1/hf/orders/active", "symbol=" + percent_encode(symbol), "", true,
                                         [](dom::element data) -> VenueReply<std::vector<VenueOrder>> {
                                           dom::array list;
                                           if (data.get_array().get(list)) return std::vector<VenueOrder>{};  // null: none
                                           std::vector<VenueOrder> out;
                                           for (dom::element e : list) {
                                             auto o = order_from(e);
                                             if (!o) return tl::unexpected(o.error());
                                             out.push_back(std::move(*o));
                                           }
                                           return out;
                                         });
  }
};

RestVenue::RestVenue(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RestVenue::~RestVenue() = default;

Result<std::unique_ptr<RestVenue>> RestVenue::create(RestVenueOptions options) {
  auto session = RestSession::create(std::move(options));
  if (!session) return tl::unexpected(session.error());
  auto impl = std::make_unique<Impl>();
  impl->session = std::move(*session);
  return std::unique_ptr<RestVenue>(new RestVenue(std::move(impl)));
}

std::int64_t RestVenue::used_weight() const { return impl_->session->used_weight(); }

VenueReply<std::int64_t> RestVenue::sync_time() { return impl_->session->sync_time(); }

VenueReply<VenueOrder> RestVenue::place(const OrderRequest& r) {
  auto symbol = symbol_of(r.symbol);
  if (!symbol) return tl::unexpected(symbol.error());
  std::string body = fmt::format(R"({{"clientOid":{},"symbol":{},"side":"{}","type":"{}","size":"{}")",
                                 json_text(r.client_order_id), json_text(*symbol), r.side == Side::buy ? "buy" : "sell",
                                 r.type == OrderType::market ? "market" : "limit", format_fixed(r.qty));
  if (r.type != OrderType::market)
    body += fmt::format(R"(,"price":"{}","timeInForce":"{}")", format_fixed(r.limit_price),
                        r.time_in_force == TimeInForce::ioc   ? "IOC"
                        : r.time_in_force == TimeInForce::fok ? "FOK"
                                                              : "GTC");
  body += "}";
  auto id = impl_->call<std::string>("POST", "/api/v1/hf/orders", "", body, true, [](dom::element data) -> VenueReply<std::string> {
    std::string order_id = string_field(data, "orderId");
    if (order_id.empty()) return tl::unexpected(unreadable_answer("order answer without orderId"));
    return order_id;
  });
  if (!id) return tl::unexpected(id.error());
  // Its state now (a market order has filled); if that cannot be read, it is placed and
  // open as far as we know, and the next poll reads the rest.
  if (auto now = impl_->order(*symbol, r.client_order_id)) return now;
  return placed_unread(r, *id, instrument_of(*symbol));
}

VenueReply<VenueOrder> RestVenue::query(const std::string& symbol, const std::string& client_order_id) {
  auto s = symbol_of(symbol);
  if (!s) return tl::unexpected(s.error());
  return impl_->order(*s, client_order_id);
}

VenueReply<VenueOrder> RestVenue::cancel(const std::string& symbol, const std::string& client_order_id) {
  auto s = symbol_of(symbol);
  if (!s) return tl::unexpected(s.error());
  auto canceled = impl_->call<bool>("DELETE", "/api/v1/hf/orders/client-order/" + percent_encode(client_order_id),
                                    "symbol=" + percent_encode(*s), "", true, [](dom::element) -> VenueReply<bool> { return true; });
  if (!canceled) return tl::unexpected(canceled.error());
  return impl_->order(*s, client_order_id);
}

VenueReply<std::vector<VenueFill>> RestVenue::trades(const std::string& symbol, const std::string& exchange_order_id) {
  auto s = symbol_of(symbol);
  if (!s) return tl::unexpected(s.error());
  return impl_->call<std::vector<VenueFill>>(
      "GET", "/api/v1/hf/fills", "symbol=" + percent_encode(*s) + "&orderId=" + percent_encode(exchange_order_id), "", true,
      [&](dom::element data) -> VenueReply<std::vector<VenueFill>> {
        dom::array items;
        if (data["items"].get_array().get(items)) return std::vector<VenueFill>{};  // null: none
        std::vector<VenueFill> out;
        for (dom::element e : items) {
          VenueFill f;
          std::int64_t trade = 0;
          if (!int_field(e, "tradeId", &trade) || trade < 0 || !fixed_field(e, "price", &f.price) ||
              !fixed_field(e, "size", &f.qty) || !fixed_field(e, "fee", &f.commission))
            return tl::unexpected(unreadable_answer(fmt::format("a fill of order {}", exchange_order_id)));
          f.trade_id = static_cast<std::uint64_t>(trade);
          f.commission_asset = string_field(e, "feeCurrency");
          out.push_back(std::move(f));
        }
        // Oldest first, as the order path books them (KuCoin lists the newest first).
        std::sort(out.begin(), out.end(), [](const VenueFill& a, const VenueFill& b) { return a.trade_id < b.trade_id; });
        return out;
      });
}

VenueReply<std::vector<VenueOrder>> RestVenue::open_orders() {
  auto symbols = impl_->call<std::vector<std::string>>(
      "GET", "/api/v1/hf/orders/active/symbols", "", "", true, [](dom::element data) -> VenueReply<std::vector<std::string>> {
        dom::array list;
        std::vector<std::string> out;
        if (data["symbols"].get_array().get(list)) return out;
        for (dom::element e : list) {
          std::string_view s;
          if (e.get_string().get(s)) return tl::unexpected(unreadable_answer("active symbols: not a list of names"));
          out.emplace_back(s);
        }
        return out;
      });
  if (!symbols) return tl::unexpected(symbols.error());
  std::vector<VenueOrder> out;
  for (const auto& s : *symbols) {
    auto some = impl_->active(s);
    if (!some) return tl::unexpected(some.error());
    for (auto& o : *some) out.push_back(std::move(o));
  }
  return out;
}

VenueReply<std::vector<VenueBalance>> RestVenue::balances() {
  return impl_->call<std::vector<VenueBalance>>(
      "GET", "/api/v1/accounts", "type=trade", "", true, [](dom::element data) -> VenueReply<std::vector<VenueBalance>> {
        dom::array list;
        if (data.get_array().get(list)) return tl::unexpected(unreadable_answer("accounts: not a list"));
        std::vector<VenueBalance> out;
        for (dom::element e : list) {
          VenueBalance b;
          b.asset = string_field(e, "currency");
          if (b.asset.empty() || !fixed_field(e, "available", &b.free) || !fixed_field(e, "holds", &b.locked))
            return tl::unexpected(unreadable_answer("an account's currency, available or holds"));
          if (b.free != 0 || b.locked != 0) out.push_back(std::move(b));
        }
        return out;
      });
}

VenueReply<SymbolRules> RestVenue::rules(const std::string& symbol) {
  auto s = symbol_of(symbol);
  if (!s) return tl::unexpected(s.error());
  return impl_->call<SymbolRules>("GET", "/api/v2/symbols/" + percent_encode(*s), "", "", false, rules_from);
}

VenueReply<std::int64_t> RestVenue::price(const std::string& symbol) {
  auto s = symbol_of(symbol);
  if (!s) return tl::unexpected(s.error());
  return impl_->call<std::int64_t>("GET", "/api/v1/market/orderbook/level1", "symbol=" + percent_encode(*s), "", false,
                                   [&](dom::element data) -> VenueReply<std::int64_t> {
                                     std::int64_t price = 0;
                                     if (!fixed_field(data, "price", &price) || price <= 0)
                                       return tl::unexpected(unreadable_answer("price of " + *s));
                                     return price;
                                   });
}

VenueReply<std::vector<Kline>> RestVenue::klines(const std::string&, std::uint32_t, std::int64_t, std::int64_t, int,
                                                 std::int64_t) {
  return tl::unexpected(refused("klines are not read from KuCoin (history warm-up reads Binance's)"));
}

}  // namespace trader::kucoin
