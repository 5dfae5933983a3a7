#include "futures/contract.hpp"

#include <fmt/format.h>

#include "messages/fixed_point.hpp"

namespace trader::futures {

Status check_contract(const PerpContract& c) {
  if (c.multiplier <= 0) return fail(fmt::format("{}: the contract multiplier must be positive", c.symbol));
  if (c.tiers.empty()) return fail(fmt::format("{}: no maintenance margin brackets", c.symbol));
  for (std::size_t i = 0; i < c.tiers.size(); ++i) {
    const MarginTier& t = c.tiers[i];
    const auto where = fmt::format("{}: margin bracket {}", c.symbol, i + 1);
    if (i == 0 && t.floor != 0) return fail(where + " must start at a notional of 0");
    if (i > 0 && t.floor <= c.tiers[i - 1].floor) return fail(where + ": floors must rise");
    if (t.mmr <= 0 || t.mmr >= kFixedScale) return fail(where + ": the maintenance rate must be above 0 and below 1");
    if (i > 0 && t.mmr < c.tiers[i - 1].mmr) return fail(where + ": maintenance rates must not fall");
    if (t.max_leverage < 1) return fail(where + ": leverage must be at least 1");
    // At its leverage a fresh position must stand above maintenance, or it opens liquidated.
    if (static_cast<__int128>(t.mmr) * t.max_leverage >= kFixedScale)
      return fail(where + fmt::format(": at {}x the initial margin is below the maintenance rate {}", t.max_leverage,
                                      format_fixed(t.mmr)));
  }
  if (c.max_leverage != c.tiers.front().max_leverage)
    return fail(fmt::format("{}: max_leverage {} is not the first bracket's {}", c.symbol, c.max_leverage,
                            c.tiers.front().max_leverage));
  return {};
}

const PerpContract* Contracts::find(const std::string& symbol) const {
  for (const auto& c : list)
    if (c.symbol == symbol) return &c;
  return nullptr;
}

const MarginTier& tier_of(const PerpContract& c, std::int64_t notional) {
  std::size_t i = 0;
  while (i + 1 < c.tiers.size() && c.tiers[i + 1].floor <= notional) ++i;
  return c.tiers[i];
}

__int128 maintenance_margin_wide(const PerpContract& c, __int128 notional) {
  // notional x rate - amount, with amount_i = Σ floor_j x (rate_j - rate_{j-1}), all in
  // one 128-bit numerator so the only rounding is the final one (up).
  __int128 scaled = 0;  // x kFixedScale
  std::int64_t prev_rate = 0;
  for (const auto& t : c.tiers) {
    if (t.floor > notional) break;
    scaled += (notional - t.floor) * (t.mmr - prev_rate);
    prev_rate = t.mmr;
  }
  return (scaled + kFixedScale - 1) / kFixedScale;
}

std::optional<std::int64_t> maintenance_margin(const PerpContract& c, std::int64_t notional) {
  if (c.tiers.empty() || notional < 0) return std::nullopt;
  return narrow_checked(maintenance_margin_wide(c, notional));
}

}  // namespace trader::futures
