#include <doctest/doctest.h>

#include <fmt/format.h>

#include "replay/session_stats.hpp"

using namespace trader;
using namespace trader::replay;

namespace {
// A portfolio state at hour `h` of a day with this equity (whole quote units).
PortfolioState state_at(std::int64_t h, std::int64_t equity, std::uint32_t trips = 0, std::uint32_t wins = 0) {
  PortfolioState p;
  p.ts_ms = 1'677'628'800'000 + h * 3'600'000;
  p.quote_asset = "USDC";
  p.starting_cash = 10'000 * 100'000'000LL;
  p.equity = equity * 100'000'000LL;
  p.round_trips = trips;
  p.winning_round_trips = wins;
  return p;
}

VersionStats stats_of(const std::vector<PortfolioState>& states) {
  StatsBuilder b;
  for (const auto& s : states) b.add(s);
  VersionStats out;
  b.finish(out);
  return out;
}
}  // namespace

TEST_CASE("session figures say n/a where there is no win rate or Sharpe, not a 0 that reads as a result") {
  // No round trip, equity never moved: "win rate 0.0%" read as every trip lost, "Sharpe 0.00" as no edge.
  const auto flat = stats_of({state_at(0, 10'000), state_at(1, 10'000), state_at(2, 10'000), state_at(3, 10'000)});
  CHECK(win_rate_text(flat) == "n/a");
  CHECK(sharpe_text(flat) == "n/a");
  // One hourly return only: no spread to divide by.
  CHECK(sharpe_text(stats_of({state_at(0, 10'000), state_at(1, 10'100)})) == "n/a");
  // Trips and moving equity: the figures.
  const auto traded = stats_of({state_at(0, 10'000), state_at(1, 10'100, 1, 1), state_at(2, 10'050, 2, 1),
                                state_at(3, 10'200, 4, 3)});
  CHECK(win_rate_text(traded) == "75.0%");
  CHECK(traded.sharpe_defined);
  CHECK(sharpe_text(traded) == fmt::format("{:.2f}", traded.sharpe));
  CHECK(traded.sharpe > 0);
}
