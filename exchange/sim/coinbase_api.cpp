#include "exchange/sim/coinbase_api.hpp"

#include <charconv>
#include <map>

#include <fmt/format.h>
#include <simdjson.h>

#include "base/time_format.hpp"
#include "credentials/jwt.hpp"
#include "messages/fixed_point.hpp"

namespace trader::sim {
namespace {
namespace sj = simdjson;
namespace dom = simdjson::dom;

constexpr std::string_view kBrokerage = "/api/v3/brokerage/";
constexpr std::string_view kOrderIdPrefix = "00000000-0000-4000-8000-";
constexpr std::int64_t kOne = 100'000'000;

// Every string the venue echoes is its own or validated: no escaping needed.
std::string q(std::string_view s) { return fmt::format("\"{}\"", s); }

HttpAnswer error(int status, std::string_view code, std::string_view message) {
  return {status, fmt::format(R"({{"error":{},"error_details":{},"message":{}}})", q(code), q(message), q(message))};
}

// A failed create: Coinbase answers 200 with success false, the reason, and for the
// reasons its order preview knows, that reason too (PREVIEW_INSUFFICIENT_FUND...).
HttpAnswer order_failure(std::string_view reason, std::string_view message, const std::string& configuration,
                         std::string_view preview = "") {
  return {200, fmt::format(R"({{"success":false,"failure_reason":"UNKNOWN_FAILURE_REASON","order_id":"",)"
                           R"("error_response":{{"error":{},"message":{},"error_details":{},"new_order_failure_reason":{}{}}},)"
                           R"("order_configuration":{}}})",
                           q(reason), q(message), q(message), q(reason),
                           preview.empty() ? std::string() : fmt::format(R"(,"preview_failure_reason":{})", q(preview)),
                           configuration.empty() ? "null" : configuration)};
}

std::string status_of(const SimOrder& o) {
  if (o.working()) return "OPEN";
  if (o.status == "FILLED") return "FILLED";
  if (o.status == "CANCELED") return "CANCELLED";
  return "EXPIRED";
}

std::string time_in_force_of(const SimOrder& o) {
  if (o.type == "MARKET" || o.time_in_force == "IOC") return "IMMEDIATE_OR_CANCEL";
  if (o.time_in_force == "FOK") return "FILL_OR_KILL";
  return "GOOD_UNTIL_CANCELLED";
}

bool is_product(const std::string& symbol) { return symbol.find('-') != std::string::npos && !split_symbol(symbol).first.empty(); }

// A decimal field of the order configuration, as fixed point.
std::optional<std::int64_t> decimal(dom::object o, std::string_view key) {
  std::string_view text;
  if (o[key].get_string().get(text) != sj::SUCCESS) return std::nullopt;
  return parse_fixed(text);
}

}  // namespace

std::string coinbase_order_id(std::uint64_t order_id) { return fmt::format("{}{:012x}", kOrderIdPrefix, order_id); }

std::optional<std::uint64_t> parse_coinbase_order_id(std::string_view id) {
  if (id.size() != kOrderIdPrefix.size() + 12 || id.substr(0, kOrderIdPrefix.size()) != kOrderIdPrefix) return std::nullopt;
  std::uint64_t n = 0;
  const auto digits = id.substr(kOrderIdPrefix.size());
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n, 16);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return n;
}

bool CoinbaseApi::is_private(std::string_view path) {
  return path.substr(0, kBrokerage.size()) == kBrokerage && path.substr(kBrokerage.size()).rfind("market/", 0) != 0 &&
         path.substr(kBrokerage.size()) != "time";
}

std::string CoinbaseApi::product_json(const std::string& product) const {
  const auto [base, quote] = split_symbol(product);
  const SymbolFilters& f = venue_.filters();
  const auto last = venue_.prices().find(product);
  return fmt::format(
      R"({{"product_id":{},"price":"{}","price_percentage_change_24h":"0","volume_24h":"0",)"
      R"("volume_percentage_change_24h":"0","base_increment":"{}","quote_increment":"{}","quote_min_size":"{}",)"
      R"("quote_max_size":"150000000","base_min_size":"{}","base_max_size":"{}","base_name":{},"quote_name":{},)"
      R"("watched":false,"is_disabled":false,"new":false,"status":"online","cancel_only":false,"limit_only":false,)"
      R"("post_only":false,"trading_disabled":false,"auction_mode":false,"product_type":"SPOT",)"
      R"("quote_currency_id":{},"base_currency_id":{},"fcm_trading_session_details":null,"mid_market_price":"",)"
      R"("alias":"","alias_to":[],"base_display_symbol":{},"quote_display_symbol":{},"view_only":false,)"
      R"("price_increment":"{}","display_name":{},"product_venue":"CBE"}})",
      q(product), last == venue_.prices().end() ? "" : format_fixed(last->second), format_fixed(f.step_size),
      format_fixed(f.tick_size), format_fixed(f.min_notional), format_fixed(f.min_qty), format_fixed(f.max_qty), q(base),
      q(quote), q(quote), q(base), q(base), q(quote), format_fixed(f.tick_size), q(product));
}

std::string CoinbaseApi::order_json(const SimOrder& o) const {
  std::int64_t fees = 0, fills = 0, last_fill_ms = 0;
  for (const auto& t : venue_.trades())
    if (t.order_id == o.order_id) {
      fees += t.commission;
      ++fills;
      last_fill_ms = t.time_ms;
    }
  std::string configuration;
  if (o.type == "MARKET") {
    configuration = fmt::format(R"({{"market_market_ioc":{{"base_size":"{}"}}}})", format_fixed(o.qty));
  } else {
    const char* kind = o.time_in_force == "FOK" ? "limit_limit_fok" : o.time_in_force == "IOC" ? "sor_limit_ioc" : "limit_limit_gtc";
    configuration = fmt::format(R"({{"{}":{{"base_size":"{}","limit_price":"{}"{}}}}})", kind, format_fixed(o.qty),
                                format_fixed(o.price), o.time_in_force == "GTC" ? R"(,"post_only":false)" : "");
  }
  const std::int64_t average =
      o.executed_qty == 0 ? 0 : static_cast<std::int64_t>(static_cast<__int128>(o.quote_qty) * kOne / o.executed_qty);
  const bool is_buy = o.side == "BUY";
  return fmt::format(
      R"({{"order_id":{},"product_id":{},"user_id":"sim","order_configuration":{},"side":{},"client_order_id":{},)"
      R"("status":{},"time_in_force":{},"created_time":{},"completion_percentage":"{}","filled_size":"{}",)"
      R"("average_filled_price":"{}","fee":"","number_of_fills":"{}","filled_value":"{}","pending_cancel":false,)"
      R"("size_in_quote":false,"total_fees":"{}","size_inclusive_of_fees":false,"total_value_after_fees":"{}",)"
      R"("trigger_status":"INVALID_ORDER_TYPE","order_type":{},"reject_reason":"","settled":{},"product_type":"SPOT",)"
      R"("reject_message":"","cancel_message":"","order_placement_source":"RETAIL_ADVANCED",)"
      R"("outstanding_hold_amount":"{}","is_liquidation":false,"last_fill_time":{},"leverage":"","margin_type":"",)"
      R"("retail_portfolio_id":"sim"}})",
      q(coinbase_order_id(o.order_id)), q(o.symbol), configuration, q(o.side), q(o.client_order_id), q(status_of(o)),
      q(time_in_force_of(o)), q(format_utc_ms(o.time_ms)), o.qty == 0 ? 0 : o.executed_qty * 100 / o.qty,
      format_fixed(o.executed_qty), format_fixed(average), fills, format_fixed(o.quote_qty), format_fixed(fees),
      format_fixed(is_buy ? o.quote_qty + fees : o.quote_qty - fees), q(o.type), o.working() ? "false" : "true",
      format_fixed(o.locked), last_fill_ms == 0 ? std::string("null") : q(format_utc_ms(last_fill_ms)));
}

HttpAnswer CoinbaseApi::create_order(std::string_view body, std::int64_t now_ms) {
  dom::parser parser;
  dom::object req;
  if (parser.parse(body.data(), body.size()).get_object().get(req) != sj::SUCCESS)
    return error(400, "INVALID_ARGUMENT", "the body is not a JSON object");
  std::string_view cid, product, side;
  if (req["client_order_id"].get_string().get(cid) != sj::SUCCESS || cid.empty())
    return error(400, "INVALID_ARGUMENT", "client_order_id is required");
  if (req["product_id"].get_string().get(product) != sj::SUCCESS) return error(400, "INVALID_ARGUMENT", "product_id is required");
  if (req["side"].get_string().get(side) != sj::SUCCESS) side = {};
  dom::object config;
  if (req["order_configuration"].get_object().get(config) != sj::SUCCESS)
    return order_failure("UNSUPPORTED_ORDER_CONFIGURATION", "order_configuration is required", "");
  const std::string configuration = sj::minify(config);
  // The same client order id again: Coinbase places nothing and answers with the order it has.
  if (const SimOrder* known = venue_.order_by_client_id(std::string(cid)))
    return {200, fmt::format(R"({{"success":true,"failure_reason":"UNKNOWN_FAILURE_REASON","order_id":{},)"
                             R"("success_response":{{"order_id":{},"product_id":{},"side":{},"client_order_id":{}}},)"
                             R"("order_configuration":{}}})",
                             q(coinbase_order_id(known->order_id)), q(coinbase_order_id(known->order_id)),
                             q(known->symbol), q(known->side), q(known->client_order_id), configuration)};
  if (side != "BUY" && side != "SELL") return order_failure("INVALID_SIDE", "side must be BUY or SELL", configuration);
  if (!is_product(std::string(product)) || !venue_.trades_symbol(std::string(product)))
    return order_failure("INVALID_PRODUCT_ID", "ProductID is invalid", configuration);

  Params p{{"symbol", std::string(product)}, {"side", std::string(side)}, {"newClientOrderId", std::string(cid)}};
  dom::object o;
  if (config["market_market_ioc"].get_object().get(o) == sj::SUCCESS) {
    p["type"] = "MARKET";
    if (const auto base = decimal(o, "base_size")) {
      p["quantity"] = format_fixed(*base);
    } else if (const auto quote = decimal(o, "quote_size"); quote && side == "BUY") {
      const auto qty = venue_.base_for_quote(std::string(product), *quote);
      if (!qty) return order_failure("INVALID_NO_LIQUIDITY", "no price to fill at yet", configuration);
      p["quantity"] = format_fixed(*qty);
    } else {
      return order_failure("INVALID_ARGUMENT", "market_market_ioc needs base_size (or quote_size for a buy)", configuration);
    }
  } else {
    const char* tif = nullptr;
    for (const auto& [kind, t] : {std::pair{"limit_limit_gtc", "GTC"}, {"limit_limit_fok", "FOK"}, {"sor_limit_ioc", "IOC"}})
      if (config[kind].get_object().get(o) == sj::SUCCESS) tif = t;
    if (tif == nullptr) return order_failure("UNSUPPORTED_ORDER_CONFIGURATION", "order configuration not supported", configuration);
    const auto base = decimal(o, "base_size");
    const auto price = decimal(o, "limit_price");
    if (!base || !price) return order_failure("INVALID_ARGUMENT", "base_size and limit_price are required", configuration);
    bool post_only = false;
    if (o["post_only"].get_bool().get(post_only) != sj::SUCCESS) post_only = false;  // absent: not post-only
    const auto last = venue_.prices().find(std::string(product));
    if (post_only && last != venue_.prices().end() && (side == "BUY" ? last->second <= *price : last->second >= *price))
      return order_failure("INVALID_LIMIT_PRICE_POST_ONLY", "a post-only order would cross the book", configuration);
    p["type"] = "LIMIT";
    p["timeInForce"] = tif;
    p["quantity"] = format_fixed(*base);
    p["price"] = format_fixed(*price);
  }
  auto placed = venue_.new_order(p, now_ms);
  if (!placed) {
    const auto& e = placed.error();
    if (e.msg.find("insufficient") != std::string::npos)
      return order_failure("INSUFFICIENT_FUND", "Insufficient balance in source account", configuration,
                           "PREVIEW_INSUFFICIENT_FUND");
    if (e.msg.find("LOT_SIZE") != std::string::npos)
      return order_failure("INVALID_SIZE_PRECISION", "base_size is not a multiple of base_increment or out of range", configuration);
    if (e.msg.find("PRICE_FILTER") != std::string::npos)
      return order_failure("INVALID_PRICE_PRECISION", "limit_price is not a multiple of quote_increment", configuration);
    if (e.msg.find("NOTIONAL") != std::string::npos)
      return order_failure("INVALID_ARGUMENT", "the order's value is below quote_min_size", configuration,
                           "PREVIEW_INVALID_QUOTE_SIZE_TOO_SMALL");
    return order_failure("UNKNOWN_FAILURE_REASON", e.msg, configuration);
  }
  const SimOrder* made = venue_.order_by_client_id(std::string(cid));
  const std::string id = coinbase_order_id(made->order_id);
  return {200, fmt::format(R"({{"success":true,"failure_reason":"UNKNOWN_FAILURE_REASON","order_id":{},)"
                           R"("success_response":{{"order_id":{},"product_id":{},"side":{},"client_order_id":{}}},)"
                           R"("order_configuration":{}}})",
                           q(id), q(id), q(made->symbol), q(made->side), q(made->client_order_id), configuration)};
}

HttpAnswer CoinbaseApi::cancel_orders(std::string_view body, std::int64_t now_ms) {
  dom::parser parser;
  dom::array ids;
  if (parser.parse(body.data(), body.size())["order_ids"].get_array().get(ids) != sj::SUCCESS)
    return error(400, "INVALID_ARGUMENT", "order_ids is required");
  std::string results;
  for (dom::element e : ids) {
    std::string_view id;
    if (e.get_string().get(id) != sj::SUCCESS) return error(400, "INVALID_ARGUMENT", "order_ids holds strings");
    const auto n = parse_coinbase_order_id(id);
    const SimOrder* o = n ? venue_.order(*n) : nullptr;
    const char* failure = o == nullptr ? "UNKNOWN_CANCEL_ORDER"
                          : !o->working() ? (o->status == "CANCELED" ? "DUPLICATE_CANCEL_REQUEST" : "INVALID_CANCEL_REQUEST")
                                          : nullptr;
    if (failure == nullptr && !venue_.cancel_order({{"symbol", o->symbol}, {"orderId", std::to_string(o->order_id)}}, now_ms))
      failure = "UNKNOWN_CANCEL_FAILURE_REASON";
    results += fmt::format(R"({}{{"success":{},"failure_reason":{},"order_id":{}}})", results.empty() ? "" : ",",
                           failure == nullptr ? "true" : "false",
                           q(failure == nullptr ? "UNKNOWN_CANCEL_FAILURE_REASON" : failure), q(id));
  }
  return {200, fmt::format(R"({{"results":[{}]}})", results)};
}

HttpAnswer CoinbaseApi::fills(const Params& query) const {
  auto get = [&](const char* key) -> std::string {
    auto it = query.find(key);
    return it == query.end() ? std::string() : it->second;
  };
  const std::string order_filter = get("order_ids").empty() ? get("order_id") : get("order_ids");
  const std::string product_filter = get("product_ids").empty() ? get("product_id") : get("product_ids");
  const auto only = order_filter.empty() ? std::nullopt : parse_coinbase_order_id(order_filter);
  if (!order_filter.empty() && !only) return {200, R"({"fills":[],"cursor":""})"};
  std::string out;
  for (const auto& t : venue_.trades()) {
    if (!is_product(t.symbol) || (only && t.order_id != *only) || (!product_filter.empty() && t.symbol != product_filter)) continue;
    const std::string when = q(format_utc_ms(t.time_ms));
    out += fmt::format(
        R"({}{{"entry_id":"{}","trade_id":"{}","order_id":{},"trade_time":{},"trade_type":"FILL","price":"{}",)"
        R"("size":"{}","commission":"{}","product_id":{},"sequence_timestamp":{},"liquidity_indicator":{},)"
        R"("size_in_quote":false,"user_id":"sim","side":{},"retail_portfolio_id":"sim"}})",
        out.empty() ? "" : ",", t.trade_id, t.trade_id, q(coinbase_order_id(t.order_id)), when, format_fixed(t.price),
        format_fixed(t.qty), format_fixed(t.commission), q(t.symbol), when, t.maker ? "\"MAKER\"" : "\"TAKER\"",
        t.buyer ? "\"BUY\"" : "\"SELL\"");
  }
  return {200, fmt::format(R"({{"fills":[{}],"cursor":""}})", out)};
}

HttpAnswer CoinbaseApi::answer(std::string_view method, std::string_view path, const Params& query, std::string_view body,
                               std::int64_t now_ms) {
  const std::string iso = format_utc_ms(now_ms);
  if (method == "GET" && path == "/v2/time")
    return {200, fmt::format(R"({{"data":{{"iso":{},"epoch":{}}}}})", q(iso), now_ms / 1000)};
  if (path.substr(0, kBrokerage.size()) != kBrokerage) return error(404, "NOT_FOUND", "Not Found");
  std::string_view rest = path.substr(kBrokerage.size());
  if (method == "GET" && rest == "time")
    return {200, fmt::format(R"({{"iso":{},"epochSeconds":"{}","epochMillis":"{}"}})", q(iso), now_ms / 1000, now_ms)};
  if (rest.rfind("market/", 0) == 0) rest.remove_prefix(7);  // public twins of the product endpoints
  if (method == "GET" && rest == "products") {
    const auto type = query.find("product_type");
    std::string list;
    std::size_t n = 0;
    if (type == query.end() || type->second == "SPOT")
      for (const auto& [symbol, price] : venue_.prices())
        if (is_product(symbol)) list += (n++ ? "," : "") + product_json(symbol);
    return {200, fmt::format(R"({{"products":[{}],"num_products":{}}})", list, n)};
  }
  if (method == "GET" && rest.rfind("products/", 0) == 0) {
    const std::string product(rest.substr(9));
    if (!is_product(product) || !venue_.trades_symbol(product)) return error(404, "NOT_FOUND", "ProductID is invalid");
    return {200, product_json(product)};
  }
  if (method == "GET" && rest == "transaction_summary") {
    const std::string rate = format_fixed(venue_.fee_ppm() * 100);
    return {200, fmt::format(R"({{"total_volume":0,"total_fees":0,"fee_tier":{{"pricing_tier":"sim","usd_from":"0",)"
                             R"("usd_to":"1000","taker_fee_rate":"{}","maker_fee_rate":"{}","aop_from":"","aop_to":""}},)"
                             R"("margin_rate":null,"goods_and_services_tax":null,"advanced_trade_only_volume":0,)"
                             R"("advanced_trade_only_fees":0,"coinbase_pro_volume":0,"coinbase_pro_fees":0,)"
                             R"("total_balance":"","has_promo_fee":false}})",
                             rate, rate)};
  }
  if (method == "GET" && rest == "accounts") {
    std::string list;
    for (const auto& [asset, free] : venue_.balances()) {
      const bool fiat = asset == "USD" || asset == "EUR" || asset == "GBP";
      list += fmt::format(
          R"({}{{"uuid":"sim-account-{}","name":"{} Wallet","currency":{},"available_balance":{{"value":"{}","currency":{}}},)"
          R"("default":true,"active":true,"created_at":"2024-01-01T00:00:00Z","updated_at":{},"deleted_at":null,)"
          R"("type":{},"ready":true,"hold":{{"value":"{}","currency":{}}},"retail_portfolio_id":"sim"}})",
          list.empty() ? "" : ",", asset, asset, q(asset), format_fixed(free), q(asset), q(iso),
          fiat ? "\"ACCOUNT_TYPE_FIAT\"" : "\"ACCOUNT_TYPE_CRYPTO\"", format_fixed(venue_.locked(asset)), q(asset));
    }
    return {200, fmt::format(R"({{"accounts":[{}],"has_next":false,"cursor":"","size":{}}})", list,
                             venue_.balances().size())};
  }
  if (method == "POST" && rest == "orders") return create_order(body, now_ms);
  if (method == "POST" && rest == "orders/batch_cancel") return cancel_orders(body, now_ms);
  if (method == "GET" && rest == "orders/historical/fills") return fills(query);
  if (method == "GET" && rest == "orders/historical/batch") {
    const auto status = query.find("order_status");
    const auto product = query.count("product_ids") ? query.find("product_ids") : query.find("product_id");
    std::string list;
    for (const auto& [id, o] : venue_.all_orders()) {
      if (!is_product(o.symbol) || (status != query.end() && status_of(o) != status->second) ||
          (product != query.end() && o.symbol != product->second))
        continue;
      list += (list.empty() ? "" : ",") + order_json(o);
    }
    return {200, fmt::format(R"({{"orders":[{}],"sequence":"0","has_next":false,"cursor":""}})", list)};
  }
  if (method == "GET" && rest.rfind("orders/historical/", 0) == 0) {
    const auto n = parse_coinbase_order_id(rest.substr(18));
    const SimOrder* o = n ? venue_.order(*n) : nullptr;
    if (o == nullptr) return error(404, "NOT_FOUND", "order with this orderID was not found");
    return {200, fmt::format(R"({{"order":{}}})", order_json(*o))};
  }
  return error(404, "NOT_FOUND", "Not Found");
}

std::optional<HttpAnswer> coinbase_auth_error(std::string_view authorization, std::string_view method,
                                              std::string_view host, std::string_view path,
                                              const std::string& key_name, const std::string& key_pem,
                                              std::int64_t now_s) {
  auto refuse = [](std::string why) { return std::optional<HttpAnswer>(error(401, "unauthorized", why)); };
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.substr(0, kBearer.size()) != kBearer) return refuse("Authorization: Bearer <JWT> is required");
  auto verified = credentials::verify_es256_jwt(authorization.substr(kBearer.size()), key_pem);
  if (!verified) return refuse(verified.error().message);
  dom::parser parser;
  dom::object header, claims;
  if (parser.parse(verified->header_json).get_object().get(header) != sj::SUCCESS) return refuse("the JWT header is not JSON");
  std::string_view kid;
  if (header["kid"].get_string().get(kid) != sj::SUCCESS || kid != key_name) return refuse("the JWT's kid is not this API key");
  dom::parser claims_parser;
  if (claims_parser.parse(verified->claims_json).get_object().get(claims) != sj::SUCCESS)
    return refuse("the JWT claims are not JSON");
  std::string_view sub, iss, uri;
  std::int64_t nbf = 0, exp = 0;
  if (claims["sub"].get_string().get(sub) != sj::SUCCESS || sub != key_name) return refuse("the JWT's sub is not this API key");
  if (claims["iss"].get_string().get(iss) != sj::SUCCESS || (iss != "cdp" && iss != "coinbase-cloud"))
    return refuse("the JWT's iss is not cdp");
  if (claims["nbf"].get_int64().get(nbf) != sj::SUCCESS || claims["exp"].get_int64().get(exp) != sj::SUCCESS)
    return refuse("the JWT needs nbf and exp");
  if (nbf > now_s + 5) return refuse("the JWT is not valid yet (nbf)");
  if (exp <= now_s) return refuse("the JWT has expired (exp)");
  if (exp - nbf > 120) return refuse("the JWT lives longer than 120 s");
  const std::string expected = fmt::format("{} {}{}", method, host, path);
  if (claims["uri"].get_string().get(uri) != sj::SUCCESS || uri != expected)
    return refuse(fmt::format("the JWT's uri is not \"{}\"", expected));
  return std::nullopt;
}

}  // namespace trader::sim
