#pragma once
// The exchange simulator's venue: a spot account, or a USDⓈ-M futures account (one-way
// positions, cross margin, USDT wallet), orders and fills against the trades the
// simulator replays. Pure logic (no I/O, no clock: times come in as arguments), answering
// in Binance's REST shapes and error codes so the live order path meets the same
// responses it will meet on the real venue.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <tl/expected.hpp>

namespace trader::sim {

// A Binance-style error: HTTP status, error code, message ({"code":-2010,"msg":"..."}).
struct VenueError {
  int http_status = 400;
  int code = 0;
  std::string msg;
  std::string json() const;
};
template <class T>
using VenueResult = tl::expected<T, VenueError>;

// Request parameters, decoded from the query string or form body.
using Params = std::map<std::string, std::string>;

struct SimOrder {
  std::uint64_t order_id = 0;
  std::string client_order_id, symbol, side, type, time_in_force, status;
  std::int64_t qty = 0, price = 0, executed_qty = 0, quote_qty = 0;  // fixed point, 1e-8
  std::int64_t locked = 0;  // what a resting limit still holds of the account (quote for a buy, base for a sell)
  std::int64_t time_ms = 0, update_ms = 0;
  bool reduce_only = false;  // usdm: it may only shrink the position
  bool working() const { return status == "NEW" || status == "PARTIALLY_FILLED"; }
};

struct SimTrade {
  std::uint64_t trade_id = 0, order_id = 0;
  std::string symbol, commission_asset;
  std::int64_t price = 0, qty = 0, commission = 0, time_ms = 0;
  std::int64_t realized_pnl = 0;  // futures: what the trade closed of the position made
  bool buyer = false, maker = false;
};

// A USDⓈ-M position (one-way mode): signed quantity, entry price, the symbol's leverage
// and margin type (a new account's is CROSSED, as Binance's).
struct SimPosition {
  std::int64_t qty = 0, entry_price = 0;
  int leverage = 20;
  bool isolated = false;
};

// The filters every symbol gets (Binance's for BTCUSDT, fixed point 1e-8): orders that
// break them are refused with -1013 "Filter failure: ...", as the venue does.
struct SymbolFilters {
  std::int64_t step_size = 1'000, min_qty = 1'000, max_qty = 9'000'00000000;  // 0.00001 .. 9000
  std::int64_t tick_size = 1'000'000;                                         // 0.01
  std::int64_t min_notional = 5'00000000;                                     // 5
};

// USDⓈ-M: the USDT wallet and what uses it (fixed point): unrealized at the last prices,
// the margin of the positions (at entry, over each symbol's leverage) and of resting orders,
// and what is left for new orders.
struct MarginSummary {
  std::int64_t wallet = 0, unrealized = 0, position_margin = 0, order_margin = 0, available = 0;
};

// Which asset pays the commission: what the order receives (Binance: a buy pays in the
// base asset), always the quote asset (Coinbase: a buy pays on top of its cost), or BNB
// (Binance with its BNB discount on: three quarters of the rate, taken from the BNB
// balance at kSimBnbPrice quote units a BNB, whatever the symbol).
enum class FeeAsset { received, quote, bnb };
inline constexpr std::int64_t kSimBnbPrice = 600'00000000;  // 600 of the quote asset

// Spot: balances per asset, a buy pays quote and receives base. USDⓈ-M: a USDT wallet, and
// orders open, add to, reduce or flip a signed position against margin (Binance's /fapi
// answers and error codes).
enum class AccountKind { spot, usdm };

class SimVenue {
 public:
  // `balances`: asset -> free amount (fixed point). `fee_ppm`: commission on each fill.
  SimVenue(std::map<std::string, std::int64_t> balances, std::int64_t fee_ppm = 1000, SymbolFilters filters = {},
           FeeAsset fee_asset = FeeAsset::received, AccountKind kind = AccountKind::spot);

  // The replayed trades: fill resting limit orders they cross, oldest first, up to the
  // trade's quantity (a smaller trade fills an order partly); remember the last price.
  void on_trade(const std::string& symbol, std::int64_t price, std::int64_t qty, std::int64_t ts_ms);
  // The symbol's price before any trade is replayed (a trade replaces it); fills nothing.
  void open_at(const std::string& symbol, std::int64_t price);
  bool trades_symbol(const std::string& symbol) const { return last_price_.count(symbol) > 0; }

  VenueResult<std::string> new_order(const Params& p, std::int64_t now_ms);  // POST /api/v3/order
  VenueResult<std::string> cancel_order(const Params& p, std::int64_t now_ms);  // DELETE /api/v3/order
  VenueResult<std::string> query_order(const Params& p) const;  // GET /api/v3/order
  std::string open_orders(const Params& p) const;                 // GET /api/v3/openOrders
  VenueResult<std::string> my_trades(const Params& p) const;      // GET /api/v3/myTrades
  std::string account(std::int64_t now_ms) const;                 // GET /api/v3/account
  VenueResult<std::string> exchange_info(const Params& p, std::int64_t now_ms) const;  // GET /api/v3/exchangeInfo[?symbol=]
  VenueResult<std::string> ticker_price(const Params& p) const;  // GET /api/v3/ticker/price
  // USDⓈ-M only (the order endpoints above answer in /fapi/v1 shapes there).
  std::string futures_balance(std::int64_t now_ms) const;                  // GET /fapi/v2/balance
  VenueResult<std::string> position_risk(const Params& p, std::int64_t now_ms) const;  // GET /fapi/v2/positionRisk
  VenueResult<std::string> set_leverage(const Params& p);                  // POST /fapi/v1/leverage
  VenueResult<std::string> set_margin_type(const Params& p);               // POST /fapi/v1/marginType
  std::string futures_account(std::int64_t now_ms) const;                  // GET /fapi/v2/account
  // GET /fapi/v1/leverageBracket: every symbol gets BTCUSDT's published brackets (those
  // config/futures-paper.toml models).
  VenueResult<std::string> leverage_brackets(const Params& p) const;
  MarginSummary margin_summary() const;
  AccountKind kind() const { return kind_; }
  const std::map<std::string, SimPosition>& positions() const { return positions_; }

  std::size_t orders() const { return orders_.size(); }
  // What the account and the book hold, for another venue's answers (coinbase_api.hpp).
  const SimOrder* order(std::uint64_t order_id) const;
  const SimOrder* order_by_client_id(const std::string& client_order_id) const;
  const std::map<std::uint64_t, SimOrder>& all_orders() const { return orders_; }
  const std::vector<SimTrade>& trades() const { return trades_; }
  const std::map<std::string, std::int64_t>& balances() const { return balances_; }
  std::int64_t locked(const std::string& asset) const;
  // What a market buy for `quote` of the symbol's quote asset buys: as much base as it pays
  // for at the last price, down to the lot step; nullopt while the symbol has no price.
  std::optional<std::int64_t> base_for_quote(const std::string& symbol, std::int64_t quote) const;
  const std::map<std::string, std::int64_t>& prices() const { return last_price_; }
  const SymbolFilters& filters() const { return filters_; }
  std::int64_t fee_ppm() const { return fee_ppm_; }
  // The user-data stream's events since the last call, oldest first: an `executionReport`
  // for every order change (NEW, TRADE, CANCELED, EXPIRED), as Binance sends them.
  std::vector<std::string> take_events() { return std::exchange(events_, {}); }

 private:
  const SimOrder* find(const Params& p) const;
  std::string symbol_info(const std::string& symbol) const;
  // Fills `qty` of the order (at most what is left of it) at `price`.
  void fill(SimOrder& o, std::int64_t price, std::int64_t qty, std::int64_t ts_ms, std::string* fills_json);
  std::string order_json(const SimOrder& o) const;
  // USDⓈ-M: what the wallet can still put up (wallet + unrealized - margin in use).
  std::int64_t available_margin() const;
  // USDⓈ-M: the part of an order of `qty` on `side` that adds to the symbol's position.
  std::int64_t opening_qty(const std::string& symbol, const std::string& side, std::int64_t qty) const;
  // USDⓈ-M: a fill moves the position; returns the PnL it realized.
  std::int64_t settle_position(const std::string& symbol, bool buy, std::int64_t qty, std::int64_t price);
  // What a buy of `cost` needs free: the cost, and the commission when it is paid in quote.
  std::int64_t buy_hold(std::int64_t cost) const;
  std::int64_t bnb_commission(std::int64_t cost) const;  // FeeAsset::bnb: a fill of `cost`'s, in BNB
  void report(const SimOrder& o, const char* execution, std::int64_t ts_ms, const SimTrade* trade = nullptr,
              const std::string& cancel_id = "");

  std::map<std::string, std::int64_t> balances_, locked_;
  std::int64_t fee_ppm_;
  SymbolFilters filters_;
  FeeAsset fee_asset_;
  AccountKind kind_;
  std::map<std::string, SimPosition> positions_;  // usdm
  std::map<std::string, std::int64_t> last_price_;
  std::map<std::uint64_t, SimOrder> orders_;                   // by order id (ordered: deterministic)
  std::map<std::string, std::uint64_t> by_client_id_;
  std::vector<SimTrade> trades_;  // every fill, in trade id order
  std::vector<std::string> events_;
  std::uint64_t next_order_id_ = 1;
  std::uint64_t next_trade_id_ = 1;
};

// "BTCUSDT" -> {"BTC", "USDT"} for the quote assets the simulator knows, "BTC-USD" ->
// {"BTC", "USD"}, KuCoin Futures' "XBTUSDTM" -> {"XBT", "USDT"}; empty if none.
std::pair<std::string, std::string> split_symbol(const std::string& symbol);

}  // namespace trader::sim
