#pragma once
// exchange-sim's KuCoin Futures personality: KuCoin Futures REST (api-futures.kucoin.com)
// over the same SimVenue's USDⓈ-M-style account (one-way positions, a USDT wallet), in
// KuCoin's shapes ({"code":"200000","data":...}), ids and errors. Sizes are whole lots of
// the contract's multiplier (XBTUSDTM: 0.001 XBT), which the contract the capture recorded
// gives; the account holds base units. Pure: no I/O, no clock.
//
// Margin modes as KuCoin's: each symbol is ISOLATED (KuCoin's default) or CROSS
// (POST /api/v2/position/changeMarginMode, refused while a position is open). An isolated
// order carries its leverage (a position opened from flat takes it); a cross order uses the
// symbol's cross leverage (POST /api/v2/changeCrossUserLeverage, which an isolated symbol
// refuses here). An order naming the other mode is refused. The account's margin arithmetic is the same for both (each position's
// notional at entry over its leverage): no liquidation happens here either way.
//
// Public: GET /api/v1/timestamp, /api/v1/contracts/active, /api/v1/contracts/{symbol} (each
// as the capture recorded it, with nextFundingRateTime, the live ms to the next funding of
// the sim's schedule, when the recording lacks it), /api/v1/ticker?symbol= (the last price).
// Private (signed): POST /api/v1/orders (market or limit GTC/IOC by size in lots, cross
// margin; reduceOnly); GET /api/v1/orders/{orderId}, /api/v1/orders/byClientOid?clientOid=;
// DELETE /api/v1/orders/{orderId}, /api/v1/orders/client-order/{clientOid}?symbol=;
// GET /api/v1/orders?status=active|done[&symbol=], /api/v1/fills?orderId=|symbol=,
// /api/v1/account-overview?currency=USDT, /api/v1/positions, /api/v1/position?symbol=;
// POST /api/v2/changeCrossUserLeverage, GET /api/v2/getCrossUserLeverage?symbol=,
// GET /api/v2/position/getMarginMode?symbol=, POST /api/v2/position/changeMarginMode,
// GET /api/ua/v1/account/mode (CLASSIC).
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "exchange/sim/coinbase_api.hpp"  // HttpAnswer
#include "exchange/sim/sim_venue.hpp"

namespace trader::sim {

class KucoinFuturesApi {
 public:
  explicit KucoinFuturesApi(SimVenue& venue) : venue_(venue) {}

  // Whether `path` needs a signed request.
  static bool is_private(std::string_view path);
  // A recorded line that is a contract's REST answer ({"code":"200000","data":{"symbol",
  // "multiplier",...}}): kept, served and used for its multiplier. False for any other line.
  bool add_contract(std::string_view answer_json);

  // The funding schedule's interval (ms), for the contracts' nextFundingRateTime.
  void set_funding_interval_ms(std::int64_t ms) { funding_interval_ms_ = ms; }

  HttpAnswer answer(std::string_view method, std::string_view path, const Params& query, std::string_view body,
                    std::int64_t now_ms);

 private:
  struct Contract {
    std::string data;             // the recorded answer's data object, as recorded
    std::int64_t multiplier = 0;  // base units per lot, fixed point
    bool has_next_funding = false;
  };
  std::string contract_json(const Contract& c, std::int64_t now_ms) const;
  const Contract* contract(const std::string& symbol) const;
  std::string order_json(const SimOrder& o) const;
  std::string position_json(const std::string& symbol, std::int64_t now_ms) const;
  HttpAnswer create_order(std::string_view body, std::int64_t now_ms);
  HttpAnswer cancel(const SimOrder* o, bool by_client_id, std::int64_t now_ms);
  HttpAnswer fills(const Params& query) const;
  HttpAnswer orders(const Params& query) const;
  HttpAnswer account_overview(const Params& query) const;
  HttpAnswer set_leverage(std::string_view body);
  HttpAnswer set_margin_mode(std::string_view body);
  bool cross(const std::string& symbol) const { return cross_.count(symbol) > 0; }

  SimVenue& venue_;
  std::map<std::string, Contract> contracts_;  // by KuCoin's symbol ("XBTUSDTM")
  std::set<std::string> cross_;                // the symbols switched to CROSS (the rest: ISOLATED)
  std::int64_t funding_interval_ms_ = 8 * 3600 * 1000;
};

}  // namespace trader::sim
