#pragma once
// KuCoin spot REST as a Venue (exchange/venue.hpp), on the HF trading account's endpoints
// (every KuCoin account trades through them now), through a RestSession (rest_session.hpp:
// KC-API-* signing on KuCoin's clock, KuCoin's answers and failures). Symbols in and out
// are the node's instruments ("BTC-USDT@kucoin"); requests name KuCoin's symbol ("BTC-USDT").
//
// How the Venue calls map onto KuCoin:
//  - place: POST /api/v1/hf/orders with our clientOid; the order's state is then read back.
//  - query: GET /api/v1/hf/orders/client-order/{clientOid}?symbol= (KuCoin looks orders up
//    by client id itself); "order not exist" is the order unknown.
//  - cancel: DELETE /api/v1/hf/orders/client-order/{clientOid}?symbol=, then read back.
//  - trades: GET /api/v1/hf/fills?symbol=&orderId=; fees as KuCoin charged them (feeCurrency).
//  - open_orders: the symbols with active orders (/api/v1/hf/orders/active/symbols), then
//    each one's (/api/v1/hf/orders/active?symbol=).
//  - balances: GET /api/v1/accounts?type=trade (available, holds).
//  - rules: GET /api/v2/symbols/{symbol} (baseIncrement, baseMinSize, baseMaxSize,
//    priceIncrement, minFunds); price: /api/v1/market/orderbook/level1.
//  - klines: not read from KuCoin (history warm-up is Binance's); rejected, saying so.
// Errors are KuCoin's {"code","msg"} (rest_session.hpp); used_weight() is the resource pool's.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "exchange/kucoin/rest_options.hpp"
#include "exchange/venue.hpp"

namespace trader::kucoin {

// Parses one HF order as KuCoin writes it, its symbol the instrument ("BTC-USDT@kucoin").
VenueReply<VenueOrder> parse_order(std::string_view json);
// Parses a symbol (/api/v2/symbols/{symbol}'s data) into its rules.
VenueReply<SymbolRules> parse_symbol_rules(std::string_view json);

class RestVenue final : public Venue {
 public:
  static Result<std::unique_ptr<RestVenue>> create(RestVenueOptions options);
  ~RestVenue() override;
  std::string name() const override { return "kucoin"; }
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
  std::int64_t used_weight() const override;

 private:
  struct Impl;
  explicit RestVenue(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace trader::kucoin
