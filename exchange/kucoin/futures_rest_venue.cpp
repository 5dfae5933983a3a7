#include "exchange/kucoin/futures_rest_venue.hpp"

#include <algorithm>
#include <map>
#include <optional>

#include <fmt/format.h>
#include <simdjson.h>

#include "base/percent_encoding.hpp"
#include "exchange/kucoin/number_fields.hpp"
#include "exchange/kucoin/rest_session.hpp"
#include "messages/fixed_point.hpp"
#include "messages/instrument.hpp"
#include "messages/message_json.hpp"

namespace trader::kucoin {
namespace {
namespace dom = simdjson::dom;
namespace sj = simdjson;

VenueFailure refused(std::string message) { return VenueFailure{VenueFailure::Kind::rejected, 0, 0, std::move(message), 0}; }

// "XBTUSDTM@kucoin_futures" (or a bare "XBTUSDTM") -> "XBTUSDTM"; anything else is not KuCoin Futures'.
tl::expected<std::string, VenueFailure> symbol_of(const std::string& symbol) {
  const std::string text = symbol.find('@') == std::string::npos ? symbol + "@kucoin_futures" : symbol;
  auto i = parse_instrument(text);
  if (!i || i->venue != VenueId::kucoin_futures)
    return tl::unexpected(refused(fmt::format("{} is not a KuCoin Futures instrument (e.g. XBTUSDTM@kucoin_futures)", symbol)));
  return i->symbol;
}

std::string instrument_of(std::string_view symbol) { return instrument_name(VenueId::kucoin_futures, symbol); }

// An optional count (a JSON number or digits in a string: KuCoin writes leverage both
// ways), read after a record's required fields; nullopt when absent, unreadable or beyond
// 64 bits.
std::optional<std::int64_t> optional_count(NumberFields& f, dom::object o, std::string_view key) {
  std::uint64_t n = 0;
  if (!f.number(o, key, n) || n > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
  return static_cast<std::int64_t>(n);
}

VenueReply<FuturesContract> contract_from(dom::element e) {
  NumberFields f;
  dom::object o;
  std::string_view symbol;
  FuturesContract c;
  bool inverse = false;
  if (!f.object(e, "contract", o) || !f.str(o, "symbol", symbol) || !f.decimal(o, "multiplier", c.multiplier) ||
      !f.decimal(o, "tickSize", c.tick_size))
    return tl::unexpected(unreadable_answer("contract: " + f.error));
  c.symbol = std::string(symbol);
  if (o["isInverse"].get_bool().get(inverse) == sj::SUCCESS && inverse)
    return tl::unexpected(refused(c.symbol + " is an inverse contract: only linear (USDT-margined) ones are traded"));
  if (c.multiplier <= 0) return tl::unexpected(unreadable_answer(c.symbol + ": field \"multiplier\": not above 0"));
  const auto lot = optional_count(f, o, "lotSize");
  c.lot_size = lot && *lot > 0 ? *lot : 1;
  c.max_order_lots = optional_count(f, o, "maxOrderQty").value_or(0);
  return c;
}

VenueReply<VenueOrder> order_from(dom::element e, std::int64_t multiplier) {
  NumberFields f;
  dom::object o;
  std::string_view id, symbol, side, client_oid;
  if (!f.object(e, "order", o) || !f.str(o, "id", id) || !f.str(o, "symbol", symbol) || !f.str(o, "side", side))
    return tl::unexpected(unreadable_answer("order: " + f.error));
  VenueOrder out;
  out.exchange_order_id = std::string(id);
  if (o["clientOid"].get_string().get(client_oid) == sj::SUCCESS) out.client_order_id = std::string(client_oid);
  out.symbol = instrument_of(symbol);
  if (side != "buy" && side != "sell") return tl::unexpected(unreadable_answer(fmt::format("order {}: side \"{}\"", id, side)));
  out.side = side == "buy" ? Side::buy : Side::sell;
  bool active = false, canceled = false;
  // filledSize is today's name of the filled lots; older answers have dealSize only.
  const char* filled = o["filledSize"].error() == sj::SUCCESS ? "filledSize" : "dealSize";
  const char* value = o["filledValue"].error() == sj::SUCCESS ? "filledValue" : "dealValue";
  if (!f.lots(o, "size", multiplier, out.orig_qty) || !f.lots(o, filled, multiplier, out.executed_qty) ||
      !f.decimal(o, value, out.quote_qty))
    return tl::unexpected(unreadable_answer(fmt::format("order {}: {}", id, f.error)));
  if (o["isActive"].get_bool().get(active) != sj::SUCCESS)
    return tl::unexpected(unreadable_answer(fmt::format("order {}: field \"isActive\": missing or not a boolean", id)));
  if (o["cancelExist"].get_bool().get(canceled) != sj::SUCCESS) canceled = false;
  if (active) out.status = out.executed_qty > 0 ? VenueOrderStatus::partially_filled : VenueOrderStatus::open;
  else if (canceled) out.status = VenueOrderStatus::canceled;  // by us, or the unfilled rest of an IOC
  else if (out.executed_qty > 0) out.status = VenueOrderStatus::filled;
  else out.status = VenueOrderStatus::expired;
  std::uint64_t ms = 0;
  if (f.number(o, "updatedAt", ms) || f.number(o, "createdAt", ms)) out.update_ms = static_cast<std::int64_t>(ms);
  return out;
}

VenueReply<dom::element> parse_text(dom::parser& parser, std::string_view json) {
  dom::element e;
  if (parser.parse(simdjson::padded_string(json)).get(e)) return tl::unexpected(unreadable_answer("not JSON"));
  return e;
}

// A KuCoin Futures page's items ({"currentPage","totalPage","items":[...]}), and whether
// more pages follow.
bool page_items(dom::element data, dom::array& items, bool& more) {
  std::int64_t current = 1, total = 1;
  if (data["items"].get_array().get(items) != sj::SUCCESS) return false;
  if (data["currentPage"].get_int64().get(current) != sj::SUCCESS) current = 1;
  if (data["totalPage"].get_int64().get(total) != sj::SUCCESS) total = 1;
  more = current < total;
  return true;
}

constexpr int kMaxPages = 100;  // a bound on any listing: 100 pages of 1,000

// KuCoin's name of a margin mode, in requests and answers.
std::string_view margin_mode_name(futures::MarginMode mode) {
  return mode == futures::MarginMode::cross ? "CROSS" : "ISOLATED";
}

}  // namespace

VenueReply<FuturesContract> parse_contract(std::string_view json) {
  dom::parser parser;
  auto e = parse_text(parser, json);
  if (!e) return tl::unexpected(e.error());
  return contract_from(*e);
}

VenueReply<VenueOrder> parse_futures_order(std::string_view json, std::int64_t multiplier) {
  dom::parser parser;
  auto e = parse_text(parser, json);
  if (!e) return tl::unexpected(e.error());
  return order_from(*e, multiplier);
}

struct FuturesRestVenue::Impl {
  std::unique_ptr<RestSession> session;
  std::map<std::string, FuturesContract> contracts;  // read once per symbol
  struct Margin {
    futures::MarginMode mode = futures::MarginMode::isolated;
    int leverage = 0;
  };
  std::map<std::string, Margin> margin;  // what set_margin set, per symbol

  VenueReply<FuturesContract> contract(const std::string& symbol) {
    if (const auto it = contracts.find(symbol); it != contracts.end()) return it->second;
    auto c = session->call<FuturesContract>("GET", "/api/v1/contracts/" + percent_encode(symbol), "", "", false, contract_from);
    if (!c) return c;
    if (c->symbol != symbol) return tl::unexpected(unreadable_answer(fmt::format("asked for contract {}, got {}", symbol, c->symbol)));
    return contracts[symbol] = *c;
  }

  // KuCoin answers an order lookup with the order, with no data (unknown clientOid) or
  // with 100001 (unknown order id): both are the order unknown.
  VenueReply<VenueOrder> order(const std::string& symbol, const std::string& client_order_id) {
    auto c = contract(symbol);
    if (!c) return tl::unexpected(c.error());
    auto o = session->call<VenueOrder>("GET", "/api/v1/orders/byClientOid", "clientOid=" + percent_encode(client_order_id), "",
                                       true, [&](dom::element data) -> VenueReply<VenueOrder> {
                                         if (data.is_null()) {
                                           VenueFailure f = refused("order " + client_order_id + " does not exist");
                                           f.order_unknown = true;
                                           return tl::unexpected(f);
                                         }
                                         auto found = order_from(data, c->multiplier);
                                         // A clientOid is the account's, not the symbol's: another
                                         // contract's order would be read in the wrong lots.
                                         if (found && found->symbol != instrument_of(symbol))
                                           return tl::unexpected(unreadable_answer(fmt::format(
                                               "order {} is {}'s, not {}'s", client_order_id, found->symbol, symbol)));
                                         return found;
                                       });
    return unknown_if_not_found(std::move(o));
  }

  template <class T>
  static VenueReply<T> unknown_if_not_found(VenueReply<T> r) {
    if (!r && r.error().code == 100001) r.error().order_unknown = true;
    return r;
  }

  // Every page of a listing; `add` reads one item (the parser's data is valid until the next call).
  template <class Add>
  VenueReply<bool> pages(const std::string& path, const std::string& query, Add&& add) {
    for (int page = 1; page <= kMaxPages; ++page) {
      bool more = false;
      auto read = session->call<bool>("GET", path, query + fmt::format("&currentPage={}&pageSize=1000", page), "", true,
                                      [&](dom::element data) -> VenueReply<bool> {
                                        dom::array items;
                                        if (!page_items(data, items, more))
                                          return tl::unexpected(unreadable_answer(path + ": field \"items\": not a list"));
                                        for (dom::element e : items)
                                          if (auto added = add(e); !added) return tl::unexpected(added.error());
                                        return true;
                                      });
      if (!read) return read;
      if (!more) return true;
    }
    return tl::unexpected(unreadable_answer(fmt::format("{}: more than {} pages", path, kMaxPages)));
  }
};

FuturesRestVenue::FuturesRestVenue(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FuturesRestVenue::~FuturesRestVenue() = default;

Result<std::unique_ptr<FuturesRestVenue>> FuturesRestVenue::create(RestVenueOptions options) {
  auto session = RestSession::create(std::move(options));
  if (!session) return tl::unexpected(session.error());
  auto impl = std::make_unique<Impl>();
  impl->session = std::move(*session);
  return std::unique_ptr<FuturesRestVenue>(new FuturesRestVenue(std::move(impl)));
}

std::int64_t FuturesRestVenue::used_weight() const { return impl_->session->used_weight(); }

VenueReply<std::int64_t> FuturesRestVenue::sync_time() { return impl_->session->sync_time(); }

VenueReply<VenueOrder> FuturesRestVenue::place(const OrderRequest& r) {
  auto symbol = symbol_of(r.symbol);
  if (!symbol) return tl::unexpected(symbol.error());
  auto c = impl_->contract(*symbol);
  if (!c) return tl::unexpected(c.error());
  // Whole lots only, checked before anything is sent: a rounded order is another order.
  if (r.qty <= 0 || r.qty % c->multiplier != 0)
    return tl::unexpected(refused(fmt::format("{} {}: not a whole number of lots of {}", r.symbol, format_fixed(r.qty),
                                              format_fixed(c->multiplier))));
  // The margin mode the portfolio books: isolated orders carry the position's leverage;
  // cross ones trade at the symbol's, set with the mode.
  const auto margin = impl_->margin.find(*symbol);
  if (margin == impl_->margin.end())
    return tl::unexpected(refused(fmt::format("{}: no margin mode and leverage set (set_margin comes first)", r.symbol)));
  std::string body = fmt::format(
      R"({{"clientOid":{},"symbol":{},"side":"{}","type":"{}","size":{},"marginMode":"{}","leverage":"{}")",
      to_json_string(r.client_order_id), to_json_string(*symbol), r.side == Side::buy ? "buy" : "sell",
      r.type == OrderType::market ? "market" : "limit", r.qty / c->multiplier, margin_mode_name(margin->second.mode),
      margin->second.leverage);
  if (r.type != OrderType::market) {
    // KuCoin Futures has no FOK: refused rather than sent as something else.
    if (r.time_in_force == TimeInForce::fok) return tl::unexpected(refused("KuCoin Futures has no fill-or-kill orders"));
    body += fmt::format(R"(,"price":"{}","timeInForce":"{}")", format_fixed(r.limit_price),
                        r.time_in_force == TimeInForce::ioc ? "IOC" : "GTC");
  }
  if (r.reduce_only) body += R"(,"reduceOnly":true)";
  body += "}";
  auto id = impl_->session->call<std::string>("POST", "/api/v1/orders", "", body, true, [](dom::element data) -> VenueReply<std::string> {
    std::string_view order_id;
    if (data["orderId"].get_string().get(order_id) != sj::SUCCESS || order_id.empty())
      return tl::unexpected(unreadable_answer("order answer without orderId"));
    return std::string(order_id);
  });
  if (!id) return tl::unexpected(id.error());
  // Its state now (a market order has filled); if that cannot be read, it is placed and
  // open as far as we know, and the next poll reads the rest.
  if (auto now = impl_->order(*symbol, r.client_order_id)) return now;
  return placed_unread(r, *id, instrument_of(*symbol));
}

VenueReply<VenueOrder> FuturesRestVenue::query(const std::string& symbol, const std::string& client_order_id) {
  auto s = symbol_of(symbol);
  if (!s) return tl::unexpected(s.error());
  return impl_->order(*s, client_order_id);
}

VenueReply<VenueOrder> FuturesRestVenue::cancel(const std::string& symbol, const std::string& client_order_id) {
  auto s = symbol_of(symbol);
  if (!s) return tl::unexpected(s.error());
  auto canceled = impl_->session->call<bool>("DELETE", "/api/v1/orders/client-order/" + percent_encode(client_order_id),
                                             "symbol=" + percent_encode(*s), "", true,
                                             [](dom::element) -> VenueReply<bool> { return true; });
  if (!canceled) return tl::unexpected(Impl::unknown_if_not_found(std::move(canceled)).error());
  return impl_->order(*s, client_order_id);
}

VenueReply<std::vector<VenueFill>> FuturesRestVenue::trades(const std::string& symbol, const std::string& exchange_order_id) {
  auto s = symbol_of(symbol);
  if (!s) return tl::unexpected(s.error());
  auto c = impl_->contract(*s);
  if (!c) return tl::unexpected(c.error());
  struct Timed {
    std::uint64_t time_ns;
    VenueFill fill;
  };
  std::vector<Timed> out;
  auto read = impl_->pages("/api/v1/fills", "orderId=" + percent_encode(exchange_order_id), [&](dom::element e) -> VenueReply<bool> {
    NumberFields f;
    dom::object o;
    std::string_view trade_id, asset;
    Timed t{};
    if (!f.object(e, "fill", o) || !f.str(o, "tradeId", trade_id) || !f.decimal(o, "price", t.fill.price) ||
        !f.lots(o, "size", c->multiplier, t.fill.qty) || !f.decimal(o, "fee", t.fill.commission) ||
        !f.str(o, "feeCurrency", asset) || !f.number(o, "tradeTime", t.time_ns))
      return tl::unexpected(unreadable_answer(fmt::format("a fill of order {}: {}", exchange_order_id, f.error)));
    t.fill.trade_id = trade_number(trade_id);
    t.fill.commission_asset = std::string(asset);
    out.push_back(std::move(t));
    return true;
  });
  if (!read) return tl::unexpected(read.error());
  // Oldest first, as the order path books them (KuCoin lists the newest first).
  std::reverse(out.begin(), out.end());
  std::stable_sort(out.begin(), out.end(), [](const Timed& a, const Timed& b) { return a.time_ns < b.time_ns; });
  std::vector<VenueFill> fills;
  for (auto& t : out) fills.push_back(std::move(t.fill));
  return fills;
}

VenueReply<std::vector<VenueOrder>> FuturesRestVenue::open_orders() {
  // Orders name their symbol; the contracts that convert their sizes are read after the
  // listing (a request in between would reuse the parser the listing is read from).
  struct Raw {
    std::string symbol, json;
  };
  std::vector<Raw> raw;
  auto read = impl_->pages("/api/v1/orders", "status=active", [&](dom::element e) -> VenueReply<bool> {
    std::string_view symbol;
    if (e["symbol"].get_string().get(symbol) != sj::SUCCESS) return tl::unexpected(unreadable_answer("an active order without symbol"));
    raw.push_back({std::string(symbol), sj::minify(e)});
    return true;
  });
  if (!read) return tl::unexpected(read.error());
  std::vector<VenueOrder> out;
  for (const auto& r : raw) {
    auto c = impl_->contract(r.symbol);
    if (!c) return tl::unexpected(c.error());
    auto o = parse_futures_order(r.json, c->multiplier);
    if (!o) return tl::unexpected(o.error());
    out.push_back(std::move(*o));
  }
  return out;
}

VenueReply<std::vector<VenueBalance>> FuturesRestVenue::balances() {
  return impl_->session->call<std::vector<VenueBalance>>(
      "GET", "/api/v1/account-overview", "currency=USDT", "", true, [](dom::element data) -> VenueReply<std::vector<VenueBalance>> {
        NumberFields f;
        dom::object o;
        std::string_view currency;
        VenueBalance b;
        std::int64_t margin_balance = 0;
        if (!f.object(data, "account", o) || !f.str(o, "currency", currency) || !f.decimal(o, "availableBalance", b.free) ||
            !f.decimal(o, "marginBalance", margin_balance))
          return tl::unexpected(unreadable_answer("account overview: " + f.error));
        std::vector<VenueBalance> out;
        if (margin_balance == 0 && b.free == 0) return out;  // as spot's: no zero balances
        b.asset = std::string(currency);
        b.locked = std::max<std::int64_t>(0, margin_balance - b.free);
        out.push_back(std::move(b));
        return out;
      });
}

VenueReply<std::vector<VenuePosition>> FuturesRestVenue::positions() {
  struct Raw {
    VenuePosition p;
    std::string symbol;
    std::int64_t lots = 0;
  };
  std::vector<Raw> raw;
  auto read = impl_->session->call<bool>("GET", "/api/v1/positions", "", "", true, [&](dom::element data) -> VenueReply<bool> {
    dom::array list;
    if (data.is_null()) return true;  // none
    if (data.get_array().get(list) != sj::SUCCESS) return tl::unexpected(unreadable_answer("positions: not a list"));
    for (dom::element e : list) {
      NumberFields f;
      dom::object o;
      std::string_view symbol;
      Raw r;
      if (!f.object(e, "position", o) || !f.str(o, "symbol", symbol) || o["currentQty"].get_int64().get(r.lots) != sj::SUCCESS ||
          !f.decimal(o, "avgEntryPrice", r.p.entry_price) || !f.decimal(o, "markPrice", r.p.mark_price) ||
          !f.decimal(o, "unrealisedPnl", r.p.unrealized_pnl))
        return tl::unexpected(unreadable_answer("a position: " + (f.error.empty() ? "field \"currentQty\": not whole lots" : f.error)));
      // Cross margin's leverage is the symbol's setting ("leverage"); realLeverage is an outcome.
      if (const auto leverage = optional_count(f, o, "leverage"); leverage && *leverage > 0 && *leverage <= 1000)
        r.p.leverage = static_cast<int>(*leverage);
      r.symbol = std::string(symbol);
      raw.push_back(std::move(r));
    }
    return true;
  });
  if (!read) return tl::unexpected(read.error());
  std::vector<VenuePosition> out;
  for (auto& r : raw) {
    auto c = impl_->contract(r.symbol);
    if (!c) return tl::unexpected(c.error());
    const auto qty = narrow_checked(static_cast<__int128>(r.lots) * c->multiplier);
    if (!qty) return tl::unexpected(unreadable_answer(r.symbol + ": position beyond 64-bit fixed point"));
    r.p.qty = *qty;
    r.p.symbol = instrument_of(r.symbol);
    out.push_back(std::move(r.p));
  }
  return out;
}

VenueReply<int> FuturesRestVenue::set_margin(const std::string& symbol, futures::MarginMode mode, int leverage) {
  auto s = symbol_of(symbol);
  if (!s) return tl::unexpected(s.error());
  if (leverage < 1) return tl::unexpected(refused(fmt::format("{}: leverage {}", symbol, leverage)));
  // The symbol's margin mode at the venue, switched if it is not ours (KuCoin refuses that
  // while a position is open, and so does the start). Isolated leverage is then each
  // order's; cross leverage is the symbol's, set here.
  const std::string_view wanted = margin_mode_name(mode);
  auto current = impl_->session->call<std::string>("GET", "/api/v2/position/getMarginMode", "symbol=" + percent_encode(*s), "", true,
                                                   [&](dom::element data) -> VenueReply<std::string> {
                                                     std::string_view m;
                                                     if (data["marginMode"].get_string().get(m) != sj::SUCCESS)
                                                       return tl::unexpected(unreadable_answer(*s + ": margin mode"));
                                                     return std::string(m);
                                                   });
  if (!current) return tl::unexpected(current.error());
  if (*current != wanted) {
    auto switched = impl_->session->call<bool>(
        "POST", "/api/v2/position/changeMarginMode", "",
        fmt::format(R"({{"symbol":{},"marginMode":"{}"}})", to_json_string(*s), wanted), true,
        [&](dom::element data) -> VenueReply<bool> {
          std::string_view m;
          if (data["marginMode"].get_string().get(m) != sj::SUCCESS || m != wanted)
            return tl::unexpected(unreadable_answer(fmt::format("{}: margin mode not confirmed {}", *s, wanted)));
          return true;
        });
    if (!switched) return tl::unexpected(switched.error());
  }
  if (mode == futures::MarginMode::cross) {
    auto set = impl_->session->call<bool>(
        "POST", "/api/v2/changeCrossUserLeverage", "",
        fmt::format(R"({{"symbol":{},"leverage":"{}"}})", to_json_string(*s), leverage), true,
        [&](dom::element data) -> VenueReply<bool> {
          bool done = false;
          if (data.get_bool().get(done) != sj::SUCCESS || !done)
            return tl::unexpected(unreadable_answer(*s + ": cross leverage not confirmed"));
          return true;
        });
    if (!set) return tl::unexpected(set.error());
  }
  impl_->margin[*s] = {mode, leverage};
  return leverage;
}

VenueReply<SymbolRules> FuturesRestVenue::rules(const std::string& symbol) {
  auto s = symbol_of(symbol);
  if (!s) return tl::unexpected(s.error());
  auto c = impl_->contract(*s);
  if (!c) return tl::unexpected(c.error());
  SymbolRules r;
  r.symbol = instrument_of(*s);
  const auto step = narrow_checked(static_cast<__int128>(c->lot_size) * c->multiplier);
  const auto max = narrow_checked(static_cast<__int128>(c->max_order_lots) * c->multiplier);
  if (!step || !max) return tl::unexpected(unreadable_answer(*s + ": lot size or maximum beyond 64-bit fixed point"));
  r.step_size = r.min_qty = *step;
  r.max_qty = *max;
  r.tick_size = c->tick_size;
  return r;
}

VenueReply<std::int64_t> FuturesRestVenue::price(const std::string& symbol) {
  auto s = symbol_of(symbol);
  if (!s) return tl::unexpected(s.error());
  return impl_->session->call<std::int64_t>("GET", "/api/v1/ticker", "symbol=" + percent_encode(*s), "", false,
                                            [&](dom::element data) -> VenueReply<std::int64_t> {
                                              NumberFields f;
                                              dom::object o;
                                              std::int64_t price = 0;
                                              if (!f.object(data, "ticker", o) || !f.decimal(o, "price", price) || price <= 0)
                                                return tl::unexpected(unreadable_answer("price of " + *s));
                                              return price;
                                            });
}

VenueReply<std::vector<Kline>> FuturesRestVenue::klines(const std::string&, std::uint32_t, std::int64_t, std::int64_t, int,
                                                        std::int64_t) {
  return tl::unexpected(refused("klines are not read from KuCoin Futures (history warm-up reads Binance's)"));
}

}  // namespace trader::kucoin
