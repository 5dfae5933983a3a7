#pragma once
// What the numbers of a risk decision's LimitCheck are: each limit's unit, and whether it
// is a ceiling (value must stay below the bound) or a floor (above it).
#include <cstdint>
#include <optional>

#include "messages/fixed_point.hpp"
#include "messages/message_types.hpp"

namespace trader {

enum class LimitUnit : std::uint8_t {
  quote,  // an amount of the quote asset, fixed point 8
  base,   // a quantity of the symbol's base asset, fixed point 8
  price,  // fixed point 8
  ppm,    // parts per million
  count,
};

constexpr LimitUnit limit_unit(RiskLimit l) {
  switch (l) {
    case RiskLimit::max_drawdown:
    case RiskLimit::min_confidence:
    case RiskLimit::max_correlation:
    case RiskLimit::liquidation_distance: return LimitUnit::ppm;
    case RiskLimit::max_orders_per_minute:
    case RiskLimit::max_trades_per_day:
    case RiskLimit::max_open_positions:
    case RiskLimit::max_leverage: return LimitUnit::count;
    case RiskLimit::position_held: return LimitUnit::base;
    case RiskLimit::stop_loss:
    case RiskLimit::take_profit:
    case RiskLimit::stop_loss_short:
    case RiskLimit::take_profit_short: return LimitUnit::price;
    default: return LimitUnit::quote;
  }
}

constexpr bool limit_is_floor(RiskLimit l) {
  return l == RiskLimit::min_confidence || l == RiskLimit::stop_loss || l == RiskLimit::liquidation_distance ||
         l == RiskLimit::take_profit_short;
}

// How far the value is from its bound, on the allowed side (negative past it); nullopt
// when the difference does not fit in 64 bits.
inline std::optional<std::int64_t> headroom(const LimitCheck& c) {
  return limit_is_floor(c.limit) ? narrow_checked(static_cast<__int128>(c.value) - c.bound)
                                 : narrow_checked(static_cast<__int128>(c.bound) - c.value);
}

}  // namespace trader
