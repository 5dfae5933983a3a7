#pragma once
// The paper venue (actor `exchange` in paper mode): fills orders against the market data
// that follows them, as close to an exchange as recorded data allows.
//  - An order is live from its request's receive time + latency_ms; only prints received
//    after that can fill it.
//  - Market orders fill against following trades (or aggTrades) of their symbol at the
//    trade price moved against the order by slippage_bps, taker fee; each print fills at
//    most its own quantity, so large orders fill partially over several prints.
//  - Limit orders rest until a print trades through them (buy: price below the limit,
//    sell: above), then fill at the limit with the maker fee, at most the print's size.
//  - On kline-only data a closed kline is the print: market orders fill at its open,
//    limits when its low/high passes them; at most kline_participation of its volume,
//    rounded down to the lot step.
//  - Market orders not filled within market_timeout_ms of data time expire (cum qty kept).
//  - Fees are charged in the quote asset, rounded up to 1e-8, at the rates of the fill's
//    venue (`venue_fees`, a venue's own tier) or else `fees`; slipped prices are rounded
//    against the order.
//  - Perpetuals: the venue keeps its own view of each position (isolated margin at
//    `perps.leverage`, futures/perp_position.hpp) from the fills it makes and the funding
//    records, and at each mark_price checks its margin: where the margin balance is at or
//    below maintenance it liquidates, as the venue would, and says so in a `liquidation`
//    record holding the numbers it decided on (the mark, margin, balance, maintenance and
//    its rate, the liquidation and bankruptcy prices, the loss). The symbol's working
//    orders are canceled with it.
//  - Cross margin (`perps.margin_mode`): the positions share the wallet, which the venue
//    keeps as `wallet_start` plus what its fills and funding moved (the config allows
//    cross only where every instrument is a perpetual of one venue, so that is the
//    session's cash). At a held symbol's mark it checks the account, every position at
//    its last mark (its entry fill's price before one), and liquidates them all at once:
//    every working order is canceled, then one `liquidation` record per position, the
//    marked symbol's first, each with its share of the lost wallet.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "actors/actor_core.hpp"
#include "actors/market_rules.hpp"
#include "futures/perp_position.hpp"
#include "messages/instrument.hpp"

namespace trader {

// A venue's fee rates in millionths of the notional (10 bps = 0.1 % = 1000): a tier's
// rates have fractions of a basis point (Binance spot paying in BNB: 7.5 bps).
struct FeeRates {
  std::uint32_t taker_ppm = 1000;
  std::uint32_t maker_ppm = 1000;
  bool operator==(const FeeRates&) const = default;
};

struct PaperExchangeConfig {
  FeeRates fees;                          // every venue's unless listed below
  std::map<VenueId, FeeRates> venue_fees;  // a venue's own rates ([order.fees.VENUE])
  std::uint32_t slippage_bps = 2;
  std::int64_t latency_ms = 50;
  std::uint32_t kline_participation_ppm = 100'000;  // 10% of a kline's volume
  std::int64_t market_timeout_ms = 60'000;
  std::string fee_asset = "USDT";
  MarketRuleBook market;  // kline-capped fills are whole lots of the symbol
  futures::Contracts perps;      // the perpetuals' rules, leverage and margin mode
  std::int64_t wallet_start = 0;  // cross margin: the wallet before any fill (the paper cash)

  // The rates a fill of `instrument` pays: its venue's, else `fees`.
  const FeeRates& fees_of(std::string_view instrument) const;
  const FeeRates& fees_at(VenueId venue) const;
};

class PaperExchangeCore final : public ActorCore {
 public:
  explicit PaperExchangeCore(PaperExchangeConfig config);
  Actor id() const override { return Actor::exchange; }
  void on(const Delivery& in, Outbox& out) override;
  // Order requests answer; market data and clock ticks only while an order works (none
  // works before the next request); marks and funding only while a position is open
  // (none opens before the next fill, which a working order makes).
  Quiet quiet() const override;
  void save(StateWriter& w) const override;
  Status load(StateReader& r) override;

 private:
  struct Working {
    OrderRequest request;
    std::string exchange_id;
    std::int64_t live_from_ns = 0;
    std::int64_t cum_qty = 0;
  };
  void on_request(const OrderRequest& r, const Delivery& in, Outbox& out);
  // One print: price/size, or a kline (open, low, high) when is_kline.
  void on_print(const std::string& symbol, std::int64_t price, std::int64_t low, std::int64_t high,
                std::int64_t size, std::uint64_t trade_id, bool is_kline, const Delivery& in, Outbox& out);
  void expire(const Delivery& in, Outbox& out);
  void book_perp_fill(const OrderEvent& e, Outbox& out);
  // A reduce-only request only shrinks the venue's position: against one, at most its size.
  bool reduces(const OrderRequest& r) const;
  void on_mark(const MarkPrice& m, const Delivery& in, Outbox& out);
  void on_cross_mark(const MarkPrice& m, const Delivery& in, Outbox& out);
  // The working orders a liquidation cancels: the symbol's (isolated), every perpetual's (cross).
  void cancel_for_liquidation(const std::string& symbol, std::int64_t ts_ms, Outbox& out);
  bool cross() const { return config_.perps.margin_mode == futures::MarginMode::cross; }
  OrderEvent event(const Working& w, OrderEventKind kind, std::int64_t ts_ms) const;

  PaperExchangeConfig config_;
  std::vector<Working> working_;  // in arrival order: earlier orders fill first
  std::uint64_t next_order_id_ = 1;
  std::map<std::string, futures::PerpPosition> perps_;  // the venue's view, by symbol
  std::map<std::string, std::int64_t> marks_;           // cross margin: each perpetual's last mark
  std::map<std::string, std::int64_t> last_prices_;     // each symbol's last print: a market order's notional
};

}  // namespace trader
