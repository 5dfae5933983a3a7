#pragma once
// exchange-sim's Coinbase personality: Advanced Trade REST (api/v3/brokerage, and v2's
// time) over the same SimVenue, in Coinbase's shapes, ids and error format. Pure: no I/O,
// no clock (times come in as arguments). Orders are placed, filled and canceled by the
// venue; fees are in the quote asset, on top of a buy's cost, as on Coinbase.
//
// Endpoints: GET /v2/time, /api/v3/brokerage/time; products (public market/products and
// private products, one or all), transaction_summary, accounts; POST orders
// (market_market_ioc by base_size or quote_size, limit_limit_gtc, limit_limit_fok,
// sor_limit_ioc), orders/batch_cancel; GET orders/historical/{order_id},
// orders/historical/batch, orders/historical/fills.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "exchange/sim/sim_venue.hpp"

namespace trader::sim {

struct HttpAnswer {
  int status = 200;
  std::string body;
};

// Order ids look like Coinbase's UUIDs and carry the venue's number:
// 7 -> "00000000-0000-4000-8000-000000000007".
std::string coinbase_order_id(std::uint64_t order_id);
std::optional<std::uint64_t> parse_coinbase_order_id(std::string_view id);

class CoinbaseApi {
 public:
  explicit CoinbaseApi(SimVenue& venue) : venue_(venue) {}

  // Whether `path` needs a signed request (every brokerage path but market/ and time).
  static bool is_private(std::string_view path);

  // One request: `query` from the URL, `body` the JSON body of a POST.
  HttpAnswer answer(std::string_view method, std::string_view path, const Params& query, std::string_view body,
                    std::int64_t now_ms);

 private:
  std::string product_json(const std::string& product) const;
  std::string order_json(const SimOrder& o) const;
  HttpAnswer create_order(std::string_view body, std::int64_t now_ms);
  HttpAnswer cancel_orders(std::string_view body, std::int64_t now_ms);
  HttpAnswer fills(const Params& query) const;

  SimVenue& venue_;
};

// Checks "Authorization: Bearer <JWT>" as Coinbase does: an ES256 signature by the
// account's key (`key_pem`, its private key, whose public part verifies), kid and sub the
// key's name, iss "cdp" (or "coinbase-cloud", as older clients send), nbf no later than
// now (+5 s of skew), exp after now and at most 120 s after nbf, and uri "METHOD
// host/path" for this very request. nullopt when it holds, else the 401 to answer.
std::optional<HttpAnswer> coinbase_auth_error(std::string_view authorization, std::string_view method,
                                              std::string_view host, std::string_view path,
                                              const std::string& key_name, const std::string& key_pem,
                                              std::int64_t now_s);

}  // namespace trader::sim
