#include "actors/strategy/sizing.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "messages/fixed_point.hpp"
#include "messages/fixed_point_display.hpp"

namespace trader {
namespace {

EntrySize capped(const SizingConfig& c, std::uint64_t fraction_ppm, std::string why) {
  if (fraction_ppm > c.max_fraction_ppm) {
    why += fmt::format(", capped at {}", percent_of_ppm(c.max_fraction_ppm));
    fraction_ppm = c.max_fraction_ppm;
  }
  return {static_cast<std::uint32_t>(fraction_ppm), std::move(why)};
}

}  // namespace

EntrySize size_entry(const SizingConfig& c, std::uint32_t view_fraction_ppm, std::uint32_t confidence_ppm) {
  const std::uint64_t p = std::min<std::uint64_t>(confidence_ppm, kPpm);
  switch (c.policy) {
    case SizingPolicy::strategy: return {view_fraction_ppm, ""};
    case SizingPolicy::fixed_fraction:
      return capped(c, c.fraction_ppm, fmt::format("sizing fixed_fraction {}", percent_of_ppm(c.fraction_ppm)));
    case SizingPolicy::confidence_scaled: {
      const std::uint64_t f = std::uint64_t{c.fraction_ppm} * p / kPpm;
      return capped(c, f, fmt::format("sizing confidence_scaled {} x confidence {} = {}", percent_of_ppm(c.fraction_ppm),
                                      percent_of_ppm(p), percent_of_ppm(f)));
    }
    case SizingPolicy::risk_per_trade: {
      if (c.stop_loss_ppm == 0) return {0, "sizing risk_per_trade: no stop distance"};
      const std::uint64_t f = std::uint64_t{c.risk_ppm} * kPpm / c.stop_loss_ppm;
      return capped(c, f, fmt::format("sizing risk_per_trade {} / stop {} = {}", percent_of_ppm(c.risk_ppm),
                                      percent_of_ppm(c.stop_loss_ppm), percent_of_ppm(f)));
    }
    case SizingPolicy::kelly: {
      if (c.take_profit_ppm == 0) return {0, "sizing kelly: no take-profit distance"};
      // f* = p - (1 - p) / b, b = take profit / stop loss, in ppm of equity
      const std::uint64_t loss_side = (kPpm - p) * c.stop_loss_ppm / c.take_profit_ppm;
      std::string why = fmt::format("sizing kelly p {} b {} / {}", percent_of_ppm(p), percent_of_ppm(c.take_profit_ppm),
                                    percent_of_ppm(c.stop_loss_ppm));
      if (p <= loss_side) return {0, why + ": no edge, no entry"};
      const std::uint64_t full = p - loss_side;
      const std::uint64_t f = full * c.kelly_fraction_ppm / kPpm;
      return capped(c, f, fmt::format("{}: full {} x {} = {}", why, percent_of_ppm(full),
                                      percent_of_ppm(c.kelly_fraction_ppm), percent_of_ppm(f)));
    }
  }
  return {view_fraction_ppm, ""};
}

}  // namespace trader
