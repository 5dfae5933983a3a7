#include "exchange/sim/sim_venue.hpp"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "messages/fixed_point.hpp"

namespace trader::sim {
namespace {

constexpr std::int64_t kOne = 100'000'000;  // fixed point 1e-8

std::int64_t notional(std::int64_t qty, std::int64_t price) {
  return static_cast<std::int64_t>(static_cast<__int128>(qty) * price / kOne);
}

std::int64_t less_fee(std::int64_t amount, std::int64_t fee_ppm) {
  return amount - static_cast<std::int64_t>(static_cast<__int128>(amount) * fee_ppm / 1'000'000);
}

VenueError mandatory(const char* name) {
  return {400, -1102, fmt::format("Mandatory parameter '{}' was not sent, was empty/null, or malformed.", name)};
}

const std::string* get(const Params& p, const char* name) {
  auto it = p.find(name);
  return it == p.end() || it->second.empty() ? nullptr : &it->second;
}

// Escapes nothing: every string the venue echoes is validated or its own.
std::string q(const std::string& s) { return "\"" + s + "\""; }

}  // namespace

std::string VenueError::json() const { return fmt::format(R"({{"code":{},"msg":"{}"}})", code, msg); }

std::pair<std::string, std::string> split_symbol(const std::string& symbol) {
  if (const auto dash = symbol.find('-'); dash != std::string::npos) {
    if (dash == 0 || dash + 1 == symbol.size() || symbol.find('-', dash + 1) != std::string::npos) return {};
    return {symbol.substr(0, dash), symbol.substr(dash + 1)};
  }
  // KuCoin Futures' linear perpetuals glue an "M" to the pair ("XBTUSDTM": XBT, USDT).
  if (symbol.size() > 5 && symbol.compare(symbol.size() - 5, 5, "USDTM") == 0) return {symbol.substr(0, symbol.size() - 5), "USDT"};
  for (const char* quote : {"USDT", "USDC", "BUSD", "BTC", "ETH"}) {
    const std::string qs(quote);
    if (symbol.size() > qs.size() && symbol.compare(symbol.size() - qs.size(), qs.size(), qs) == 0)
      return {symbol.substr(0, symbol.size() - qs.size()), qs};
  }
  return {};
}

SimVenue::SimVenue(std::map<std::string, std::int64_t> balances, std::int64_t fee_ppm, SymbolFilters filters,
                   FeeAsset fee_asset, AccountKind kind)
    : balances_(std::move(balances)), fee_ppm_(fee_ppm), filters_(filters), fee_asset_(fee_asset), kind_(kind) {}

MarginSummary SimVenue::margin_summary() const {
  MarginSummary m;
  if (auto it = balances_.find("USDT"); it != balances_.end()) m.wallet = it->second;
  for (const auto& [symbol, p] : positions_) {
    if (p.qty == 0) continue;
    const auto last = last_price_.find(symbol);
    const std::int64_t mark = last == last_price_.end() ? p.entry_price : last->second;
    m.unrealized += notional(p.qty, mark) - notional(p.qty, p.entry_price);
    m.position_margin += notional(quantity_size(p.qty), p.entry_price) / p.leverage;
  }
  m.order_margin = locked("USDT");
  m.available = m.wallet + m.unrealized - m.position_margin - m.order_margin;
  return m;
}

std::int64_t SimVenue::available_margin() const { return margin_summary().available; }

std::int64_t SimVenue::opening_qty(const std::string& symbol, const std::string& side, std::int64_t qty) const {
  const auto it = positions_.find(symbol);
  const std::int64_t held = it == positions_.end() ? 0 : it->second.qty;
  if (held == 0 || (held > 0) == (side == "BUY")) return qty;
  return std::max<std::int64_t>(0, qty - quantity_size(held));
}

std::int64_t SimVenue::settle_position(const std::string& symbol, bool buy, std::int64_t qty, std::int64_t price) {
  SimPosition& p = positions_[symbol];
  std::int64_t realized = 0;
  if (p.qty != 0 && (p.qty > 0) != buy) {  // reduces, closes or flips
    const std::int64_t closing = std::min(qty, quantity_size(p.qty));
    realized = notional(closing, price) - notional(closing, p.entry_price);
    if (p.qty < 0) realized = -realized;  // a short gains when the price falls
    p.qty += buy ? closing : -closing;
    if (p.qty == 0) p.entry_price = 0;
    if (const std::int64_t rest = qty - closing; rest > 0) {
      p.qty = buy ? rest : -rest;
      p.entry_price = price;
    }
  } else {  // opens or adds: the entry is the quantity-weighted average
    const std::int64_t held = quantity_size(p.qty);
    p.entry_price = static_cast<std::int64_t>((static_cast<__int128>(held) * p.entry_price +
                                               static_cast<__int128>(qty) * price) / (held + qty));
    p.qty += buy ? qty : -qty;
  }
  balances_["USDT"] += realized;
  return realized;
}

const SimOrder* SimVenue::order(std::uint64_t order_id) const {
  auto it = orders_.find(order_id);
  return it == orders_.end() ? nullptr : &it->second;
}

const SimOrder* SimVenue::order_by_client_id(const std::string& client_order_id) const {
  auto it = by_client_id_.find(client_order_id);
  return it == by_client_id_.end() ? nullptr : &orders_.at(it->second);
}

std::int64_t SimVenue::bnb_commission(std::int64_t cost) const {
  const __int128 in_quote = static_cast<__int128>(cost - less_fee(cost, fee_ppm_)) * 3 / 4;
  return static_cast<std::int64_t>((in_quote * 100000000 + kSimBnbPrice - 1) / kSimBnbPrice);  // rounded up, as a fee
}

std::int64_t SimVenue::buy_hold(std::int64_t cost) const {
  return fee_asset_ == FeeAsset::quote ? cost + (cost - less_fee(cost, fee_ppm_)) : cost;
}

std::int64_t SimVenue::locked(const std::string& asset) const {
  auto it = locked_.find(asset);
  return it == locked_.end() ? 0 : it->second;
}

std::optional<std::int64_t> SimVenue::base_for_quote(const std::string& symbol, std::int64_t quote) const {
  const auto last = last_price_.find(symbol);
  if (last == last_price_.end() || last->second <= 0) return std::nullopt;
  std::int64_t qty = static_cast<std::int64_t>(static_cast<__int128>(quote) * 100'000'000 / last->second);
  if (filters_.step_size > 0) qty -= qty % filters_.step_size;
  return qty;
}

namespace {
// The decimals a fixed-point step has (0.00001 -> 5): fapi's precision fields say what its
// filters say, so a client reading either rounds alike.
int decimals(std::int64_t step) {
  int places = 8;
  while (places > 0 && step > 0 && step % 10 == 0) {
    step /= 10;
    --places;
  }
  return places;
}
}  // namespace

// One symbol's entry, every symbol with the same filters.
std::string SimVenue::symbol_info(const std::string& symbol) const {
  const auto [base, quote] = split_symbol(symbol);
  const SymbolFilters& f = filters_;
  if (kind_ == AccountKind::usdm)
    return fmt::format(
        R"({{"symbol":{},"pair":{},"contractType":"PERPETUAL","deliveryDate":4133404800000,"onboardDate":1569398400000,)"
        R"("status":"TRADING","baseAsset":{},"quoteAsset":{},"marginAsset":{},"pricePrecision":{},"quantityPrecision":{},)"
        R"("baseAssetPrecision":8,"quotePrecision":8,"underlyingType":"COIN","settlePlan":0,"triggerProtect":"0.0500",)"
        R"("liquidationFee":"0.012500","marketTakeBound":"0.05","maintMarginPercent":"2.5000",)"
        R"("requiredMarginPercent":"5.0000","orderTypes":["LIMIT","MARKET"],"timeInForce":["GTC","IOC","FOK"],"filters":[)"
        R"({{"filterType":"PRICE_FILTER","minPrice":"{}","maxPrice":"1000000","tickSize":"{}"}},)"
        R"({{"filterType":"LOT_SIZE","minQty":"{}","maxQty":"{}","stepSize":"{}"}},)"
        R"({{"filterType":"MARKET_LOT_SIZE","minQty":"{}","maxQty":"{}","stepSize":"{}"}},)"
        R"({{"filterType":"MAX_NUM_ORDERS","limit":200}},{{"filterType":"MIN_NOTIONAL","notional":"{}"}}]}})",
        q(symbol), q(symbol), q(base), q(quote), q(quote), decimals(f.tick_size), decimals(f.step_size),
        format_fixed(f.tick_size), format_fixed(f.tick_size),
        format_fixed(f.min_qty), format_fixed(f.max_qty), format_fixed(f.step_size), format_fixed(f.min_qty),
        format_fixed(f.max_qty), format_fixed(f.step_size), format_fixed(f.min_notional));
  return fmt::format(
      R"({{"symbol":{},"status":"TRADING","baseAsset":{},"quoteAsset":{},"orderTypes":["LIMIT","MARKET"],"filters":[)"
      R"({{"filterType":"PRICE_FILTER","minPrice":"{}","maxPrice":"1000000","tickSize":"{}"}},)"
      R"({{"filterType":"LOT_SIZE","minQty":"{}","maxQty":"{}","stepSize":"{}"}},)"
      R"({{"filterType":"NOTIONAL","minNotional":"{}","applyMinToMarket":true,"maxNotional":"9000000",)"
      R"("applyMaxToMarket":false,"avgPriceMins":5}}]}})",
      q(symbol), q(base), q(quote), format_fixed(f.tick_size), format_fixed(f.tick_size), format_fixed(f.min_qty),
      format_fixed(f.max_qty), format_fixed(f.step_size), format_fixed(f.min_notional));
}

VenueResult<std::string> SimVenue::exchange_info(const Params& p, std::int64_t now_ms) const {
  std::string symbols;
  if (const std::string* symbol = get(p, "symbol")) {
    if (split_symbol(*symbol).first.empty()) return tl::unexpected(VenueError{400, -1121, "Invalid symbol."});
    symbols = symbol_info(*symbol);
  } else {  // as Binance: without a symbol, every symbol it trades (here: those its capture prints)
    for (const auto& [symbol, price] : last_price_)
      if (!split_symbol(symbol).first.empty()) symbols += (symbols.empty() ? "" : ",") + symbol_info(symbol);
  }
  return fmt::format(R"({{"timezone":"UTC","serverTime":{},"rateLimits":[],"symbols":[{}]}})", now_ms, symbols);
}

VenueResult<std::string> SimVenue::ticker_price(const Params& p) const {
  const std::string* symbol = get(p, "symbol");
  if (symbol == nullptr) return tl::unexpected(mandatory("symbol"));
  const auto last = last_price_.find(*symbol);
  if (last == last_price_.end()) return tl::unexpected(VenueError{400, -1121, "Invalid symbol."});
  return fmt::format(R"({{"symbol":{},"price":"{}"}})", q(*symbol), format_fixed(last->second));
}

void SimVenue::open_at(const std::string& symbol, std::int64_t price) { last_price_.emplace(symbol, price); }

std::string SimVenue::order_json(const SimOrder& o) const {
  if (kind_ == AccountKind::usdm) {
    const std::int64_t avg =
        o.executed_qty > 0 ? static_cast<std::int64_t>(static_cast<__int128>(o.quote_qty) * kOne / o.executed_qty) : 0;
    return fmt::format(
        R"({{"orderId":{},"symbol":{},"status":{},"clientOrderId":{},"price":"{}","avgPrice":"{}","origQty":"{}",)"
        R"("executedQty":"{}","cumQty":"{}","cumQuote":"{}","timeInForce":{},"type":{},"reduceOnly":{},)"
        R"("closePosition":false,"side":{},"positionSide":"BOTH","stopPrice":"0","workingType":"CONTRACT_PRICE",)"
        R"("priceProtect":false,"origType":{},"priceMatch":"NONE","selfTradePreventionMode":"NONE","goodTillDate":0,)"
        R"("time":{},"updateTime":{}}})",
        o.order_id, q(o.symbol), q(o.status), q(o.client_order_id), format_fixed(o.price), format_fixed(avg),
        format_fixed(o.qty), format_fixed(o.executed_qty), format_fixed(o.executed_qty), format_fixed(o.quote_qty),
        q(o.time_in_force), q(o.type), o.reduce_only, q(o.side), q(o.type), o.time_ms, o.update_ms);
  }
  return fmt::format(
      R"({{"symbol":{},"orderId":{},"orderListId":-1,"clientOrderId":{},"price":"{}","origQty":"{}","executedQty":"{}",)"
      R"("cummulativeQuoteQty":"{}","status":{},"timeInForce":{},"type":{},"side":{},"time":{},"updateTime":{}}})",
      q(o.symbol), o.order_id, q(o.client_order_id), format_fixed(o.price), format_fixed(o.qty),
      format_fixed(o.executed_qty), format_fixed(o.quote_qty), q(o.status), q(o.time_in_force), q(o.type), q(o.side),
      o.time_ms, o.update_ms);
}

void SimVenue::report(const SimOrder& o, const char* execution, std::int64_t ts_ms, const SimTrade* t,
                      const std::string& cancel_id) {
  // The log line lets a test follow an order as the venue sees it without asking the node.
  spdlog::info("order {} {} {}: {} ({} of {} executed)", o.client_order_id, o.type, o.side, o.status,
               format_fixed(o.executed_qty), format_fixed(o.qty));
  // A cancel is reported under the cancel request's own id (c), the order's in C.
  events_.push_back(fmt::format(
      R"({{"e":"executionReport","E":{},"s":{},"c":{},"S":{},"o":{},"f":{},"q":"{}","p":"{}","x":{},"X":{},"r":"NONE",)"
      R"("i":{},"l":"{}","z":"{}","L":"{}","n":"{}","N":{},"T":{},"t":{},"w":{},"m":{},"O":{},"Z":"{}","C":{}}})",
      ts_ms, q(o.symbol), q(cancel_id.empty() ? o.client_order_id : cancel_id), q(o.side), q(o.type),
      q(o.time_in_force), format_fixed(o.qty), format_fixed(o.price), q(execution), q(o.status), o.order_id,
      format_fixed(t ? t->qty : 0), format_fixed(o.executed_qty), format_fixed(t ? t->price : 0),
      format_fixed(t ? t->commission : 0), t ? q(t->commission_asset) : std::string("null"), ts_ms,
      t ? static_cast<std::int64_t>(t->trade_id) : -1, o.working(), t ? t->maker : false, o.time_ms,
      format_fixed(o.quote_qty), q(cancel_id.empty() ? "" : o.client_order_id)));
}

void SimVenue::fill(SimOrder& o, std::int64_t price, std::int64_t qty, std::int64_t ts_ms, std::string* fills_json) {
  const auto [base, quote] = split_symbol(o.symbol);
  qty = std::min(qty, o.qty - o.executed_qty);
  const bool last_piece = qty == o.qty - o.executed_qty;
  const std::int64_t cost = notional(qty, price);
  std::int64_t commission = 0, realized = 0;
  std::string commission_asset;
  if (kind_ == AccountKind::usdm) {  // the wallet pays the fee; the position moves
    commission = cost - less_fee(cost, fee_ppm_);
    commission_asset = quote;
    balances_[quote] -= commission;
    realized = settle_position(o.symbol, o.side == "BUY", qty, price);
    if (o.type == "LIMIT") {  // the margin a resting order held goes with its pieces
      const std::int64_t release =
          last_piece ? o.locked
                     : static_cast<std::int64_t>(static_cast<__int128>(o.locked) * qty / (o.qty - o.executed_qty));
      o.locked -= release;
      locked_[quote] -= release;
    }
  } else {
    // Spot: the commission, and which side of the fill pays it (quote_fee out of the quote
    // moved, base_fee out of the base a buy receives; in BNB, neither: the BNB balance).
    std::int64_t quote_fee = 0, base_fee = 0;
    if (fee_asset_ == FeeAsset::bnb) {
      commission = bnb_commission(cost);
      commission_asset = "BNB";
      balances_["BNB"] -= commission;
    } else if (o.side == "BUY" && fee_asset_ == FeeAsset::received) {
      commission = base_fee = qty - less_fee(qty, fee_ppm_);
      commission_asset = base;
    } else {
      commission = quote_fee = cost - less_fee(cost, fee_ppm_);
      commission_asset = quote;
    }
    if (o.side == "BUY") {
      const std::int64_t paid = cost + quote_fee;
      if (o.type == "LIMIT") {
        // Pieces release their share of what the order locked; the last releases the rest,
        // so rounding never strands a unit in `locked`.
        const std::int64_t release = last_piece ? o.locked : buy_hold(notional(qty, o.price));
        o.locked -= release;
        locked_[quote] -= release;
        balances_[quote] += release - paid;  // a better price returns the difference
      } else {
        balances_[quote] -= paid;
      }
      balances_[base] += qty - base_fee;
    } else {
      if (o.type == "LIMIT") {
        o.locked -= qty;
        locked_[base] -= qty;
      } else {
        balances_[base] -= qty;
      }
      balances_[quote] += cost - quote_fee;
    }
  }
  o.executed_qty += qty;
  o.quote_qty += cost;
  o.status = last_piece ? "FILLED" : "PARTIALLY_FILLED";
  o.update_ms = ts_ms;
  // A resting limit that a later trade crosses is the maker; an order that crossed on arrival took.
  const bool maker = o.type == "LIMIT" && fills_json == nullptr;
  trades_.push_back({next_trade_id_++, o.order_id, o.symbol, commission_asset, price, qty, commission, ts_ms,
                     realized, o.side == "BUY", maker});
  const SimTrade& t = trades_.back();
  report(o, "TRADE", ts_ms, &t);
  if (fills_json != nullptr)
    *fills_json += fmt::format(R"({{"price":"{}","qty":"{}","commission":"{}","commissionAsset":{},"tradeId":{}}})",
                               format_fixed(t.price), format_fixed(t.qty), format_fixed(t.commission),
                               q(t.commission_asset), t.trade_id);
}

void SimVenue::on_trade(const std::string& symbol, std::int64_t price, std::int64_t qty, std::int64_t ts_ms) {
  last_price_[symbol] = price;
  // No queue position is modelled: resting orders at a crossed price share the trade's
  // quantity in the order they arrived.
  for (auto& [id, o] : orders_) {
    if (qty <= 0) break;
    if (o.symbol != symbol || !o.working()) continue;
    const bool crosses = o.side == "BUY" ? price <= o.price : price >= o.price;
    if (!crosses) continue;
    const std::int64_t take = std::min(qty, o.qty - o.executed_qty);
    fill(o, o.price, take, ts_ms, nullptr);
    qty -= take;
  }
}

VenueResult<std::string> SimVenue::new_order(const Params& p, std::int64_t now_ms) {
  SimOrder o;
  const std::string* symbol = get(p, "symbol");
  if (symbol == nullptr) return tl::unexpected(mandatory("symbol"));
  const auto [base, quote] = split_symbol(*symbol);
  if (base.empty()) return tl::unexpected(VenueError{400, -1121, "Invalid symbol."});
  const std::string* side = get(p, "side");
  if (side == nullptr || (*side != "BUY" && *side != "SELL")) return tl::unexpected(mandatory("side"));
  const std::string* type = get(p, "type");
  if (type == nullptr) return tl::unexpected(mandatory("type"));
  if (*type != "MARKET" && *type != "LIMIT")
    return tl::unexpected(VenueError{400, -1116, "Invalid orderType."});
  const std::string* qty_text = get(p, "quantity");
  const auto qty = qty_text ? parse_fixed(*qty_text) : std::nullopt;
  if (!qty || *qty <= 0) return tl::unexpected(mandatory("quantity"));
  o.symbol = *symbol;
  o.side = *side;
  o.type = *type;
  o.qty = *qty;
  o.time_in_force = *type == "LIMIT" ? (get(p, "timeInForce") ? p.at("timeInForce") : "") : "GTC";
  if (*type == "LIMIT") {
    const std::string* price_text = get(p, "price");
    const auto price = price_text ? parse_fixed(*price_text) : std::nullopt;
    if (!price || *price <= 0) return tl::unexpected(mandatory("price"));
    if (o.time_in_force != "GTC" && o.time_in_force != "IOC" && o.time_in_force != "FOK")
      return tl::unexpected(mandatory("timeInForce"));
    o.price = *price;
  }
  if (const std::string* cid = get(p, "newClientOrderId")) {
    if (by_client_id_.count(*cid)) return tl::unexpected(VenueError{400, -2010, "Duplicate order sent."});
    o.client_order_id = *cid;
  } else {
    o.client_order_id = fmt::format("sim-{}", next_order_id_);
  }
  const auto last = last_price_.find(o.symbol);
  const bool marketable = last != last_price_.end() &&
                          (o.type == "MARKET" || (o.side == "BUY" ? last->second <= o.price : last->second >= o.price));
  if (o.type == "MARKET" && last == last_price_.end())
    return tl::unexpected(VenueError{400, -2010, "Market is closed."});  // no trade replayed yet
  const std::int64_t fill_price = o.type == "MARKET" ? last->second : o.price;
  const bool usdm = kind_ == AccountKind::usdm;
  if (usdm) o.reduce_only = get(p, "reduceOnly") != nullptr && p.at("reduceOnly") == "true";
  // The symbol's filters, in the venue's order: price, lot, notional (futures: their codes;
  // a reduce-only order is exempt from the minimum notional).
  const SymbolFilters& f = filters_;
  if (o.type == "LIMIT" && f.tick_size > 0 && o.price % f.tick_size != 0)
    return tl::unexpected(usdm ? VenueError{400, -4014, "Price not increased by tick size."}
                               : VenueError{400, -1013, "Filter failure: PRICE_FILTER"});
  if (o.qty < f.min_qty || o.qty > f.max_qty || (f.step_size > 0 && o.qty % f.step_size != 0))
    return tl::unexpected(usdm ? VenueError{400, -1111, "Precision is over the maximum defined for this asset."}
                               : VenueError{400, -1013, "Filter failure: LOT_SIZE"});
  if (notional(o.qty, fill_price) < f.min_notional && !o.reduce_only)
    return tl::unexpected(usdm ? VenueError{400, -4164,
                                            fmt::format("Order's notional must be no smaller than {} (unless you "
                                                        "choose reduce only).",
                                                        format_fixed(f.min_notional))}
                               : VenueError{400, -1013, "Filter failure: NOTIONAL"});
  // Funds: what the order may spend must be free (futures: the margin of what it opens,
  // and its fee, out of the available margin).
  const std::string& spend_asset = o.side == "BUY" || usdm ? quote : base;
  std::int64_t spend = 0;
  if (usdm) {
    const std::int64_t opening = opening_qty(o.symbol, o.side, o.qty);
    if (o.reduce_only && opening > 0) return tl::unexpected(VenueError{400, -2022, "ReduceOnly Order is rejected."});
    const auto pos = positions_.find(o.symbol);
    spend = notional(opening, fill_price) / (pos == positions_.end() ? SimPosition{}.leverage : pos->second.leverage);
    const std::int64_t fee = notional(o.qty, fill_price) - less_fee(notional(o.qty, fill_price), fee_ppm_);
    if (spend + fee > available_margin()) return tl::unexpected(VenueError{400, -2019, "Margin is insufficient."});
  } else {
    spend = o.side == "BUY" ? buy_hold(notional(o.qty, fill_price)) : o.qty;
    if (balances_[spend_asset] < spend)
      return tl::unexpected(VenueError{400, -2010, "Account has insufficient balance for requested action."});
  }

  o.order_id = next_order_id_++;
  o.status = "NEW";
  o.time_ms = o.update_ms = now_ms;
  std::string fills;
  report(o, "NEW", now_ms);
  if (o.type == "LIMIT") {  // futures: the margin is held, the wallet stays whole
    if (!usdm) balances_[spend_asset] -= spend;
    locked_[spend_asset] += spend;
    o.locked = spend;
  }
  if (marketable) {
    fill(o, last->second, o.qty, now_ms, &fills);  // a marketable limit takes the (equal or better) last price
  } else if (o.time_in_force == "IOC" || o.time_in_force == "FOK") {
    if (!usdm) balances_[spend_asset] += spend;
    locked_[spend_asset] -= spend;
    o.locked = 0;
    o.status = "EXPIRED";
    report(o, "EXPIRED", now_ms);
  }
  by_client_id_[o.client_order_id] = o.order_id;
  auto& stored = orders_[o.order_id] = o;
  if (usdm) return order_json(stored);  // /fapi/v1/order answers the order, fills come from userTrades
  std::string out = order_json(stored);
  out.pop_back();
  return fmt::format(R"({},"transactTime":{},"fills":[{}]}})", out, now_ms, fills);
}

const SimOrder* SimVenue::find(const Params& p) const {
  if (const std::string* id = get(p, "orderId")) {
    auto it = orders_.find(std::strtoull(id->c_str(), nullptr, 10));
    return it == orders_.end() ? nullptr : &it->second;
  }
  if (const std::string* cid = get(p, "origClientOrderId")) {
    auto it = by_client_id_.find(*cid);
    return it == by_client_id_.end() ? nullptr : &orders_.at(it->second);
  }
  return nullptr;
}

VenueResult<std::string> SimVenue::query_order(const Params& p) const {
  if (get(p, "symbol") == nullptr) return tl::unexpected(mandatory("symbol"));
  const SimOrder* o = find(p);
  if (o == nullptr || o->symbol != p.at("symbol")) return tl::unexpected(VenueError{400, -2013, "Order does not exist."});
  return order_json(*o);
}

VenueResult<std::string> SimVenue::cancel_order(const Params& p, std::int64_t now_ms) {
  if (get(p, "symbol") == nullptr) return tl::unexpected(mandatory("symbol"));
  const SimOrder* found = find(p);
  if (found == nullptr || found->symbol != p.at("symbol") || !found->working())
    return tl::unexpected(VenueError{400, -2011, "Unknown order sent."});
  SimOrder& o = orders_.at(found->order_id);
  const auto [base, quote] = split_symbol(o.symbol);
  const std::string& asset = o.side == "BUY" || kind_ == AccountKind::usdm ? quote : base;
  locked_[asset] -= o.locked;
  if (kind_ == AccountKind::spot) balances_[asset] += o.locked;
  o.locked = 0;
  o.status = "CANCELED";
  o.update_ms = now_ms;
  const std::string* cancel_id = get(p, "newClientOrderId");
  report(o, "CANCELED", now_ms, nullptr, cancel_id ? *cancel_id : fmt::format("cancel-{}", o.order_id));
  return order_json(o);
}

std::string SimVenue::open_orders(const Params& p) const {
  const std::string* symbol = get(p, "symbol");
  std::string out = "[";
  for (const auto& [id, o] : orders_) {
    if (!o.working() || (symbol != nullptr && o.symbol != *symbol)) continue;
    if (out.size() > 1) out += ",";
    out += order_json(o);
  }
  return out + "]";
}

VenueResult<std::string> SimVenue::my_trades(const Params& p) const {
  const std::string* symbol = get(p, "symbol");
  if (symbol == nullptr) return tl::unexpected(mandatory("symbol"));
  const std::string* order_id = get(p, "orderId");
  const std::uint64_t only = order_id ? std::strtoull(order_id->c_str(), nullptr, 10) : 0;
  std::string out = "[";
  for (const auto& t : trades_) {
    if (t.symbol != *symbol || (only != 0 && t.order_id != only)) continue;
    if (out.size() > 1) out += ",";
    if (kind_ == AccountKind::usdm) {
      out += fmt::format(
          R"({{"buyer":{},"commission":"{}","commissionAsset":{},"id":{},"maker":{},"orderId":{},"price":"{}",)"
          R"("qty":"{}","quoteQty":"{}","realizedPnl":"{}","side":{},"positionSide":"BOTH","symbol":{},"time":{}}})",
          t.buyer, format_fixed(t.commission), q(t.commission_asset), t.trade_id, t.maker, t.order_id,
          format_fixed(t.price), format_fixed(t.qty), format_fixed(notional(t.qty, t.price)),
          format_fixed(t.realized_pnl), q(t.buyer ? "BUY" : "SELL"), q(t.symbol), t.time_ms);
      continue;
    }
    out += fmt::format(
        R"({{"symbol":{},"id":{},"orderId":{},"orderListId":-1,"price":"{}","qty":"{}","quoteQty":"{}","commission":"{}",)"
        R"("commissionAsset":{},"time":{},"isBuyer":{},"isMaker":{},"isBestMatch":true}})",
        q(t.symbol), t.trade_id, t.order_id, format_fixed(t.price), format_fixed(t.qty),
        format_fixed(notional(t.qty, t.price)), format_fixed(t.commission), q(t.commission_asset), t.time_ms, t.buyer,
        t.maker);
  }
  return out + "]";
}

std::string SimVenue::account(std::int64_t now_ms) const {
  std::string out = fmt::format(
      R"({{"makerCommission":10,"takerCommission":10,"canTrade":true,"canWithdraw":false,"canDeposit":false,)"
      R"("updateTime":{},"accountType":"SPOT","balances":[)",
      now_ms);
  bool first = true;
  for (const auto& [asset, free] : balances_) {
    const auto l = locked_.find(asset);
    out += fmt::format(R"({}{{"asset":{},"free":"{}","locked":"{}"}})", first ? "" : ",", q(asset), format_fixed(free),
                       format_fixed(l == locked_.end() ? 0 : l->second));
    first = false;
  }
  return out + R"(],"permissions":["SPOT"]})";
}

std::string SimVenue::futures_balance(std::int64_t now_ms) const {
  std::string out = "[";
  for (const auto& [asset, wallet] : balances_) {
    // Only USDT margins positions; other assets are shown with what they hold.
    const std::int64_t available = asset == "USDT" ? available_margin() : wallet;
    out += fmt::format(R"({}{{"accountAlias":"SimAcct","asset":{},"balance":"{}","crossWalletBalance":"{}",)"
                       R"("crossUnPnl":"0","availableBalance":"{}","maxWithdrawAmount":"{}","marginAvailable":true,)"
                       R"("updateTime":{}}})",
                       out.size() > 1 ? "," : "", q(asset), format_fixed(wallet), format_fixed(wallet),
                       format_fixed(available), format_fixed(std::max<std::int64_t>(0, available)), now_ms);
  }
  return out + "]";
}

VenueResult<std::string> SimVenue::position_risk(const Params& p, std::int64_t now_ms) const {
  const std::string* only = get(p, "symbol");
  if (only != nullptr && last_price_.count(*only) == 0) return tl::unexpected(VenueError{400, -1121, "Invalid symbol."});
  std::string out = "[";
  for (const auto& [symbol, price] : last_price_) {  // every symbol the venue trades, flat ones too
    if (only != nullptr && symbol != *only) continue;
    const auto it = positions_.find(symbol);
    const SimPosition pos = it == positions_.end() ? SimPosition{} : it->second;
    const std::int64_t unrealized = notional(pos.qty, price) - notional(pos.qty, pos.entry_price);
    out += fmt::format(R"({}{{"symbol":{},"positionAmt":"{}","entryPrice":"{}","breakEvenPrice":"{}","markPrice":"{}",)"
                       R"("unRealizedProfit":"{}","liquidationPrice":"0","leverage":"{}","maxNotionalValue":"1000000",)"
                       R"("marginType":"{}","isolatedMargin":"0","isAutoAddMargin":"false","positionSide":"BOTH",)"
                       R"("notional":"{}","isolatedWallet":"0","updateTime":{}}})",
                       out.size() > 1 ? "," : "", q(symbol), format_fixed(pos.qty), format_fixed(pos.entry_price),
                       format_fixed(pos.entry_price), format_fixed(price), format_fixed(unrealized), pos.leverage,
                       pos.isolated ? "isolated" : "cross", format_fixed(notional(pos.qty, price)), now_ms);
  }
  return out + "]";
}

VenueResult<std::string> SimVenue::set_leverage(const Params& p) {
  const std::string* symbol = get(p, "symbol");
  if (symbol == nullptr) return tl::unexpected(mandatory("symbol"));
  if (split_symbol(*symbol).first.empty()) return tl::unexpected(VenueError{400, -1121, "Invalid symbol."});
  const std::string* text = get(p, "leverage");
  int leverage = 0;  // the whole text: "5x" is not 5
  if (text != nullptr) {
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), leverage);
    if (ec != std::errc{} || end != text->data() + text->size()) leverage = 0;
  }
  if (leverage < 1 || leverage > 125) return tl::unexpected(VenueError{400, -4028, "Leverage is not valid."});
  positions_[*symbol].leverage = leverage;
  return fmt::format(R"({{"leverage":{},"maxNotionalValue":"1000000","symbol":{}}})", leverage, q(*symbol));
}

VenueResult<std::string> SimVenue::set_margin_type(const Params& p) {
  const std::string* symbol = get(p, "symbol");
  if (symbol == nullptr) return tl::unexpected(mandatory("symbol"));
  if (split_symbol(*symbol).first.empty()) return tl::unexpected(VenueError{400, -1121, "Invalid symbol."});
  const std::string* type = get(p, "marginType");
  if (type == nullptr) return tl::unexpected(mandatory("marginType"));
  if (*type != "ISOLATED" && *type != "CROSSED")
    return tl::unexpected(VenueError{400, -1130, "Data sent for parameter 'marginType' is not valid."});
  SimPosition& pos = positions_[*symbol];
  if (pos.isolated == (*type == "ISOLATED")) return tl::unexpected(VenueError{400, -4046, "No need to change margin type."});
  if (pos.qty != 0)
    return tl::unexpected(VenueError{400, -4048, "Margin type cannot be changed if there exists position."});
  if (std::any_of(orders_.begin(), orders_.end(), [&](const auto& o) { return o.second.working() && o.second.symbol == *symbol; }))
    return tl::unexpected(VenueError{400, -4047, "Margin type cannot be changed if there exists open orders."});
  pos.isolated = *type == "ISOLATED";
  return std::string(R"({"code":200,"msg":"success"})");
}

std::string SimVenue::futures_account(std::int64_t now_ms) const {
  std::int64_t wallet = 0;
  if (auto it = balances_.find("USDT"); it != balances_.end()) wallet = it->second;
  std::int64_t unrealized = 0, position_margin = 0;
  std::string positions;
  for (const auto& [symbol, price] : last_price_) {
    const auto it = positions_.find(symbol);
    const SimPosition pos = it == positions_.end() ? SimPosition{} : it->second;
    const std::int64_t pnl = notional(pos.qty, price) - notional(pos.qty, pos.entry_price);
    const std::int64_t margin = notional(quantity_size(pos.qty), pos.entry_price) / pos.leverage;
    unrealized += pnl;
    position_margin += margin;
    positions += fmt::format(R"({}{{"symbol":{},"initialMargin":"{}","maintMargin":"0","unrealizedProfit":"{}",)"
                             R"("positionInitialMargin":"{}","openOrderInitialMargin":"0","leverage":"{}","isolated":{},)"
                             R"("entryPrice":"{}","maxNotional":"1000000","bidNotional":"0","askNotional":"0",)"
                             R"("positionSide":"BOTH","positionAmt":"{}","updateTime":{}}})",
                             positions.empty() ? "" : ",", q(symbol), format_fixed(margin), format_fixed(pnl),
                             format_fixed(margin), pos.leverage, pos.isolated ? "true" : "false", format_fixed(pos.entry_price),
                             format_fixed(pos.qty), now_ms);
  }
  const std::int64_t orders_margin = locked("USDT"), available = available_margin();
  const std::string w = format_fixed(wallet), u = format_fixed(unrealized), mb = format_fixed(wallet + unrealized),
                    im = format_fixed(position_margin + orders_margin), pm = format_fixed(position_margin),
                    om = format_fixed(orders_margin), a = format_fixed(available),
                    mw = format_fixed(std::max<std::int64_t>(0, available));
  return fmt::format(
      R"({{"feeTier":0,"canTrade":true,"canDeposit":true,"canWithdraw":true,"updateTime":0,"multiAssetsMargin":false,)"
      R"("tradeGroupId":-1,"totalInitialMargin":"{im}","totalMaintMargin":"0","totalWalletBalance":"{w}",)"
      R"("totalUnrealizedProfit":"{u}","totalMarginBalance":"{mb}","totalPositionInitialMargin":"{pm}",)"
      R"("totalOpenOrderInitialMargin":"{om}","totalCrossWalletBalance":"{w}","totalCrossUnPnl":"{u}",)"
      R"("availableBalance":"{a}","maxWithdrawAmount":"{mw}","assets":[{{"asset":"USDT","walletBalance":"{w}",)"
      R"("unrealizedProfit":"{u}","marginBalance":"{mb}","maintMargin":"0","initialMargin":"{im}",)"
      R"("positionInitialMargin":"{pm}","openOrderInitialMargin":"{om}","crossWalletBalance":"{w}","crossUnPnl":"{u}",)"
      R"("availableBalance":"{a}","maxWithdrawAmount":"{mw}","marginAvailable":true,"updateTime":{now}}}],)"
      R"("positions":[{positions}]}})",
      fmt::arg("im", im), fmt::arg("w", w), fmt::arg("u", u), fmt::arg("mb", mb), fmt::arg("pm", pm), fmt::arg("om", om),
      fmt::arg("a", a), fmt::arg("mw", mw), fmt::arg("now", now_ms), fmt::arg("positions", positions));
}

VenueResult<std::string> SimVenue::leverage_brackets(const Params& p) const {
  // Binance's BTCUSDT brackets: notional floor, maintenance margin rate, the highest leverage
  // (cum: what keeps the maintenance margin continuous at each floor).
  static constexpr const char* kBrackets =
      R"([{"bracket":1,"initialLeverage":125,"notionalCap":50000,"notionalFloor":0,"maintMarginRatio":0.004,"cum":0.0},)"
      R"({"bracket":2,"initialLeverage":100,"notionalCap":250000,"notionalFloor":50000,"maintMarginRatio":0.005,"cum":50.0},)"
      R"({"bracket":3,"initialLeverage":50,"notionalCap":1000000,"notionalFloor":250000,"maintMarginRatio":0.01,"cum":1300.0},)"
      R"({"bracket":4,"initialLeverage":20,"notionalCap":10000000,"notionalFloor":1000000,"maintMarginRatio":0.025,"cum":16300.0},)"
      R"({"bracket":5,"initialLeverage":10,"notionalCap":20000000,"notionalFloor":10000000,"maintMarginRatio":0.05,"cum":266300.0}])";
  const std::string* only = get(p, "symbol");
  if (only != nullptr && last_price_.count(*only) == 0) return tl::unexpected(VenueError{400, -1121, "Invalid symbol."});
  std::string out = "[";
  for (const auto& [symbol, price] : last_price_) {
    if (only != nullptr && symbol != *only) continue;
    out += fmt::format(R"({}{{"symbol":{},"notionalCoef":1.0,"brackets":{}}})", out.size() > 1 ? "," : "", q(symbol),
                       kBrackets);
  }
  return out + "]";
}

}  // namespace trader::sim
