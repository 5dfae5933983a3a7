#include "exchange/sim/kucoin_futures_api.hpp"

#include <charconv>

#include <fmt/format.h>
#include <simdjson.h>

#include "exchange/kucoin/number_fields.hpp"
#include "exchange/sim/kucoin_api.hpp"  // kucoin_error, kucoin_order_id
#include "messages/fixed_point.hpp"

namespace trader::sim {
namespace {
namespace sj = simdjson;
namespace dom = simdjson::dom;

constexpr std::int64_t kOne = 100'000'000;
constexpr std::string_view kOrders = "/api/v1/orders/";
constexpr std::string_view kClientOrder = "client-order/";
constexpr std::string_view kContracts = "/api/v1/contracts/";

// Every string the venue echoes is its own or validated: no escaping needed.
std::string q(std::string_view s) { return fmt::format("\"{}\"", s); }
HttpAnswer ok(std::string_view data) { return {200, fmt::format(R"({{"code":"200000","data":{}}})", data)}; }

std::string param(const Params& p, const char* key) {
  const auto it = p.find(key);
  return it == p.end() ? std::string() : it->second;
}

std::int64_t value_of(std::int64_t qty, std::int64_t price) {
  return static_cast<std::int64_t>(static_cast<__int128>(qty) * price / kOne);
}

// KuCoin Futures pages: {"currentPage":1,"pageSize":50,"totalNum":N,"totalPage":1,"items":[...]}.
HttpAnswer page(const std::string& items, std::size_t n) {
  return ok(fmt::format(R"({{"currentPage":1,"pageSize":{},"totalNum":{},"totalPage":1,"items":[{}]}})",
                        std::max<std::size_t>(n, 50), n, items));
}

}  // namespace

bool KucoinFuturesApi::is_private(std::string_view path) {
  return path == "/api/v1/orders" || path.rfind(kOrders, 0) == 0 || path == "/api/v1/fills" ||
         path == "/api/v1/account-overview" || path == "/api/v1/positions" || path == "/api/v1/position" ||
         path.rfind("/api/v2/", 0) == 0 || path.rfind("/api/ua/", 0) == 0;
}

bool KucoinFuturesApi::add_contract(std::string_view answer_json) {
  dom::parser parser;
  dom::object root, data;
  if (parser.parse(answer_json.data(), answer_json.size()).get_object().get(root) != sj::SUCCESS ||
      root["data"].get_object().get(data) != sj::SUCCESS)
    return false;
  kucoin::NumberFields f;
  std::string_view symbol;
  Contract c;
  if (!f.str(data, "symbol", symbol) || !f.decimal(data, "multiplier", c.multiplier) || c.multiplier <= 0) return false;
  const auto at = answer_json.find(R"("data":)");
  const auto end = answer_json.rfind('}');
  if (at == std::string_view::npos || end == std::string_view::npos || end <= at + 7) return false;
  c.data = std::string(answer_json.substr(at + 7, end - at - 7));  // {"code":...,"data":{...}}: the object
  c.has_next_funding = data["nextFundingRateTime"].error() == sj::SUCCESS;
  contracts_.insert_or_assign(std::string(symbol), std::move(c));
  return true;
}

std::string KucoinFuturesApi::contract_json(const Contract& c, std::int64_t now_ms) const {
  if (c.has_next_funding || funding_interval_ms_ <= 0) return c.data;
  // A live field the recording lacks: ms to the next funding (what marks a perpetual).
  std::string out = c.data;
  out.insert(out.rfind('}'), fmt::format(R"(,"nextFundingRateTime":{})", funding_interval_ms_ - now_ms % funding_interval_ms_));
  return out;
}

const KucoinFuturesApi::Contract* KucoinFuturesApi::contract(const std::string& symbol) const {
  const auto it = contracts_.find(symbol);
  return it == contracts_.end() ? nullptr : &it->second;
}

std::string KucoinFuturesApi::order_json(const SimOrder& o) const {
  const std::int64_t multiplier = contract(o.symbol)->multiplier;  // no order without its contract
  std::int64_t fees = 0;
  for (const auto& t : venue_.trades())
    if (t.order_id == o.order_id) fees += t.commission;
  const bool market = o.type == "MARKET";
  const bool canceled = !o.working() && o.status != "FILLED";
  const int leverage = venue_.positions().count(o.symbol) ? venue_.positions().at(o.symbol).leverage : SimPosition{}.leverage;
  return fmt::format(
      R"({{"id":{},"symbol":{},"type":{},"side":{},"price":{},"size":{},"value":"{}","dealValue":"{}","dealSize":{},)"
      R"("stp":"","stop":"","stopPriceType":"","stopTriggered":false,"stopPrice":null,"timeInForce":{},"postOnly":false,)"
      R"("hidden":false,"iceberg":false,"leverage":"{}","forceHold":false,"closeOrder":false,"visibleSize":0,)"
      R"("clientOid":{},"remark":null,"tags":"","isActive":{},"cancelExist":{},"createdAt":{},"updatedAt":{},"endAt":{},)"
      R"("orderTime":{},"settleCurrency":"USDT","marginMode":{},"avgDealPrice":"{}","filledSize":{},)"
      R"("filledValue":"{}","status":{},"reduceOnly":{},"fee":"{}","feeCurrency":"USDT"}})",
      q(kucoin_order_id(o.order_id)), q(o.symbol), market ? "\"market\"" : "\"limit\"", o.side == "BUY" ? "\"buy\"" : "\"sell\"",
      market ? "null" : q(format_fixed(o.price)), o.qty / multiplier, format_fixed(value_of(o.qty, market ? 0 : o.price)),
      format_fixed(o.quote_qty), o.executed_qty / multiplier, q(market ? "GTC" : o.time_in_force), leverage,
      q(o.client_order_id), o.working() ? "true" : "false", canceled ? "true" : "false", o.time_ms, o.update_ms,
      o.working() ? "null" : std::to_string(o.update_ms), o.time_ms * 1'000'000,
      cross(o.symbol) ? "\"CROSS\"" : "\"ISOLATED\"",
      o.executed_qty > 0 ? format_fixed(static_cast<std::int64_t>(static_cast<__int128>(o.quote_qty) * kOne / o.executed_qty))
                         : "0",
      o.executed_qty / multiplier, format_fixed(o.quote_qty), o.working() ? "\"open\"" : "\"done\"",
      o.reduce_only ? "true" : "false", format_fixed(fees));
}

std::string KucoinFuturesApi::position_json(const std::string& symbol, std::int64_t now_ms) const {
  const std::int64_t multiplier = contract(symbol)->multiplier;
  const auto it = venue_.positions().find(symbol);
  const SimPosition p = it == venue_.positions().end() ? SimPosition{} : it->second;
  const auto last = venue_.prices().find(symbol);
  const std::int64_t mark = last == venue_.prices().end() ? p.entry_price : last->second;
  const std::int64_t cost = value_of(p.qty, p.entry_price), mark_value = value_of(p.qty, mark);
  const std::int64_t margin = (cost < 0 ? -cost : cost) / p.leverage;
  // Numbers, as KuCoin writes them (JSON numbers of up to 8 places read back exactly).
  return fmt::format(
      R"({{"id":"sim-{}","symbol":{},"autoDeposit":false,"crossMode":{},"marginMode":{},"maintMarginReq":0.004,)"
      R"("riskLimit":100000,"realLeverage":{},"leverage":{},"delevPercentage":0.0,"openingTimestamp":{},)"
      R"("currentTimestamp":{},"currentQty":{},"currentCost":{},"currentComm":0,"unrealisedCost":{},)"
      R"("realisedGrossCost":0,"realisedCost":0,"isOpen":{},"markPrice":{},"markValue":{},"posCost":{},"posCross":0,)"
      R"("posInit":{},"posComm":0,"posLoss":0,"posMargin":{},"posMaint":0,"maintMargin":{},"realisedGrossPnl":0,)"
      R"("realisedPnl":0,"unrealisedPnl":{},"unrealisedPnlPcnt":0,"unrealisedRoePcnt":0,"avgEntryPrice":{},)"
      R"("liquidationPrice":0,"bankruptPrice":0,"settleCurrency":"USDT","isInverse":false,"positionSide":"BOTH"}})",
      symbol, q(symbol), cross(symbol) ? "true" : "false", cross(symbol) ? "\"CROSS\"" : "\"ISOLATED\"", p.leverage,
      p.leverage, now_ms, now_ms, p.qty / multiplier, format_fixed(cost), format_fixed(cost),
      p.qty != 0 ? "true" : "false", format_fixed(mark), format_fixed(mark_value), format_fixed(cost), format_fixed(margin),
      format_fixed(margin), format_fixed(margin), format_fixed(mark_value - cost), format_fixed(p.entry_price));
}

HttpAnswer KucoinFuturesApi::create_order(std::string_view body, std::int64_t now_ms) {
  dom::parser parser;
  dom::object req;
  if (parser.parse(body.data(), body.size()).get_object().get(req) != sj::SUCCESS)
    return kucoin_error(400, "400100", "The body is not a JSON object.");
  std::string_view cid, symbol, side, type, tif, margin_mode;
  if (req["clientOid"].get_string().get(cid) != sj::SUCCESS || cid.empty() || cid.size() > 40)
    return kucoin_error(400, "400100", "clientOid is required");
  const Contract* c = req["symbol"].get_string().get(symbol) == sj::SUCCESS ? contract(std::string(symbol)) : nullptr;
  if (c == nullptr || !venue_.trades_symbol(std::string(symbol))) return kucoin_error(400, "40010", "Contract does not exist");
  if (req["side"].get_string().get(side) != sj::SUCCESS || (side != "buy" && side != "sell"))
    return kucoin_error(400, "400100", "side must be buy or sell");
  if (req["type"].get_string().get(type) != sj::SUCCESS) type = "limit";  // KuCoin's defaults
  if (req["timeInForce"].get_string().get(tif) != sj::SUCCESS) tif = "GTC";
  // An order trades in its symbol's margin mode (none named: that one).
  const bool cross_symbol = cross(std::string(symbol));
  if (req["marginMode"].get_string().get(margin_mode) == sj::SUCCESS &&
      margin_mode != (cross_symbol ? "CROSS" : "ISOLATED"))
    return kucoin_error(400, "400100",
                        fmt::format("The margin mode of {} is {}: the order's is {}.", symbol,
                                    cross_symbol ? "CROSS" : "ISOLATED", margin_mode));
  std::int64_t lots = 0;
  if (req["size"].get_int64().get(lots) != sj::SUCCESS || lots <= 0)
    return kucoin_error(400, "400100", "size must be a whole number of lots above 0");
  // The order's leverage, when it names one, is a whole number (KuCoin writes it as a string or a number).
  std::string_view leverage_text;
  std::int64_t leverage = 0;
  if (req["leverage"].get_string().get(leverage_text) == sj::SUCCESS) {
    const auto [end, ec] = std::from_chars(leverage_text.data(), leverage_text.data() + leverage_text.size(), leverage);
    if (ec != std::errc{} || end != leverage_text.data() + leverage_text.size()) leverage = 0;
  } else if (req["leverage"].get_int64().get(leverage) != sj::SUCCESS) {
    leverage = 1;  // absent
  }
  if (leverage < 1 || leverage > 125) return kucoin_error(400, "400100", "leverage must be a whole number from 1 to 125");
  bool reduce_only = false;
  if (req["reduceOnly"].get_bool().get(reduce_only) != sj::SUCCESS) reduce_only = false;
  // The same clientOid again: refused, nothing placed.
  if (venue_.order_by_client_id(std::string(cid)) != nullptr) return kucoin_error(200, "300012", "Duplicate clientOid");
  const auto qty = narrow_checked(static_cast<__int128>(lots) * c->multiplier);
  if (!qty) return kucoin_error(400, "400100", "size beyond the contract's maximum");
  // Isolated: a position opened from flat takes the order's leverage.
  const auto held = venue_.positions().find(std::string(symbol));
  if (!cross_symbol && (held == venue_.positions().end() || held->second.qty == 0))
    (void)venue_.set_leverage({{"symbol", std::string(symbol)}, {"leverage", std::to_string(leverage)}});
  Params p{{"symbol", std::string(symbol)}, {"side", side == "buy" ? "BUY" : "SELL"}, {"newClientOrderId", std::string(cid)},
           {"quantity", format_fixed(*qty)}};
  if (reduce_only) p["reduceOnly"] = "true";
  if (type == "market") {
    p["type"] = "MARKET";
  } else if (type == "limit") {
    kucoin::NumberFields f;
    std::int64_t price = 0;
    if (!f.decimal(req, "price", price) || price <= 0) return kucoin_error(400, "400100", "a limit order needs its price");
    if (tif != "GTC" && tif != "IOC") return kucoin_error(400, "400100", "timeInForce must be GTC or IOC");
    p["type"] = "LIMIT";
    p["timeInForce"] = std::string(tif);
    p["price"] = format_fixed(price);
  } else {
    return kucoin_error(400, "400100", "type must be limit or market");
  }
  auto placed = venue_.new_order(p, now_ms);
  if (!placed) {
    // The account's refusals (Binance's codes, sim_venue.hpp) in KuCoin Futures' words.
    switch (placed.error().code) {
      case -2019: return kucoin_error(200, "300003", "Balance insufficient, order failed.");
      case -2022: return kucoin_error(200, "300009", "No open positions to close.");
      case -4014: return kucoin_error(400, "400100", "Price must be a multiple of the tick size.");
      default: return kucoin_error(400, "400100", placed.error().msg);
    }
  }
  const SimOrder* made = venue_.order_by_client_id(std::string(cid));
  return ok(fmt::format(R"({{"orderId":{},"clientOid":{}}})", q(kucoin_order_id(made->order_id)), q(made->client_order_id)));
}

HttpAnswer KucoinFuturesApi::cancel(const SimOrder* o, bool by_client_id, std::int64_t now_ms) {
  if (o == nullptr || !o->working() ||
      !venue_.cancel_order({{"symbol", o->symbol}, {"orderId", std::to_string(o->order_id)}}, now_ms))
    return kucoin_error(200, "100004", "Order is in not cancelable state");
  return by_client_id ? ok(fmt::format(R"({{"clientOid":{}}})", q(o->client_order_id)))
                      : ok(fmt::format(R"({{"cancelledOrderIds":[{}]}})", q(kucoin_order_id(o->order_id))));
}

HttpAnswer KucoinFuturesApi::fills(const Params& query) const {
  const std::string symbol = param(query, "symbol"), order = param(query, "orderId");
  const auto only = order.empty() ? std::nullopt : parse_kucoin_order_id(order);
  std::string items;
  std::size_t n = 0;
  // Newest first, as KuCoin lists them.
  for (auto t = venue_.trades().rbegin(); t != venue_.trades().rend(); ++t) {
    const Contract* c = contract(t->symbol);
    if (c == nullptr || (!symbol.empty() && t->symbol != symbol) || (!order.empty() && (!only || t->order_id != *only)))
      continue;
    const SimOrder* o = venue_.order(t->order_id);
    items += fmt::format(
        R"({}{{"symbol":{},"tradeId":"{}","orderId":{},"side":{},"liquidity":{},"forceTaker":false,"price":"{}",)"
        R"("size":{},"value":"{}","openFeePay":"0","closeFeePay":"0","stop":"","feeRate":"{}","fixFee":"0",)"
        R"("feeCurrency":{},"tradeTime":{},"subTradeType":null,"marginMode":{},"settleCurrency":"USDT",)"
        R"("displayType":{},"fee":"{}","orderType":{},"tradeType":"trade","createdAt":{}}})",
        items.empty() ? "" : ",", q(t->symbol), t->trade_id, q(kucoin_order_id(t->order_id)), t->buyer ? "\"buy\"" : "\"sell\"",
        t->maker ? "\"maker\"" : "\"taker\"", format_fixed(t->price), t->qty / c->multiplier,
        format_fixed(value_of(t->qty, t->price)), format_fixed(venue_.fee_ppm() * 100), q(t->commission_asset),
        t->time_ms * 1'000'000, cross(t->symbol) ? "\"CROSS\"" : "\"ISOLATED\"",
        o && o->type == "MARKET" ? "\"market\"" : "\"limit\"", format_fixed(t->commission),
        o && o->type == "MARKET" ? "\"market\"" : "\"limit\"", t->time_ms);
    ++n;
  }
  return page(items, n);
}

HttpAnswer KucoinFuturesApi::orders(const Params& query) const {
  const std::string symbol = param(query, "symbol"), status = param(query, "status");
  if (!status.empty() && status != "active" && status != "done") return kucoin_error(400, "400100", "status must be active or done");
  std::string items;
  std::size_t n = 0;
  for (const auto& [id, o] : venue_.all_orders()) {
    if ((!symbol.empty() && o.symbol != symbol) || (!status.empty() && o.working() != (status == "active")) ||
        contract(o.symbol) == nullptr)
      continue;
    items += (items.empty() ? "" : ",") + order_json(o);
    ++n;
  }
  return page(items, n);
}

HttpAnswer KucoinFuturesApi::account_overview(const Params& query) const {
  const std::string currency = param(query, "currency");
  if (!currency.empty() && currency != "USDT") return kucoin_error(400, "400100", "this account settles in USDT only");
  const MarginSummary m = venue_.margin_summary();
  return ok(fmt::format(R"({{"accountEquity":{},"unrealisedPNL":{},"marginBalance":{},"positionMargin":{},)"
                        R"("orderMargin":{},"frozenFunds":0,"availableBalance":{},"currency":"USDT","riskRatio":0,)"
                        R"("maxWithdrawAmount":{}}})",
                        format_fixed(m.wallet + m.unrealized), format_fixed(m.unrealized),
                        format_fixed(m.wallet + m.unrealized), format_fixed(m.position_margin), format_fixed(m.order_margin),
                        format_fixed(m.available), format_fixed(std::max<std::int64_t>(0, m.available))));
}

HttpAnswer KucoinFuturesApi::set_leverage(std::string_view body) {
  dom::parser parser;
  dom::object req;
  std::string_view symbol, leverage;
  if (parser.parse(body.data(), body.size()).get_object().get(req) != sj::SUCCESS ||
      req["symbol"].get_string().get(symbol) != sj::SUCCESS || req["leverage"].get_string().get(leverage) != sj::SUCCESS)
    return kucoin_error(400, "400100", "symbol and leverage (a string) are required");
  if (contract(std::string(symbol)) == nullptr) return kucoin_error(400, "40010", "Contract does not exist");
  if (!cross(std::string(symbol)))  // an isolated position's leverage is its orders'
    return kucoin_error(200, "400100", fmt::format("{} is ISOLATED: cross leverage needs marginMode CROSS first", symbol));
  auto set = venue_.set_leverage({{"symbol", std::string(symbol)}, {"leverage", std::string(leverage)}});
  if (!set) return kucoin_error(400, "400100", "leverage must be a whole number from 1 to 125");
  return ok("true");
}

HttpAnswer KucoinFuturesApi::set_margin_mode(std::string_view body) {
  dom::parser parser;
  dom::object req;
  std::string_view symbol, mode;
  if (parser.parse(body.data(), body.size()).get_object().get(req) != sj::SUCCESS ||
      req["symbol"].get_string().get(symbol) != sj::SUCCESS || req["marginMode"].get_string().get(mode) != sj::SUCCESS ||
      (mode != "ISOLATED" && mode != "CROSS"))
    return kucoin_error(400, "400100", "symbol and marginMode (ISOLATED or CROSS) are required");
  const std::string s(symbol);
  if (contract(s) == nullptr) return kucoin_error(400, "40010", "Contract does not exist");
  const auto held = venue_.positions().find(s);
  if ((mode == "CROSS") != cross(s) && held != venue_.positions().end() && held->second.qty != 0)
    return kucoin_error(200, "400100", "The margin mode cannot be changed while a position is open.");
  if (mode == "CROSS") cross_.insert(s);
  else cross_.erase(s);
  return ok(fmt::format(R"({{"symbol":{},"marginMode":{}}})", q(s), q(mode)));
}

HttpAnswer KucoinFuturesApi::answer(std::string_view method, std::string_view path, const Params& query,
                                    std::string_view body, std::int64_t now_ms) {
  const bool get = method == "GET", post = method == "POST", del = method == "DELETE";
  if (get && path == "/api/v1/timestamp") return ok(std::to_string(now_ms));
  if (get && path == "/api/v1/contracts/active") {
    std::string list;
    for (const auto& [symbol, c] : contracts_) list += (list.empty() ? "" : ",") + contract_json(c, now_ms);
    return ok(fmt::format("[{}]", list));
  }
  if (get && path.rfind(kContracts, 0) == 0) {
    const Contract* c = contract(std::string(path.substr(kContracts.size())));
    if (c == nullptr) return kucoin_error(404, "40010", "Contract does not exist");  // the capture recorded none of it
    return ok(contract_json(*c, now_ms));
  }
  if (get && path == "/api/v1/ticker") {
    const std::string symbol = param(query, "symbol");
    const auto last = venue_.prices().find(symbol);
    if (contract(symbol) == nullptr || last == venue_.prices().end()) return kucoin_error(400, "40010", "Contract does not exist");
    const std::string p = format_fixed(last->second);
    return ok(fmt::format(R"({{"sequence":1,"symbol":{},"side":"buy","size":1,"tradeId":"1","price":"{}",)"
                          R"("bestBidPrice":"{}","bestBidSize":1,"bestAskPrice":"{}","bestAskSize":1,"ts":{}}})",
                          q(symbol), p, p, p, now_ms * 1'000'000));
  }
  if (get && path == "/api/ua/v1/account/mode") return ok(R"({"selfAccountMode":"CLASSIC"})");
  if (get && path == "/api/v1/account-overview") return account_overview(query);
  if (get && path == "/api/v1/positions") {
    std::string list;
    for (const auto& [symbol, p] : venue_.positions())
      if (p.qty != 0 && contract(symbol) != nullptr) list += (list.empty() ? "" : ",") + position_json(symbol, now_ms);
    return ok(fmt::format("[{}]", list));
  }
  if (get && path == "/api/v1/position") {
    const std::string symbol = param(query, "symbol");
    if (contract(symbol) == nullptr) return kucoin_error(400, "40010", "Contract does not exist");
    return ok(position_json(symbol, now_ms));
  }
  if (post && path == "/api/v2/changeCrossUserLeverage") return set_leverage(body);
  if (get && path == "/api/v2/getCrossUserLeverage") {
    const std::string symbol = param(query, "symbol");
    if (contract(symbol) == nullptr) return kucoin_error(400, "40010", "Contract does not exist");
    const auto it = venue_.positions().find(symbol);
    return ok(fmt::format(R"({{"symbol":{},"leverage":"{}"}})", q(symbol),
                          it == venue_.positions().end() ? SimPosition{}.leverage : it->second.leverage));
  }
  if (get && path == "/api/v2/position/getMarginMode") {
    const std::string symbol = param(query, "symbol");
    if (contract(symbol) == nullptr) return kucoin_error(400, "40010", "Contract does not exist");
    return ok(fmt::format(R"({{"symbol":{},"marginMode":{}}})", q(symbol), cross(symbol) ? "\"CROSS\"" : "\"ISOLATED\""));
  }
  if (post && path == "/api/v2/position/changeMarginMode") return set_margin_mode(body);
  if (post && path == "/api/v1/orders") return create_order(body, now_ms);
  if (get && path == "/api/v1/orders") return orders(query);
  if (get && path == "/api/v1/fills") return fills(query);
  if (get && path == "/api/v1/orders/byClientOid") {
    const SimOrder* o = venue_.order_by_client_id(param(query, "clientOid"));
    return o == nullptr ? ok("null") : ok(order_json(*o));  // an unknown clientOid: no data
  }
  if ((get || del) && path.rfind(kOrders, 0) == 0) {
    std::string_view id = path.substr(kOrders.size());
    const bool by_client_id = id.rfind(kClientOrder, 0) == 0;
    if (by_client_id && get) return kucoin_error(404, "404000", "Not Found");
    if (by_client_id) id.remove_prefix(kClientOrder.size());
    const SimOrder* o = nullptr;
    if (by_client_id) o = venue_.order_by_client_id(std::string(id));
    else if (const auto n = parse_kucoin_order_id(id)) o = venue_.order(*n);
    if (by_client_id && o != nullptr && o->symbol != param(query, "symbol")) o = nullptr;  // the symbol is KuCoin's key too
    if (o != nullptr && contract(o->symbol) == nullptr) o = nullptr;
    if (del) return cancel(o, by_client_id, now_ms);
    if (o == nullptr) return kucoin_error(200, "100001", "error.getOrder.orderNotExist");
    return ok(order_json(*o));
  }
  return kucoin_error(404, "404000", "Not Found");
}

}  // namespace trader::sim
