#pragma once
// A linear (quote-margined) perpetual contract as a venue defines it, and the margin it
// asks of a position: the numbers the portfolio, risk and the paper venue all use, so a
// liquidation is decided by one rule in one place.
//
// Units. Quantities are in the base asset (fixed point, 10^8), whatever the venue counts
// in: Binance USDⓈ-M orders are in BTC (multiplier 1), KuCoin Futures in lots of
// `multiplier` BTC, converted at the venue's edge. Prices and money in the quote asset.
// Rates are fixed point too, as venues write them: 0.004 (0.4 %) is 400,000.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace trader::futures {

// One bracket of the venue's maintenance-margin table: from a position notional of
// `floor` (quote) up, `mmr` of the notional is maintenance margin. Brackets are ordered
// by floor, the first at 0, and leverage at most `max_leverage` in that bracket.
struct MarginTier {
  std::int64_t floor = 0;
  std::int64_t mmr = 0;  // fixed point: 0.004 -> 400000
  std::uint32_t max_leverage = 0;
  bool operator==(const MarginTier&) const = default;
};

struct PerpContract {
  std::string symbol;                  // the node's instrument name
  std::int64_t multiplier = 100000000;  // base units per venue lot (1.0: Binance; 0.001: KuCoin XBTUSDTM)
  std::int64_t lot_step = 0;           // order quantities are multiples of this (base units)
  std::int64_t tick_size = 0;          // prices are multiples of this
  std::uint32_t max_leverage = 0;      // the first bracket's
  std::vector<MarginTier> tiers;       // by floor, from 0
};

// How positions are margined. Isolated: each position holds its own margin and can lose
// only that. Cross: the positions share the wallet, which backs them all and is lost whole
// when their margin balance falls to their maintenance (futures/perp_position.hpp).
enum class MarginMode : std::uint8_t { isolated, cross };

// The perpetuals a node may hold: each contract's rules, the leverage a position opens
// at, and the margin mode. One value for the portfolio, risk and the paper venue.
struct Contracts {
  std::vector<PerpContract> list;
  std::uint32_t leverage = 1;
  MarginMode margin_mode = MarginMode::isolated;
  const PerpContract* find(const std::string& symbol) const;
};

// The contract's tiers are usable: a first bracket at 0, floors rising, rates below 100 %
// and rising, leverage 1..max_leverage. The error names the bracket.
Status check_contract(const PerpContract& c);

// Maintenance margin of a position of notional `notional` (>= 0): the bracket's rate of
// the whole notional less the bracket's amount, which makes it continuous across brackets
// (Binance's "cum"): amount_i = amount_{i-1} + floor_i * (rate_i - rate_{i-1}).
// Rounded up: a venue never asks less. nullopt on overflow.
std::optional<std::int64_t> maintenance_margin(const PerpContract& c, std::int64_t notional);
// The same without narrowing, for notionals past 64 bits (the search over prices). Exact
// for any notional below 2^127 / 10^8, which covers any qty x price of two 64-bit amounts.
__int128 maintenance_margin_wide(const PerpContract& c, __int128 notional);

// The bracket a notional falls in.
const MarginTier& tier_of(const PerpContract& c, std::int64_t notional);

}  // namespace trader::futures
