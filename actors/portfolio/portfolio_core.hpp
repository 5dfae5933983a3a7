#pragma once
// portfolio: cash, positions, average entry, realized and unrealized PnL, fees, equity,
// peak equity and drawdown, from fills (OrderEvent) and marks (candles of one interval).
// Publishes PortfolioState after every fill and every mark candle.
//
// Accounting (spot). Each holding carries its exact cost basis (quote units), not a
// rounded average entry:
//  - a buy adds qty*price to the cost basis (less the value of a commission taken in the
//    asset bought, which is a fee) and costs qty*price (+ a quote fee) in cash;
//  - a sell (and a base-asset commission on it) takes units out with their share of the
//    cost basis, cost * units / held rounded toward zero (all of it when all is sold), and
//    realises value - that share; cash gets qty*price (- a quote fee);
//  - unrealized = Σ (last price * qty - cost basis); avg entry in messages = cost / qty.
// qty*price is rounded toward zero once per fill and that one number moves both cash and
// the PnL, so equity - starting cash == realized + unrealized - fees holds exactly in
// every published state. A round trip is a position opened from flat and closed back to
// flat (or to dust); it wins when its realised PnL net of all its fees is positive.
// Arithmetic is in 128 bits; a fill (funding, liquidation) whose results do not fit int64
// is not booked, and reported to risk as a not_booked error: the book no longer matches
// the venue's, and risk halts trading until an operator resumes. A state whose value does
// not fit is not published, and reported to risk alike (not_valued), at each state due.
//
// Starting state. Paper: `starting_cash`. Testnet and live: the venue's account
// (AccountBalances, journaled at the start): cash becomes the venue's quote balance and
// each traded symbol's holding its base balance (free + locked). The cost basis the
// journal knows is kept for as much as the venue still holds; anything more is valued at
// the venue's price read at the start (AssetBalance::price), or, if none was read, at the
// first price seen for the symbol (a mark candle or a fill), and journaled as such
// (`holding_valued_at_start_price`); until then it counts for nothing. Adopting moves no
// PnL: `starting_cash` moves by exactly the value it adds or removes (it is the capital
// the PnL is measured from), so the identity above still holds.
//
// Perpetuals (instruments whose kind is linear perpetual, futures/perp_position.hpp): a
// fill moves no notional. Each symbol is an isolated position (signed qty, exact entry
// cost, margin posted at notional / leverage); the wallet (cash) moves by realised PnL
// less fees, and by funding (`funding` records, paid from and into the position's margin,
// counted in PortfolioState.funding); a `liquidation` closes the position losing its
// margin. Equity counts a perpetual at its unrealised PnL at the mark (the latest
// `mark_price`, else the last fill). So equity - starting cash == realized + unrealized -
// fees + funding holds exactly, spot and perpetuals together. Cross margin
// (`perps.margin_mode`): the positions at a venue share its cash, funding is the wallet's
// alone, and a cross `liquidation` record closes its position booking the loss the venue
// says (its share of the wallet it keeps); the identity holds the same.
//
// Several venues. Cash is one number, but it sits at venues: each venue's account record
// sets that venue's cash only, and a fill moves its instrument's venue's cash with the
// total. Before a venue's first record its cash is what no venue has claimed yet (paper
// cash, at the first record), so one venue's start behaves as it always did.
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "actors/actor_core.hpp"
#include "actors/market_rules.hpp"
#include "futures/contract.hpp"
#include "futures/perp_position.hpp"

namespace trader {

struct PortfolioConfig {
  std::string quote_asset = "USDT";
  std::int64_t starting_cash = 10000 * 100000000LL;
  std::uint32_t mark_interval_s = 60;  // candles of this interval mark positions to market
  // Each symbol's lot: a holding below one (what a venue's base-asset commission leaves
  // after the lots are sold) counts in equity but is not a position to trade.
  MarketRuleBook market;
  // Perpetuals: the leverage a position opens at, and each contract's margin brackets
  // (a contract not listed has no liquidation price to show).
  futures::Contracts perps;
};

class PortfolioCore final : public ActorCore {
 public:
  // The codes of the errors telling risk that the book can no longer be trusted: something
  // the venue did was not booked, or the book's value left 64-bit fixed point and its
  // state was not published (risk would go on checking against the last one).
  static constexpr std::string_view kNotBooked = "not_booked";
  static constexpr std::string_view kNotValued = "not_valued";
  // A fill whose fee is in an asset the book cannot value (FeeBooking::unvalued).
  static constexpr std::string_view kFeeAssetUnvalued = "fee_asset_unvalued";
  // The portfolio's report that its book was lost (either code), or nullptr: what risk
  // halts on, and what fails a node run, a what-if and a sweep's task.
  static const ErrorReport* lost_book(Actor source, const Message& m);
  // Why a run whose book was lost fails: `count` such reports, the first `first`.
  static std::string lost_book_failure(std::size_t count, const std::string& first);

  // How a fill's fee is booked: in the quote asset (out of cash), in the base asset bought
  // (less of it arrives: what Binance does on spot buys; a perpetual has none), or not at
  // all: an asset the book cannot value (BNB, say), reported as fee_asset_unvalued and left
  // out of the fees and the PnL. One rule for the book and for what reports say of it.
  enum class FeeBooking { quote, base, unvalued };
  static FeeBooking fee_booking(const std::string& symbol, const std::string& fee_asset, const std::string& quote_asset);

  explicit PortfolioCore(PortfolioConfig config);
  Actor id() const override { return Actor::portfolio; }
  void on(const Delivery& in, Outbox& out) override;
  // A mark only values the position at the next state; everything else may publish one.
  // Marks are valued at the next state; candles of another interval than the marks' are ignored.
  Quiet quiet() const override {
    Quiet q{type_bit(MarkPrice::kTypeId)};
    q.candle_intervals[0] = config_.mark_interval_s;
    return q;
  }
  void save(StateWriter& w) const override;
  Status load(StateReader& r) override;

  const PortfolioState& state() const { return state_; }
  // The quote cash at `venue` ("binance"): its own once its account was adopted, before
  // that what no venue has claimed (all of it, for the first venue).
  std::int64_t cash_at(const std::string& venue) const;

 private:
  struct Holding {
    std::int64_t qty = 0, cost = 0, last_price = 0, realized = 0;  // cost: exact cost basis of qty
    std::int64_t trip_net = 0;  // realized minus fees since the position opened
  };
  void not_booked(const std::string& what, const std::string& context, std::int64_t ts_ms, Outbox& out);
  void on_fill(const OrderEvent& e, Outbox& out);
  void on_perp_fill(const OrderEvent& e, Outbox& out);
  void on_funding(const Funding& f, Outbox& out);
  void on_liquidation(const Liquidation& l, Outbox& out);
  void adopt(const AccountBalances& b, Outbox& out);
  void value_adopted(const std::string& symbol, std::int64_t price, std::int64_t ts_ms, Outbox& out,
                     const char* price_source = "the first price seen");
  void publish(std::int64_t ts_ms, Outbox& out);
  __int128 cash_at_venue(const std::string& venue) const;
  // A perpetual's liquidation price: isolated from its margin, cross from its venue's
  // wallet and the other positions there (futures/perp_position.hpp).
  std::optional<std::int64_t> liquidation_price_of(const std::string& symbol) const;

  PortfolioConfig config_;
  std::map<std::string, Holding> holdings_;
  PortfolioState state_;
  // Quantities adopted from the venue with no cost basis, by symbol: valued at the next
  // price seen (value_adopted).
  std::map<std::string, std::int64_t> unvalued_;
  // The quote cash at each venue whose account was adopted, by venue name ("binance",
  // "coinbase"); state_.cash less their sum is cash no venue has claimed.
  std::map<std::string, std::int64_t> venue_cash_;
  // Perpetual positions by symbol, with their mark and the net of the round trip open.
  struct PerpHolding {
    futures::PerpPosition pos;
    std::int64_t mark = 0, trip_net = 0;
  };
  std::map<std::string, PerpHolding> perps_;
};

}  // namespace trader
