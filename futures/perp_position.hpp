#pragma once
// One position in a linear perpetual: what a fill, a funding payment and a mark price do
// to it, when it is liquidated and what that costs, margined isolated or cross. Pure
// integer arithmetic in 128 bits; nothing is booked unless every result fits 64 bits.
//
// Accounting, exact to the unit:
//  - `cost` is the signed entry notional of `qty` (Σ qty x price of the open part, the
//    sign of qty; the entry price is cost / qty). qty x price is rounded toward zero once
//    per fill, and that one number is split between the part a fill closes and the part
//    it opens.
//  - A fill that reduces the position takes the closed part's share of cost with it,
//    cost x closed / |qty| toward zero (all of it when all is closed), and realises
//    sign(qty) x (its share of the notional) - that cost. So closing everything at a price
//    realises exactly the unrealized PnL marked at that price: unrealized is
//    qty x mark (toward zero) - cost.
//  - Margin: opening posts notional / leverage, rounded up; reducing releases the closed
//    part's share of the margin (all of it at flat). Funding is paid from and received
//    into the position's margin (isolated, as the venues do). Fees are the wallet's.
//  - The wallet moves by realized - fees + funding: that is all a perpetual ever moves;
//    the notional is never paid.
//  - Liquidation: when the margin balance (margin + unrealized at the mark) is at or
//    below the maintenance margin at the mark. The venue then closes the position at
//    its bankruptcy price and keeps what margin is left: the loss is the whole margin.
//
// Cross margin: the positions at a venue share its wallet (the quote cash there).
//  - `margin` is then the initial margin the position took (notional / leverage at its
//    entries): what margin use counts, not money set aside. Funding is the wallet's alone.
//  - Liquidation: when the wallet plus every position's unrealized PnL at its mark is at or
//    below the sum of their maintenance margins. Every position is closed and the wallet
//    is lost whole, as the venues do: each position realises its unrealized PnL at its
//    mark, and the one whose mark decided it also the rest of the margin balance, which
//    the venue keeps (or, past bankruptcy, makes good).
//  - One position's liquidation (bankruptcy) price is its isolated one with, standing for
//    its margin, the wallet plus the others' unrealized PnL less their maintenance (not
//    less it), the others held at their marks.
#include <cstdint>
#include <optional>
#include <vector>

#include "base/result.hpp"
#include "futures/contract.hpp"

namespace trader::futures {

struct PerpPosition {
  std::int64_t qty = 0;     // signed base units: > 0 long, < 0 short
  std::int64_t cost = 0;    // signed entry notional of qty (0 when flat)
  std::int64_t margin = 0;  // isolated margin held by the position
  std::uint32_t leverage = 1;
  // Since the symbol was first traded: booked to the wallet.
  std::int64_t realized = 0, fees = 0, funding = 0;
  bool operator==(const PerpPosition&) const = default;
};

// What one fill did.
struct FillEffect {
  std::int64_t closed = 0;           // base units of the old position it closed
  std::int64_t opened = 0;           // base units it opened (in its own direction)
  std::int64_t realized = 0;         // PnL of the closed part
  std::int64_t margin_posted = 0;    // for the opened part
  std::int64_t margin_released = 0;  // the closed part's share
  std::int64_t wallet_delta = 0;     // realized - fee
};

// Books a fill of `qty` (> 0) at `price` (> 0), bought if `buy`, paying `fee` (quote;
// negative: a rebate). An error (overflow, bad input) books nothing.
Result<FillEffect> apply_fill(PerpPosition& p, bool buy, std::int64_t qty, std::int64_t price, std::int64_t fee);

// Books a funding payment at `mark` with the venue's `rate` (fixed point: 0.0001 is
// 10,000): longs pay shorts when it is positive. Returns what the position received
// (negative: paid): -(qty x mark toward zero) x rate, toward zero. Isolated, it is paid
// from and into the position's margin; cross, the wallet's alone.
Result<std::int64_t> apply_funding(PerpPosition& p, std::int64_t mark, std::int64_t rate, MarginMode mode);

// qty x mark (toward zero) - cost.
std::optional<std::int64_t> unrealized_at(const PerpPosition& p, std::int64_t mark);

// The average entry price, |cost| / |qty| toward zero; 0 when flat.
std::int64_t entry_price(const PerpPosition& p);

// The margin opening `notional` posts at `leverage` (>= 1): notional / leverage, rounded up.
__int128 initial_margin(__int128 notional, std::uint32_t leverage);

// The numbers a liquidation is decided on, at a mark.
struct MarginCheck {
  std::int64_t mark = 0;
  std::int64_t notional = 0;        // |qty| x mark
  std::int64_t margin_balance = 0;  // margin + unrealized
  std::int64_t maintenance = 0;     // of the notional's bracket
  std::int64_t mmr = 0;             // that bracket's rate
  bool liquidate = false;           // margin_balance <= maintenance (and a position is open)
};
std::optional<MarginCheck> check_margin(const PerpPosition& p, const PerpContract& c, std::int64_t mark);

// The mark at which the position is liquidated: the boundary of check_margin's condition,
// found by bisection over price units from one tick up (a long is liquidated at and below
// it, a short at and above); nullopt when flat or when no price would (a long at
// leverage 1). Rounding makes the condition step by a unit near the boundary, so
// "exactly" means: it holds at the price and not one tick on the safe side.
std::optional<std::int64_t> liquidation_price(const PerpPosition& p, const PerpContract& c);
// The same with `collateral` standing for the position's margin (cross margin, below).
std::optional<std::int64_t> liquidation_price(const PerpPosition& p, const PerpContract& c, std::int64_t collateral);

// The price at which the margin balance is zero: (cost - margin) / qty, rounded away from
// the position's side (up for a short, down for a long); 0 if a long cannot go bankrupt.
std::int64_t bankruptcy_price(const PerpPosition& p);
std::int64_t bankruptcy_price(const PerpPosition& p, std::int64_t collateral);

// Closes the position as the venue's liquidation does: at the bankruptcy price, losing the
// whole margin. Returns the effect (realized = -margin, nothing released).
Result<FillEffect> liquidate(PerpPosition& p);

// ---- Cross margin: the open positions at one venue and the wallet they share.
struct CrossLeg {
  const PerpPosition* position = nullptr;
  const PerpContract* contract = nullptr;
  std::int64_t mark = 0;
};

struct CrossCheck {
  std::int64_t wallet = 0;
  std::int64_t notional = 0;        // Σ |qty| x mark
  std::int64_t margin_balance = 0;  // wallet + Σ unrealized
  std::int64_t maintenance = 0;     // Σ maintenance, each of its own bracket
  bool liquidate = false;           // margin_balance <= maintenance (and a position is open)
};
// nullopt when a number does not fit 64 bits or a leg has no contract.
std::optional<CrossCheck> check_cross_margin(std::int64_t wallet, const std::vector<CrossLeg>& legs);

// What stands for leg `i`'s margin: the wallet plus the other legs' unrealized PnL at their
// marks, less their maintenance for its liquidation price, not less it for its bankruptcy price.
struct CrossCollateral {
  std::int64_t liquidation = 0, bankruptcy = 0;
};
std::optional<CrossCollateral> cross_collateral(std::int64_t wallet, const std::vector<CrossLeg>& legs, std::size_t i);

// What each leg loses when they are liquidated (negative: a gain): its unrealized PnL at
// its mark, negated, and for `trigger` also the rest of the margin balance. They add up to
// the wallet (nothing when it is not above 0).
std::optional<std::vector<std::int64_t>> cross_losses(std::int64_t wallet, const std::vector<CrossLeg>& legs,
                                                      std::size_t trigger);

// Closes the position booking `loss` (a cross liquidation's share); its margin is no longer held.
Result<FillEffect> close_at_loss(PerpPosition& p, std::int64_t loss);

}  // namespace trader::futures
