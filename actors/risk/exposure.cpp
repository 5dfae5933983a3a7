#include "actors/risk/exposure.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "actors/portfolio/positions_value.hpp"
#include "messages/fixed_point.hpp"
#include "messages/fixed_point_display.hpp"

namespace trader {
std::optional<ExposureRoom> exposure_room(const ExposureLimits& limits, const PortfolioState& book,
                                          std::string_view symbol) {
  ExposureRoom room;
  if (limits.max_total_ppm == 0 && limits.max_asset_ppm == 0) return room;
  const std::string_view asset = base_asset(symbol);
  const auto total = positions_value(book.positions);
  if (!total) return std::nullopt;  // the asset's share is part of the total: it fits too
  const auto of_asset = positions_value(book.positions, [&](const Position& p) { return base_asset(p.symbol) == asset; });
  const __int128 equity = book.equity > 0 ? book.equity : 0;
  auto consider = [&](std::uint32_t ppm, std::int64_t used, RiskLimit limit, std::string what) {
    if (ppm == 0) return;
    const __int128 cap = equity * ppm / 1'000'000;
    room.uses.push_back({limit, used, static_cast<std::int64_t>(cap)});  // <= equity: fits
    const __int128 left = std::max<__int128>(cap - used, 0);
    if (left >= room.quote) return;
    room.quote = static_cast<std::int64_t>(left);  // <= cap <= equity: fits
    room.binds = limit;
    room.why = fmt::format("{} {} of equity {} = {}, {} held or being entered", what, percent_of_ppm(ppm), format_fixed(book.equity),
                           format_fixed(static_cast<std::int64_t>(cap)), format_fixed(static_cast<std::int64_t>(used)));
  };
  consider(limits.max_total_ppm, *total, RiskLimit::max_total_exposure, "total exposure");
  consider(limits.max_asset_ppm, *of_asset, RiskLimit::max_asset_exposure, fmt::format("{} exposure", asset));
  return room;
}

}  // namespace trader
