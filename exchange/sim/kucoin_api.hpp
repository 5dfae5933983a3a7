#pragma once
// exchange-sim's KuCoin personality: KuCoin spot REST (the HF trading account's order
// endpoints, which every KuCoin account now trades through) over the same SimVenue, in
// KuCoin's shapes ({"code":"200000","data":...}), ids and errors ({"code","msg"}). Pure:
// no I/O, no clock (times come in as arguments). Fees are in the quote asset, as on KuCoin.
//
// Public: GET /api/v1/timestamp, /api/v2/symbols[/{symbol}], /api/v1/market/allTickers,
// /api/v3/currencies, /api/v1/market/orderbook/level1 and level2_100 (the capture's recorded
// book, else one around the last price).
// Private (signed): GET /api/v1/accounts, /api/v1/hf/accounts/opened, /api/ua/v1/account/mode,
// /api/v3/margin/symbols and /api/v1/isolated/symbols (none: spot only); POST /api/v1/hf/orders
// (limit GTC/IOC/FOK by size, market by size or, for a buy, funds); GET and DELETE
// /api/v1/hf/orders/{orderId} and /api/v1/hf/orders/client-order/{clientOid} (?symbol=);
// GET /api/v1/hf/orders/active[/symbols], /api/v1/hf/orders/done, /api/v1/hf/fills.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "exchange/sim/coinbase_api.hpp"  // HttpAnswer
#include "exchange/sim/sim_venue.hpp"

namespace trader::sim {

// KuCoin order ids are 24 hex digits: the venue's number 7 -> "000000000000000000000007".
std::string kucoin_order_id(std::uint64_t order_id);
std::optional<std::uint64_t> parse_kucoin_order_id(std::string_view id);

// KuCoin's error answer: {"code":"400100","msg":"..."}.
HttpAnswer kucoin_error(int status, std::string_view code, std::string_view msg);

class KucoinApi {
 public:
  explicit KucoinApi(SimVenue& venue) : venue_(venue) {}

  // Whether `path` needs a signed request.
  static bool is_private(std::string_view path);

  HttpAnswer answer(std::string_view method, std::string_view path, const Params& query, std::string_view body,
                    std::int64_t now_ms);
  // The symbol's order book as the capture recorded it last (its REST answer's data): what
  // level2_100 serves from then on, in place of a book made up around the last price.
  void set_book(const std::string& symbol, std::string data_json) { books_[symbol] = std::move(data_json); }

 private:
  std::string symbol_json(const std::string& symbol) const;
  std::string order_json(const SimOrder& o) const;
  HttpAnswer create_order(std::string_view body, std::int64_t now_ms);
  HttpAnswer cancel(const SimOrder* o, bool by_client_id, std::int64_t now_ms);
  HttpAnswer fills(const Params& query) const;
  HttpAnswer orders(const Params& query, bool active) const;
  HttpAnswer book(const Params& query) const;

  SimVenue& venue_;
  std::map<std::string, std::string> books_;  // symbol -> the recorded book's data
};

// Checks KuCoin's signed-request headers (kucoin_sign.hpp) as KuCoin does, in its order:
// all present (400001), the timestamp within 5 s of now (400002), the key (400003), the
// passphrase (400004, "2"/"3": its HMAC; "1": itself), the signature over timestamp +
// METHOD + path?query + body (400005). nullopt when it holds, else the 401 to answer.
struct KucoinAuthHeaders {
  std::string_view key, sign, timestamp, passphrase, key_version;
};
std::optional<HttpAnswer> kucoin_auth_error(const KucoinAuthHeaders& h, std::string_view method, std::string_view target,
                                            std::string_view body, const std::string& api_key,
                                            const std::string& api_secret, const std::string& passphrase,
                                            std::int64_t now_ms);

}  // namespace trader::sim
