#pragma once
// Coinbase Advanced Trade REST (api/v3/brokerage) as a Venue (exchange/venue.hpp). Every
// private request carries a fresh ES256 JWT (credentials/jwt.hpp) whose uri is "METHOD
// host/path" of that very request. Symbols in and out are the node's instruments
// ("BTC-USD@coinbase"); requests name the product ("BTC-USD").
//
// How the Venue calls map onto Coinbase:
//  - place: POST orders with our client_order_id. Coinbase answers an id again with the
//    order it has, so a resend cannot place twice; the order's state is then read back.
//  - query by client id: the ids this process placed are remembered; any other is looked
//    up among the product's orders (orders/historical/batch, page by page).
//  - cancel: orders/batch_cancel by the venue's id, then the order read back.
//  - trades: orders/historical/fills. Coinbase's trade ids are text; a numeric one is its
//    number, any other a stable 64-bit hash of it (FNV-1a), so fills are still told apart.
//  - rules and price: the public market/products/{id} (base_increment, base_min_size,
//    base_max_size, price_increment or else quote_increment, quote_min_size, price), and
//    the clock from the public time; both from `public_url`, since Coinbase's sandbox
//    serves only accounts and orders (and those as fixed, made-up answers).
//  - klines: not read from Coinbase (history warm-up is Binance's); rejected, saying so.
// There is no weight header: used_weight() is 0; a 429 is rate_limited with Retry-After.
// Tokens are dated on Coinbase's clock (the offset sync_time measured), since it refuses
// one not valid yet or expired by its own.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "credentials/credentials.hpp"
#include "exchange/venue.hpp"

namespace trader::coinbase {

struct RestVenueOptions {
  std::string base_url;  // https://api.coinbase.com, https://api-sandbox.coinbase.com, https://127.0.0.1:PORT
  std::string ca_file;   // empty: the system CA store (for both URLs)
  // Public market data (time, products): empty: base_url. The sandbox has none: https://api.coinbase.com.
  std::string public_url;
  // api_key: the key's name ("organizations/{org}/apiKeys/{id}"); api_secret: its EC
  // private key (PEM).
  credentials::ApiCredentials credentials;
  std::chrono::milliseconds timeout{5000};
};

// Parses one order as Coinbase writes it (orders/historical/{id}, the batch's entries),
// its symbol the instrument ("BTC-USD@coinbase").
VenueReply<VenueOrder> parse_order(std::string_view json);
// Parses a product (market/products/{id}) into its rules, the symbol the instrument.
VenueReply<SymbolRules> parse_product_rules(std::string_view json);

class RestVenue final : public Venue {
 public:
  static Result<std::unique_ptr<RestVenue>> create(RestVenueOptions options);
  ~RestVenue() override;
  std::string name() const override { return "coinbase"; }
  VenueReply<std::int64_t> sync_time() override;
  VenueReply<VenueOrder> place(const OrderRequest& request) override;
  VenueReply<VenueOrder> cancel(const std::string& symbol, const std::string& client_order_id) override;
  VenueReply<VenueOrder> query(const std::string& symbol, const std::string& client_order_id) override;
  VenueReply<std::vector<VenueFill>> trades(const std::string& symbol, const std::string& exchange_order_id) override;
  VenueReply<std::vector<VenueOrder>> open_orders() override;
  VenueReply<std::vector<VenueBalance>> balances() override;
  VenueReply<SymbolRules> rules(const std::string& symbol) override;
  VenueReply<std::int64_t> price(const std::string& symbol) override;
  VenueReply<std::vector<Kline>> klines(const std::string& symbol, std::uint32_t interval_s, std::int64_t start_ms,
                                        std::int64_t end_ms, int limit, std::int64_t now_ms) override;
  std::int64_t used_weight() const override { return 0; }

 private:
  struct Impl;
  explicit RestVenue(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace trader::coinbase
