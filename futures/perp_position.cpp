#include "futures/perp_position.hpp"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "messages/fixed_point.hpp"

namespace trader::futures {
namespace {

using i128 = __int128;

bool fits(i128 v) {
  return v >= std::numeric_limits<std::int64_t>::min() && v <= std::numeric_limits<std::int64_t>::max();
}
i128 abs128(i128 v) { return v < 0 ? -v : v; }
// a x b / scale toward zero; |a|, |b| < 2^63 so the product fits 128 bits.
i128 mul_wide(i128 a, std::int64_t b) { return a * b / kFixedScale; }

// Margin balance less maintenance at `price`, `collateral` standing for the margin:
// liquidated when <= 0.
i128 cushion(const PerpPosition& p, const PerpContract& c, std::int64_t price, std::int64_t collateral) {
  const i128 value = static_cast<i128>(p.qty) * price / kFixedScale;
  return static_cast<i128>(collateral) + (value - p.cost) - maintenance_margin_wide(c, abs128(value));
}

}  // namespace

Result<FillEffect> apply_fill(PerpPosition& p, bool buy, std::int64_t qty, std::int64_t price, std::int64_t fee) {
  if (qty <= 0 || price <= 0) return fail(fmt::format("a fill needs a positive quantity and price, not {} at {}",
                                                      format_fixed(qty), format_fixed(price)));
  if (p.leverage < 1) return fail("leverage must be at least 1");
  const i128 notional = mul_wide(qty, price);
  i128 q = p.qty, cost = p.cost, margin = p.margin, realized = 0, released = 0, posted = 0;
  i128 closed = 0, open_notional = notional;
  if (q != 0 && (q > 0) != buy) {  // against the position: close first
    const i128 held = abs128(q);
    closed = qty < held ? qty : held;
    const i128 closed_notional = closed == qty ? notional : notional * closed / qty;
    const i128 cost_out = closed == held ? cost : cost * closed / held;
    released = closed == held ? margin : margin * closed / held;
    realized = (q > 0 ? closed_notional : -closed_notional) - cost_out;
    q += q > 0 ? -closed : closed;
    cost -= cost_out;
    margin -= released;
    open_notional = notional - closed_notional;
  }
  const i128 opened = qty - closed;
  if (opened > 0) {
    q += buy ? opened : -opened;
    cost += buy ? open_notional : -open_notional;
    posted = initial_margin(open_notional, p.leverage);
    margin += posted;
  }
  const i128 total_realized = static_cast<i128>(p.realized) + realized;
  const i128 total_fees = static_cast<i128>(p.fees) + fee;
  const i128 wallet_delta = realized - fee;
  if (!fits(notional) || !quantity_fits(q) || !fits(cost) || !fits(margin) || !fits(realized) || !fits(total_realized) ||
      !fits(total_fees) || !fits(wallet_delta) || !fits(posted) || !fits(released))
    return fail(fmt::format("a fill of {} at {} overflows 64-bit fixed point; not booked", format_fixed(qty),
                            format_fixed(price)));
  p.qty = static_cast<std::int64_t>(q);
  p.cost = static_cast<std::int64_t>(cost);
  p.margin = static_cast<std::int64_t>(margin);
  p.realized = static_cast<std::int64_t>(total_realized);
  p.fees = static_cast<std::int64_t>(total_fees);
  return FillEffect{static_cast<std::int64_t>(closed), static_cast<std::int64_t>(opened),
                    static_cast<std::int64_t>(realized), static_cast<std::int64_t>(posted),
                    static_cast<std::int64_t>(released), static_cast<std::int64_t>(wallet_delta)};
}

Result<std::int64_t> apply_funding(PerpPosition& p, std::int64_t mark, std::int64_t rate, MarginMode mode) {
  if (mark <= 0) return fail(fmt::format("funding needs a positive mark price, not {}", format_fixed(mark)));
  const i128 value = mul_wide(p.qty, mark);
  const i128 received = -(value * rate / kFixedScale);
  const i128 margin = static_cast<i128>(p.margin) + (mode == MarginMode::isolated ? received : 0);
  const i128 funding = static_cast<i128>(p.funding) + received;
  if (!fits(value) || !fits(received) || !fits(margin) || !fits(funding))
    return fail("a funding payment overflows 64-bit fixed point; not booked");
  p.margin = static_cast<std::int64_t>(margin);
  p.funding = static_cast<std::int64_t>(funding);
  return static_cast<std::int64_t>(received);
}

std::optional<std::int64_t> unrealized_at(const PerpPosition& p, std::int64_t mark) {
  return narrow_checked(mul_wide(p.qty, mark) - p.cost);
}

std::int64_t entry_price(const PerpPosition& p) {
  if (p.qty == 0) return 0;
  return static_cast<std::int64_t>(abs128(p.cost) * kFixedScale / abs128(p.qty));
}

i128 initial_margin(i128 notional, std::uint32_t leverage) { return (notional + leverage - 1) / leverage; }

std::optional<MarginCheck> check_margin(const PerpPosition& p, const PerpContract& c, std::int64_t mark) {
  const i128 value = mul_wide(p.qty, mark);
  const auto notional = narrow_checked(abs128(value));
  const auto balance = narrow_checked(static_cast<i128>(p.margin) + value - p.cost);
  if (!notional || !balance || c.tiers.empty()) return std::nullopt;
  const auto mm = maintenance_margin(c, *notional);
  if (!mm) return std::nullopt;
  return MarginCheck{mark, *notional, *balance, *mm, tier_of(c, *notional).mmr, p.qty != 0 && *balance <= *mm};
}

std::optional<std::int64_t> liquidation_price(const PerpPosition& p, const PerpContract& c) {
  return liquidation_price(p, c, p.margin);
}

std::optional<std::int64_t> liquidation_price(const PerpPosition& p, const PerpContract& c, std::int64_t collateral) {
  if (p.qty == 0 || c.tiers.empty()) return std::nullopt;
  constexpr std::int64_t kTop = std::numeric_limits<std::int64_t>::max();
  // Below one tick there are no prices, only rounding (maintenance is rounded up).
  const std::int64_t bottom = std::max<std::int64_t>(1, c.tick_size);
  auto liquidated = [&](std::int64_t price) { return cushion(p, c, price, collateral) <= 0; };
  if (p.qty > 0) {
    // Liquidated below the price, not above it: the highest price still liquidated.
    if (!liquidated(bottom)) return std::nullopt;
    if (liquidated(kTop)) return kTop;
    std::int64_t lo = bottom, hi = kTop;  // liquidated(lo), !liquidated(hi)
    while (hi - lo > 1) {
      const std::int64_t mid = lo + (hi - lo) / 2;
      (liquidated(mid) ? lo : hi) = mid;
    }
    return lo;
  }
  // A short: liquidated above the price: the lowest price liquidated.
  if (!liquidated(kTop)) return std::nullopt;
  if (liquidated(bottom)) return bottom;
  std::int64_t lo = bottom, hi = kTop;  // !liquidated(lo), liquidated(hi)
  while (hi - lo > 1) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    (liquidated(mid) ? hi : lo) = mid;
  }
  return hi;
}

std::int64_t bankruptcy_price(const PerpPosition& p) { return bankruptcy_price(p, p.margin); }

std::int64_t bankruptcy_price(const PerpPosition& p, std::int64_t collateral) {
  if (p.qty == 0) return 0;
  const i128 num = (static_cast<i128>(p.cost) - collateral) * kFixedScale;  // qty x price = cost - collateral
  if (p.qty > 0) return num <= 0 ? 0 : static_cast<std::int64_t>(num / p.qty);
  // A short (qty < 0, num < 0): num / qty rounded up.
  const i128 q = p.qty;
  const i128 bp = (num + q + 1) / q;
  return fits(bp) ? static_cast<std::int64_t>(bp) : std::numeric_limits<std::int64_t>::max();
}

Result<FillEffect> liquidate(PerpPosition& p) {
  // What funding took beyond the margin is already out of the wallet: the loss is what
  // margin is left, never a gain.
  const std::int64_t loss = p.margin > 0 ? p.margin : 0;
  const i128 realized = static_cast<i128>(p.realized) - loss;
  if (!fits(realized)) return fail("a liquidation overflows 64-bit fixed point; not booked");
  FillEffect e;
  e.closed = quantity_size(p.qty);
  e.realized = -loss;
  e.margin_released = p.margin - loss;  // 0, or what funding overdrew
  e.wallet_delta = -loss;
  p.realized = static_cast<std::int64_t>(realized);
  p.qty = p.cost = p.margin = 0;
  return e;
}

namespace {
// The open legs' sums at their marks, leg `skip` left out: what the account's check and a
// position's cross collateral are both made of. nullopt when an open leg has no contract.
struct LegSums {
  i128 unrealized = 0, notional = 0, maintenance = 0;
  bool open = false;
};
std::optional<LegSums> sum_legs(const std::vector<CrossLeg>& legs, std::size_t skip) {
  LegSums sums;
  for (std::size_t j = 0; j < legs.size(); ++j) {
    const PerpPosition& p = *legs[j].position;
    if (j == skip || p.qty == 0) continue;
    if (!legs[j].contract || legs[j].contract->tiers.empty()) return std::nullopt;
    sums.open = true;
    const i128 value = mul_wide(p.qty, legs[j].mark);
    sums.unrealized += value - p.cost;
    sums.notional += abs128(value);
    sums.maintenance += maintenance_margin_wide(*legs[j].contract, abs128(value));
  }
  return sums;
}
}  // namespace

std::optional<CrossCheck> check_cross_margin(std::int64_t wallet, const std::vector<CrossLeg>& legs) {
  const auto sums = sum_legs(legs, legs.size());
  if (!sums) return std::nullopt;
  const i128 balance = static_cast<i128>(wallet) + sums->unrealized;
  if (!fits(sums->notional) || !fits(balance) || !fits(sums->maintenance)) return std::nullopt;
  return CrossCheck{wallet, static_cast<std::int64_t>(sums->notional), static_cast<std::int64_t>(balance),
                    static_cast<std::int64_t>(sums->maintenance), sums->open && balance <= sums->maintenance};
}

std::optional<CrossCollateral> cross_collateral(std::int64_t wallet, const std::vector<CrossLeg>& legs, std::size_t i) {
  const auto others = sum_legs(legs, i);
  if (!others) return std::nullopt;
  const i128 bankruptcy = static_cast<i128>(wallet) + others->unrealized;
  const i128 liquidation = bankruptcy - others->maintenance;
  if (!fits(bankruptcy) || !fits(liquidation)) return std::nullopt;
  return CrossCollateral{static_cast<std::int64_t>(liquidation), static_cast<std::int64_t>(bankruptcy)};
}

std::optional<std::vector<std::int64_t>> cross_losses(std::int64_t wallet, const std::vector<CrossLeg>& legs,
                                                      std::size_t trigger) {
  if (trigger >= legs.size()) return std::nullopt;
  std::vector<i128> losses;
  i128 unrealized = 0;
  for (const CrossLeg& leg : legs) {
    const i128 u = mul_wide(leg.position->qty, leg.mark) - leg.position->cost;
    unrealized += u;
    losses.push_back(-u);
  }
  // The rest of the margin balance, which the venue keeps: the losses then add up to the wallet.
  losses[trigger] += std::max<i128>(wallet, 0) + unrealized;
  std::vector<std::int64_t> out;
  for (const i128 l : losses) {
    if (!fits(l)) return std::nullopt;
    out.push_back(static_cast<std::int64_t>(l));
  }
  return out;
}

Result<FillEffect> close_at_loss(PerpPosition& p, std::int64_t loss) {
  const i128 realized = static_cast<i128>(p.realized) - loss;
  if (!fits(realized) || loss == std::numeric_limits<std::int64_t>::min())
    return fail("a liquidation overflows 64-bit fixed point; not booked");
  FillEffect e;
  e.closed = quantity_size(p.qty);
  e.realized = -loss;
  e.margin_released = p.margin;
  e.wallet_delta = -loss;
  p.realized = static_cast<std::int64_t>(realized);
  p.qty = p.cost = p.margin = 0;
  return e;
}

}  // namespace trader::futures
