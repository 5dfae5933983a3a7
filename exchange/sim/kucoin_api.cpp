#include "exchange/sim/kucoin_api.hpp"

#include <charconv>
#include <set>

#include <fmt/format.h>
#include <simdjson.h>

#include "credentials/credentials.hpp"
#include "credentials/kucoin_sign.hpp"
#include "messages/fixed_point.hpp"

namespace trader::sim {
namespace {
namespace sj = simdjson;
namespace dom = simdjson::dom;

constexpr std::int64_t kOne = 100'000'000;
constexpr std::string_view kHfOrders = "/api/v1/hf/orders/";
constexpr std::string_view kClientOrder = "client-order/";

// Every string the venue echoes is its own or validated: no escaping needed.
std::string q(std::string_view s) { return fmt::format("\"{}\"", s); }
HttpAnswer ok(std::string_view data) { return {200, fmt::format(R"({{"code":"200000","data":{}}})", data)}; }

bool is_pair(const std::string& symbol) {
  return symbol.find('-') != std::string::npos && !split_symbol(symbol).first.empty();
}

std::string get(const Params& p, const char* key) {
  auto it = p.find(key);
  return it == p.end() ? std::string() : it->second;
}

// A decimal field of the request: a string, as KuCoin documents it, or a JSON number.
std::optional<std::int64_t> decimal(dom::object o, std::string_view key) {
  dom::element e;
  if (o[key].get(e) != sj::SUCCESS) return std::nullopt;
  std::string_view text;
  std::string number;
  if (e.get_string().get(text) != sj::SUCCESS) {
    if (!e.is_number()) return std::nullopt;
    number = sj::minify(e);
    text = number;
  }
  return parse_fixed(text);
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string kucoin_order_id(std::uint64_t order_id) { return fmt::format("{:024x}", order_id); }

std::optional<std::uint64_t> parse_kucoin_order_id(std::string_view id) {
  std::uint64_t n = 0;
  if (id.size() != 24) return std::nullopt;
  const auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), n, 16);
  if (ec != std::errc() || end != id.data() + id.size()) return std::nullopt;
  return n;
}

HttpAnswer kucoin_error(int status, std::string_view code, std::string_view msg) {
  return {status, fmt::format(R"({{"code":{},"msg":{}}})", q(code), q(msg))};
}

bool KucoinApi::is_private(std::string_view path) {
  return path == "/api/v1/accounts" || path.rfind("/api/v1/hf/", 0) == 0 || path.rfind("/api/ua/", 0) == 0 ||
         path == "/api/v3/margin/symbols" || path == "/api/v1/isolated/symbols";
}

std::string KucoinApi::symbol_json(const std::string& symbol) const {
  const auto [base, quote] = split_symbol(symbol);
  const SymbolFilters& f = venue_.filters();
  return fmt::format(
      R"({{"symbol":{},"name":{},"baseCurrency":{},"quoteCurrency":{},"feeCurrency":{},"market":"USDS",)"
      R"("baseMinSize":"{}","quoteMinSize":"{}","baseMaxSize":"{}","quoteMaxSize":"99999999","baseIncrement":"{}",)"
      R"("quoteIncrement":"0.000001","priceIncrement":"{}","priceLimitRate":"0.1","minFunds":"{}",)"
      R"("isMarginEnabled":false,"enableTrading":true,"feeCategory":1,"makerFeeCoefficient":"1.00",)"
      R"("takerFeeCoefficient":"1.00","st":false}})",
      q(symbol), q(symbol), q(base), q(quote), q(quote), format_fixed(f.min_qty), format_fixed(f.min_notional),
      format_fixed(f.max_qty), format_fixed(f.step_size), format_fixed(f.tick_size), format_fixed(f.min_notional));
}

std::string KucoinApi::order_json(const SimOrder& o) const {
  std::int64_t fees = 0;
  for (const auto& t : venue_.trades())
    if (t.order_id == o.order_id) fees += t.commission;
  const bool market = o.type == "MARKET";
  const bool canceled = !o.working() && o.status != "FILLED";
  const std::int64_t left = o.qty - o.executed_qty;
  const auto quote = split_symbol(o.symbol).second;
  return fmt::format(
      R"({{"id":{},"clientOid":{},"symbol":{},"opType":"DEAL","type":{},"side":{},"price":"{}","size":"{}",)"
      R"("funds":"0","dealSize":"{}","dealFunds":"{}","remainSize":"{}","remainFunds":"0","cancelledSize":"{}",)"
      R"("cancelledFunds":"0","fee":"{}","feeCurrency":{},"stp":null,"timeInForce":{},"postOnly":false,"hidden":false,)"
      R"("iceberg":false,"visibleSize":"0","cancelAfter":0,"channel":"API","remark":null,"tags":null,)"
      R"("cancelExist":{},"tradeType":"TRADE","inOrderBook":{},"active":{},"createdAt":{},"lastUpdatedAt":{}}})",
      q(kucoin_order_id(o.order_id)), q(o.client_order_id), q(o.symbol), q(lower(o.type)), q(lower(o.side)),
      market ? "0" : format_fixed(o.price), format_fixed(o.qty), format_fixed(o.executed_qty), format_fixed(o.quote_qty),
      o.working() ? format_fixed(left) : "0", canceled ? format_fixed(left) : "0", format_fixed(fees), q(quote),
      q(market ? "GTC" : o.time_in_force), canceled ? "true" : "false", o.working() ? "true" : "false",
      o.working() ? "true" : "false", o.time_ms, o.update_ms);
}

HttpAnswer KucoinApi::create_order(std::string_view body, std::int64_t now_ms) {
  dom::parser parser;
  dom::object req;
  if (parser.parse(body.data(), body.size()).get_object().get(req) != sj::SUCCESS)
    return kucoin_error(400, "400100", "The body is not a JSON object.");
  std::string_view cid, symbol, side, type, tif;
  if (req["clientOid"].get_string().get(cid) != sj::SUCCESS || cid.empty() || cid.size() > 40)
    return kucoin_error(400, "400100", "validation.createOrder.clientOidIsRequired");
  if (req["symbol"].get_string().get(symbol) != sj::SUCCESS || !is_pair(std::string(symbol)) ||
      !venue_.trades_symbol(std::string(symbol)))
    return kucoin_error(400, "400100", "Unsupported trading pair.");
  if (req["side"].get_string().get(side) != sj::SUCCESS || (side != "buy" && side != "sell"))
    return kucoin_error(400, "400100", "side must be buy or sell");
  if (req["type"].get_string().get(type) != sj::SUCCESS) type = "limit";  // KuCoin's defaults
  if (req["timeInForce"].get_string().get(tif) != sj::SUCCESS) tif = "GTC";
  // The same clientOid again: KuCoin refuses it and places nothing.
  if (venue_.order_by_client_id(std::string(cid)) != nullptr) return kucoin_error(200, "126033", "Duplicate order");
  Params p{{"symbol", std::string(symbol)}, {"side", side == "buy" ? "BUY" : "SELL"}, {"newClientOrderId", std::string(cid)}};
  const auto size = decimal(req, "size");
  if (type == "market") {
    p["type"] = "MARKET";
    if (size) {
      p["quantity"] = format_fixed(*size);
    } else if (const auto funds = decimal(req, "funds"); funds && side == "buy") {
      const auto qty = venue_.base_for_quote(std::string(symbol), *funds);
      if (!qty) return kucoin_error(400, "400100", "Unsupported trading pair.");  // no price yet: not trading
      p["quantity"] = format_fixed(*qty);
    } else {
      return kucoin_error(400, "400100", "a market order needs size (or funds for a buy)");
    }
  } else if (type == "limit") {
    const auto price = decimal(req, "price");
    if (!size || !price) return kucoin_error(400, "400100", "a limit order needs price and size");
    if (tif != "GTC" && tif != "IOC" && tif != "FOK") return kucoin_error(400, "400100", "timeInForce not in the given range!");
    p["type"] = "LIMIT";
    p["timeInForce"] = std::string(tif);
    p["quantity"] = format_fixed(*size);
    p["price"] = format_fixed(*price);
  } else {
    return kucoin_error(400, "400100", "type not in the given range!");
  }
  auto placed = venue_.new_order(p, now_ms);
  if (!placed) {
    const auto& e = placed.error();
    if (e.msg.find("insufficient") != std::string::npos) return kucoin_error(200, "200004", "Balance insufficient!");
    if (e.msg.find("LOT_SIZE") != std::string::npos) {
      const bool small = size && *size < venue_.filters().min_qty;
      return kucoin_error(400, "400100", small ? "Order size below the minimum requirement." : "Order size increment invalid.");
    }
    if (e.msg.find("PRICE_FILTER") != std::string::npos) return kucoin_error(400, "400100", "Price increment invalid.");
    if (e.msg.find("NOTIONAL") != std::string::npos) return kucoin_error(400, "400100", "Order funds below the minimum requirement.");
    return kucoin_error(400, "400100", e.msg);
  }
  const SimOrder* made = venue_.order_by_client_id(std::string(cid));
  return ok(fmt::format(R"({{"orderId":{},"clientOid":{}}})", q(kucoin_order_id(made->order_id)), q(made->client_order_id)));
}

HttpAnswer KucoinApi::cancel(const SimOrder* o, bool by_client_id, std::int64_t now_ms) {
  if (o == nullptr || !o->working() ||
      !venue_.cancel_order({{"symbol", o->symbol}, {"orderId", std::to_string(o->order_id)}}, now_ms))
    return kucoin_error(200, "400100", "order_not_exist_or_not_allow_to_cancel");
  return by_client_id ? ok(fmt::format(R"({{"clientOid":{}}})", q(o->client_order_id)))
                      : ok(fmt::format(R"({{"orderId":{}}})", q(kucoin_order_id(o->order_id))));
}

HttpAnswer KucoinApi::fills(const Params& query) const {
  const std::string symbol = get(query, "symbol"), order = get(query, "orderId");
  if (symbol.empty()) return kucoin_error(400, "400100", "symbol is required");
  const auto only = order.empty() ? std::nullopt : parse_kucoin_order_id(order);
  std::string items;
  std::uint64_t last_id = 0;
  for (const auto& t : venue_.trades()) {
    if (t.symbol != symbol || (!order.empty() && (!only || t.order_id != *only))) continue;
    const std::int64_t funds = static_cast<std::int64_t>(static_cast<__int128>(t.price) * t.qty / kOne);
    const SimOrder* o = venue_.order(t.order_id);
    items += fmt::format(
        R"({}{{"id":{},"orderId":{},"counterOrderId":"","tradeId":{},"symbol":{},"side":{},"liquidity":{},)"
        R"("type":{},"forceTaker":false,"price":"{}","size":"{}","funds":"{}","fee":"{}","feeRate":"{}",)"
        R"("feeCurrency":{},"stop":"","tradeType":"TRADE","taxRate":"0","tax":"0","createdAt":{}}})",
        items.empty() ? "" : ",", t.trade_id, q(kucoin_order_id(t.order_id)), t.trade_id, q(t.symbol),
        t.buyer ? "\"buy\"" : "\"sell\"", t.maker ? "\"maker\"" : "\"taker\"", q(o ? lower(o->type) : "limit"),
        format_fixed(t.price), format_fixed(t.qty), format_fixed(funds), format_fixed(t.commission),
        format_fixed(venue_.fee_ppm() * 100), q(t.commission_asset), t.time_ms);
    last_id = t.trade_id;
  }
  return ok(fmt::format(R"({{"items":[{}],"lastId":{}}})", items, last_id));
}

HttpAnswer KucoinApi::orders(const Params& query, bool active) const {
  const std::string symbol = get(query, "symbol");
  if (symbol.empty()) return kucoin_error(400, "400100", "symbol is required");
  std::string list;
  for (const auto& [id, o] : venue_.all_orders())
    if (o.symbol == symbol && o.working() == active) list += (list.empty() ? "" : ",") + order_json(o);
  // Active orders are a list; done orders a page.
  return active ? ok(fmt::format("[{}]", list)) : ok(fmt::format(R"({{"lastId":0,"items":[{}]}})", list));
}

HttpAnswer KucoinApi::book(const Params& query) const {
  const std::string symbol = get(query, "symbol");
  if (const auto recorded = books_.find(symbol); recorded != books_.end()) return ok(recorded->second);
  const auto last = venue_.prices().find(symbol);
  if (last == venue_.prices().end()) return kucoin_error(400, "400100", "Unsupported trading pair.");
  const std::int64_t tick = std::max<std::int64_t>(venue_.filters().tick_size, 1);
  return ok(fmt::format(R"({{"time":0,"sequence":"1","bids":[["{}","1"]],"asks":[["{}","1"]]}})",
                        format_fixed(last->second - tick), format_fixed(last->second + tick)));
}

HttpAnswer KucoinApi::answer(std::string_view method, std::string_view path, const Params& query, std::string_view body,
                             std::int64_t now_ms) {
  const bool get_ = method == "GET";
  if (get_ && path == "/api/v1/timestamp") return {200, fmt::format(R"({{"code":"200000","msg":"success","data":{}}})", now_ms)};
  if (get_ && path == "/api/v2/symbols") {
    std::string list;
    for (const auto& [symbol, price] : venue_.prices())
      if (is_pair(symbol)) list += (list.empty() ? "" : ",") + symbol_json(symbol);
    return ok(fmt::format("[{}]", list));
  }
  if (get_ && path.rfind("/api/v2/symbols/", 0) == 0) {
    const std::string symbol(path.substr(16));
    if (!is_pair(symbol) || !venue_.trades_symbol(symbol)) return kucoin_error(400, "400100", "Unsupported trading pair.");
    return ok(symbol_json(symbol));
  }
  if (get_ && path == "/api/v1/market/orderbook/level1") {
    const auto last = venue_.prices().find(get(query, "symbol"));
    if (last == venue_.prices().end()) return kucoin_error(400, "400100", "Unsupported trading pair.");
    const std::string p = format_fixed(last->second);
    return ok(fmt::format(R"({{"time":{},"sequence":"1","price":"{}","size":"0","bestBid":"{}","bestBidSize":"1",)"
                          R"("bestAsk":"{}","bestAskSize":"1"}})",
                          now_ms, p, p, p));
  }
  if (get_ && path == "/api/v1/market/allTickers") {
    const std::string rate = format_fixed(venue_.fee_ppm() * 100);
    std::string list;
    for (const auto& [symbol, price] : venue_.prices()) {
      if (!is_pair(symbol)) continue;
      const std::string p = format_fixed(price);
      list += fmt::format(
          R"({}{{"symbol":{},"symbolName":{},"buy":"{}","sell":"{}","changeRate":"0","changePrice":"0","high":"{}",)"
          R"("low":"{}","vol":"0","volValue":"0","last":"{}","averagePrice":"{}","takerFeeRate":"{}",)"
          R"("makerFeeRate":"{}","takerCoefficient":"1","makerCoefficient":"1"}})",
          list.empty() ? "" : ",", q(symbol), q(symbol), p, p, p, p, p, p, rate, rate);
    }
    return ok(fmt::format(R"({{"time":{},"ticker":[{}]}})", now_ms, list));
  }
  if (get_ && path == "/api/v3/currencies") {
    std::string list;
    for (const auto& [asset, amount] : venue_.balances())
      list += fmt::format(R"({}{{"currency":{},"name":{},"fullName":{},"precision":8,"confirms":null,)"
                          R"("contractAddress":null,"isMarginEnabled":false,"isDebitEnabled":false,"chains":[]}})",
                          list.empty() ? "" : ",", q(asset), q(asset), q(asset));
    return ok(fmt::format("[{}]", list));
  }
  if (get_ && path == "/api/v1/market/orderbook/level2_100") return book(query);
  if (get_ && path == "/api/ua/v1/account/mode") return ok(R"({"selfAccountMode":"CLASSIC"})");
  if (get_ && path == "/api/v3/margin/symbols") return ok(fmt::format(R"({{"timestamp":{},"items":[]}})", now_ms));
  if (get_ && path == "/api/v1/isolated/symbols") return ok("[]");
  if (get_ && path == "/api/v1/hf/accounts/opened") return ok("true");
  if (get_ && path == "/api/v1/accounts") {
    const std::string type = get(query, "type"), currency = get(query, "currency");
    std::string list;
    // The one account trades on the HF engine; clients ask for it as "trade" or "trade_hf".
    if (type.empty() || type == "trade" || type == "trade_hf")
      for (const auto& [asset, free] : venue_.balances()) {
        if (!currency.empty() && currency != asset) continue;
        const std::int64_t held = venue_.locked(asset);
        list += fmt::format(R"({}{{"id":"sim-{}","currency":{},"type":{},"balance":"{}","available":"{}","holds":"{}"}})",
                            list.empty() ? "" : ",", asset, q(asset), q(type.empty() ? "trade" : type),
                            format_fixed(free + held), format_fixed(free), format_fixed(held));
      }
    return ok(fmt::format("[{}]", list));
  }
  if (method == "POST" && path == "/api/v1/hf/orders") return create_order(body, now_ms);
  if (get_ && path == "/api/v1/hf/orders/active") return orders(query, true);
  if (get_ && path == "/api/v1/hf/orders/active/symbols") {
    std::set<std::string> symbols;
    for (const auto& [id, o] : venue_.all_orders())
      if (o.working()) symbols.insert(o.symbol);
    std::string list;
    for (const auto& symbol : symbols) list += (list.empty() ? "" : ",") + q(symbol);
    return ok(fmt::format(R"({{"symbols":[{}]}})", list));
  }
  if (get_ && path == "/api/v1/hf/orders/done") return orders(query, false);
  if (get_ && path == "/api/v1/hf/fills") return fills(query);
  if ((get_ || method == "DELETE") && path.rfind(kHfOrders, 0) == 0) {
    std::string_view id = path.substr(kHfOrders.size());
    const bool by_client_id = id.rfind(kClientOrder, 0) == 0;
    if (by_client_id) id.remove_prefix(kClientOrder.size());
    const std::string symbol = get(query, "symbol");
    if (symbol.empty()) return kucoin_error(400, "400100", "symbol is required");
    const SimOrder* o = nullptr;
    if (by_client_id) o = venue_.order_by_client_id(std::string(id));
    else if (const auto n = parse_kucoin_order_id(id)) o = venue_.order(*n);
    if (o != nullptr && o->symbol != symbol) o = nullptr;
    if (method == "DELETE") return cancel(o, by_client_id, now_ms);
    if (o == nullptr) return kucoin_error(200, "400100", "order not exist.");
    return ok(order_json(*o));
  }
  return kucoin_error(404, "404", "Not Found");
}

std::optional<HttpAnswer> kucoin_auth_error(const KucoinAuthHeaders& h, std::string_view method, std::string_view target,
                                            std::string_view body, const std::string& api_key,
                                            const std::string& api_secret, const std::string& passphrase,
                                            std::int64_t now_ms) {
  auto refuse = [](std::string_view code, std::string_view msg) { return std::optional<HttpAnswer>(kucoin_error(401, code, msg)); };
  if (h.key.empty() || h.sign.empty() || h.timestamp.empty() || h.passphrase.empty())
    return refuse("400001", "Please check the header of your request for KC-API-KEY, KC-API-SIGN, KC-API-TIMESTAMP, KC-API-PASSPHRASE");
  std::int64_t ts = 0;
  const auto [end, ec] = std::from_chars(h.timestamp.data(), h.timestamp.data() + h.timestamp.size(), ts);
  if (ec != std::errc() || end != h.timestamp.data() + h.timestamp.size() || std::llabs(ts - now_ms) > 5000)
    return refuse("400002", "KC-API-TIMESTAMP Invalid -- Time differs from server time by more than 5 seconds");
  if (!credentials::equal_constant_time(std::string(h.key), api_key)) return refuse("400003", "KC-API-KEY not exists");
  const std::string expected_passphrase =
      h.key_version == "1" ? passphrase : credentials::hmac_sha256_base64(api_secret, passphrase);
  if (!credentials::equal_constant_time(std::string(h.passphrase), expected_passphrase))
    return refuse("400004", "Invalid KC-API-PASSPHRASE");
  const std::string payload = fmt::format("{}{}{}{}", h.timestamp, method, target, body);
  if (!credentials::equal_constant_time(std::string(h.sign), credentials::hmac_sha256_base64(api_secret, payload)))
    return refuse("400005", "Invalid KC-API-SIGN");
  return std::nullopt;
}

}  // namespace trader::sim
