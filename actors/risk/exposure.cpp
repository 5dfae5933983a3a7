#include "actors/risk/exposure.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "actors/portfolio/positions_value.hpp"
#include "messages/fixed_point.hpp"
#include "messages/fixed_point_display.hpp"

namespace trader {
std::optional<ExposureRoom> exposure_room(const ExposureLimits& limits, const PortfolioState& book,
                                          std::string_view symbol, Side side) {
  ExposureRoom room;
  if (limits.max_total_ppm == 0 && limits.max_asset_ppm == 0 && limits.max_asset_net_ppm == 0) return room;
  const std::string_view asset = base_asset(symbol);
  auto of_asset = [&](const Position& p) { return base_asset(p.symbol) == asset; };
  const auto total = positions_value(book.positions);
  if (!total) return std::nullopt;  // the asset's share is part of the total: it fits too
  const auto gross = positions_value(book.positions, of_asset);
  // Longs less shorts: each side is part of the total, so each fits, and so does their difference.
  const auto longs = positions_value(book.positions, [&](const Position& p) { return of_asset(p) && p.qty > 0; });
  const std::int64_t net = *longs - (*gross - *longs);
  const std::int64_t along = side == Side::buy ? net : -net;  // in the entry's direction
  const __int128 equity = book.equity > 0 ? book.equity : 0;
  auto consider = [&](std::uint32_t ppm, std::int64_t used, RiskLimit limit, std::string what) {
    if (ppm == 0) return;
    const __int128 cap = equity * ppm / 1'000'000;
    room.uses.push_back({limit, used, static_cast<std::int64_t>(cap)});  // <= equity: fits
    const __int128 left = std::max<__int128>(cap - used, 0);  // used >= -total: fits
    if (left >= room.quote) return;
    room.quote = static_cast<std::int64_t>(left);  // < the initial max: fits
    room.binds = limit;
    room.why = fmt::format("{} {} of equity {} = {}, {} held or being entered", what, percent_of_ppm(ppm), format_fixed(book.equity),
                           format_fixed(static_cast<std::int64_t>(cap)), format_fixed(used));
  };
  consider(limits.max_total_ppm, *total, RiskLimit::max_total_exposure, "total exposure");
  consider(limits.max_asset_ppm, *gross, RiskLimit::max_asset_exposure, fmt::format("{} exposure", asset));
  consider(limits.max_asset_net_ppm, along, RiskLimit::max_asset_net_exposure,
           fmt::format("{} net {} exposure", asset, side == Side::buy ? "long" : "short"));
  return room;
}

}  // namespace trader
