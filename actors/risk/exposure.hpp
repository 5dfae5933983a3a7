#pragma once
// Exposure limits across positions, a pure function of the book: how much more quote an
// entry in `symbol` may spend so that
//  - total exposure (every position at its last price) stays within `max_total_ppm` of equity;
//  - one asset's exposure stays within `max_asset_ppm` of equity, counted across every
//    symbol that trades it: BTC held through BTCUSDT and BTCUSDC is one exposure;
//  - one asset's net exposure, longs less shorts across spot and perpetuals of every venue
//    (BTCUSDT long and BTCUSDT@binance_usdm short offset), stays within `max_asset_net_ppm`
//    of equity in the entry's direction: an entry against the net has the net's size as
//    room besides the cap (a hedge is never refused by it).
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
  std::uint32_t max_asset_net_ppm = 0;
};

struct ExposureRoom {
  std::int64_t quote = std::numeric_limits<std::int64_t>::max();  // what an entry may still spend
  std::optional<RiskLimit> binds;  // the limit that binds (max_total_exposure, ...), or none
  std::string why;             // its numbers, for the decision's reason
  struct Use {
    RiskLimit limit;
    std::int64_t used, cap;  // held now (net: in the entry's direction, negative against it), the most allowed
  };
  std::vector<Use> uses;  // each limit that is on, for the decision's checks
};

// Room for an entry in `symbol` on `side` (buy: long, sell: short); std::nullopt when a
// position's value overflows 64-bit fixed point.
std::optional<ExposureRoom> exposure_room(const ExposureLimits& limits, const PortfolioState& book,
                                          std::string_view symbol, Side side);

}  // namespace trader
