#pragma once
// KuCoin Futures REST (api-futures.kucoin.com) as a Venue (exchange/venue.hpp): linear
// USDT-margined perpetuals, one-way positions, isolated or cross margin (as the portfolio
// books them: futures.margin_mode), through a RestSession
// (rest_session.hpp: KC-API-* signing on KuCoin's clock, its answers and failures).
// Instruments in and out are the node's ("XBTUSDTM@kucoin_futures"); requests name
// KuCoin's symbol ("XBTUSDTM"). KuCoin counts sizes in lots of the contract's multiplier
// (XBTUSDTM: 0.001 XBT): the contract (GET /api/v1/contracts/{symbol}, read once per
// symbol) makes the node's base quantities lots and back, exactly: an order that is not a
// whole number of lots is refused before anything is sent.
//
// How the Venue calls map onto KuCoin Futures:
//  - place: POST /api/v1/orders with our clientOid, size in lots, the marginMode and the
//    leverage set_margin set (isolated leverage is each order's) and reduceOnly for a
//    perpetual's exit; then read back.
//  - query: GET /api/v1/orders/byClientOid?clientOid= ; no data (or "order not exist") is
//    the order unknown.
//  - cancel: DELETE /api/v1/orders/client-order/{clientOid}?symbol=, then read back.
//  - trades: GET /api/v1/fills?orderId= (every page), oldest first; fees as charged.
//  - open_orders: GET /api/v1/orders?status=active (every page).
//  - balances: GET /api/v1/account-overview?currency=USDT: free is availableBalance, locked
//    the rest of the margin balance (what positions and orders hold).
//  - positions: GET /api/v1/positions (open ones; currentQty signed lots).
//  - set_margin: the symbol made ISOLATED or CROSS if it is not (GET
//    /api/v2/position/getMarginMode, POST /api/v2/position/changeMarginMode); isolated
//    leverage is then each order's, cross leverage the symbol's
//    (POST /api/v2/changeCrossUserLeverage).
//  - rules: the contract (lotSize × multiplier is the step and minimum, maxOrderQty the
//    maximum, tickSize); price: GET /api/v1/ticker.
//  - klines: not read from KuCoin (history warm-up is Binance's); refused, saying so.
// KuCoin Futures writes many decimals as JSON numbers: each is read as the shortest decimal
// that is the same double (the digits KuCoin wrote), then exactly.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "exchange/kucoin/rest_options.hpp"
#include "exchange/venue.hpp"

namespace trader::kucoin {

// What the order path needs of a contract: base units per lot, and its limits.
struct FuturesContract {
  std::string symbol;              // KuCoin's ("XBTUSDTM")
  std::int64_t multiplier = 0;     // base units per lot, fixed point
  std::int64_t lot_size = 1;       // the smallest order, in lots
  std::int64_t max_order_lots = 0;  // 0: no maximum given
  std::int64_t tick_size = 0;
};

// Parses a contract (GET /api/v1/contracts/{symbol}'s data); inverse contracts are refused.
VenueReply<FuturesContract> parse_contract(std::string_view json);
// Parses one order (its data), sizes made base units with the contract's multiplier.
VenueReply<VenueOrder> parse_futures_order(std::string_view json, std::int64_t multiplier);

class FuturesRestVenue final : public Venue {
 public:
  static Result<std::unique_ptr<FuturesRestVenue>> create(RestVenueOptions options);
  ~FuturesRestVenue() override;
  std::string name() const override { return "kucoin_futures"; }
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
  VenueReply<std::vector<VenuePosition>> positions() override;
  VenueReply<int> set_margin(const std::string& symbol, futures::MarginMode mode, int leverage) override;

 private:
  struct Impl;
  explicit FuturesRestVenue(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace trader::kucoin
