#pragma once
// Exposure limits across positions, a pure function of the book: how much more quote an
// entry in `symbol` may spend so that
//  - total exposure (every position at its last price) stays within `max_total_ppm` of equity;
//  - one asset's exposure stays within `max_asset_ppm` of equity, counted across every
//    symbol that trades it: BTC held through BTCUSDT and BTCUSDC is one exposure.
// 0 turns a limit off. Values are exact fixed point; what does not fit is an error.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "messages/instrument.hpp"  // base_asset: per-asset limits add one asset across venues
#include "messages/message_types.hpp"

namespace trader {

struct ExposureLimits {
  std::uint32_t max_total_ppm = 0;
  std::uint32_t max_asset_ppm = 0;
};

struct ExposureRoom {
  std::int64_t quote = std::numeric_limits<std::int64_t>::max();  // what an entry may still spend
  std::optional<RiskLimit> binds;  // the limit that binds (max_total_exposure, max_asset_exposure), or none
  std::string why;             // its numbers, for the decision's reason
  struct Use {
    RiskLimit limit;
    std::int64_t used, cap;  // held now, and the most allowed (a share of equity)
  };
  std::vector<Use> uses;  // each limit that is on, for the decision's checks
};

// std::nullopt when a position's value overflows 64-bit fixed point.
std::optional<ExposureRoom> exposure_room(const ExposureLimits& limits, const PortfolioState& book,
                                          std::string_view symbol);

}  // namespace trader
