#pragma once
// What positions are worth at their last prices, long or short (|qty| x last price), summed
// exactly: the exposure risk limits and the SQL portfolio table both count.
#include <cstdint>
#include <optional>
#include <vector>

#include "messages/fixed_point.hpp"
#include "messages/message_types.hpp"

namespace trader {

// The positions `counted` selects; std::nullopt when a value or the sum does not fit in 64 bits.
template <class Counted>
std::optional<std::int64_t> positions_value(const std::vector<Position>& positions, Counted counted) {
  std::optional<std::int64_t> sum = 0;
  for (const auto& p : positions) {
    if (!counted(p)) continue;
    const auto v = mul_fixed_checked(quantity_size(p.qty), p.last_price);
    sum = sum && v ? add_checked(*sum, *v) : std::nullopt;
  }
  return sum;
}

inline std::optional<std::int64_t> positions_value(const std::vector<Position>& positions) {
  return positions_value(positions, [](const Position&) { return true; });
}

}  // namespace trader
