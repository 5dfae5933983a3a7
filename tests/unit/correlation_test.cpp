// Correlation limits (actors/risk/correlation.hpp): exact rho, groups, and risk refusing an
// entry that would put a second position in a correlated group.
#include <doctest/doctest.h>

#include <limits>

#include "actors/risk/correlation.hpp"
#include "actors/risk/risk_core.hpp"
#include "core_harness.hpp"

using namespace trader;
using test::CoreHarness;
using test::of_type;
using test::px;

namespace {

// Closes of two symbols, one candle a minute: b moves k times a's steps.
ReturnHistory history(const std::vector<double>& a, double k, std::uint32_t keep = 100) {
  ReturnHistory h;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto t = static_cast<std::int64_t>(i) * 60'000 + 59'999;
    h.add("AAA", t, px(a[i]), keep);
    h.add("BBB", t, px(1000 + k * (a[i] - a[0])), keep);
  }
  return h;
}

PortfolioState holding(const std::string& symbol) {
  PortfolioState p;
  p.equity = px(10000);
  p.positions.push_back({symbol, px(1), px(100), px(100), 0, 0});
  return p;
}

}  // namespace

TEST_CASE("correlation: a candle's return is clamped to +-100 % before it is narrowed") {
  CHECK(candle_return_ppm(px(100), px(101)) == 10'000);
  CHECK(candle_return_ppm(1, 2) == 1'000'000);
  // A rise of 9.2e18 times: 9.2e24 ppm, past 64 bits. It wrapped to -2,000,000 and was
  // clamped to -100 %: a rise counted as a fall.
  CHECK(candle_return_ppm(1, std::numeric_limits<std::int64_t>::max()) == 1'000'000);
  CHECK(candle_return_ppm(std::numeric_limits<std::int64_t>::max(), 1) == -999'999);
}

TEST_CASE("correlation: rho is exact on the common close times, and unknown until the window is full") {
  const std::vector<double> zigzag{100, 101, 100.5, 102, 101, 103, 102.5, 104, 103, 105};
  auto same = history(zigzag, 1.0);
  // Not the identical returns (b's base is 1000, a's about 100), but moving together.
  const auto rho = same.rho_ppm("AAA", "BBB", 9);
  REQUIRE(rho.has_value());
  CHECK(*rho > 990'000);
  CHECK(*rho <= 1'000'000);
  const auto against = history(zigzag, -1.0).rho_ppm("AAA", "BBB", 9);
  REQUIRE(against.has_value());
  CHECK(*against < -990'000);
  CHECK_FALSE(same.rho_ppm("AAA", "BBB", 10).has_value());  // 9 returns only
  CHECK_FALSE(same.rho_ppm("AAA", "CCC", 2).has_value());   // never seen

  // A symbol that does not move has no correlation.
  ReturnHistory flat;
  for (int i = 0; i < 5; ++i) {
    flat.add("AAA", i * 60'000, px(100 + i % 2), 10);
    flat.add("BBB", i * 60'000, px(50), 10);
  }
  CHECK_FALSE(flat.rho_ppm("AAA", "BBB", 4).has_value());

  // Returns are matched by close time: a candle one symbol lacks is left out.
  ReturnHistory gap;
  const double a[] = {100, 102, 101, 103, 102, 104};
  for (int i = 0; i < 6; ++i) {
    gap.add("AAA", i * 60'000, px(a[i]), 10);
    if (i != 3) gap.add("BBB", i * 60'000, px(a[i] * 2), 10);
  }
  // AAA's returns at 1,2,3,4,5; BBB's at 1,2,4,5 (its return at 4 spans two candles).
  const auto matched = gap.rho_ppm("AAA", "BBB", 4);
  REQUIRE(matched.has_value());
  CHECK(*matched < 1'000'000);  // not the identical series any more
  CHECK_FALSE(gap.rho_ppm("AAA", "BBB", 5).has_value());
}

TEST_CASE("correlation: a second position in a correlated group is refused, naming the symbol and rho") {
  const auto h = history({100, 101, 100.5, 102, 101, 103, 102.5, 104, 103, 105}, 2.0);
  CorrelationLimits limits{9, 700'000, 1};
  auto v = check_correlation(limits, h, holding("BBB"), "AAA");
  CHECK(v.refused);
  CHECK(v.why.rfind("AAA moves with BBB (rho ", 0) == 0);
  CHECK(v.why.find("over 9 candles: 2 position(s) in the group, at most 1") != std::string::npos);
  REQUIRE(v.check.has_value());
  CHECK(v.check->limit == RiskLimit::max_correlation);
  CHECK(v.check->value > 990'000);
  CHECK(v.check->bound == 700'000);
  CHECK_FALSE(v.check->within);
  // A group of two is allowed with max_correlated = 2; a bound above |rho| is no group.
  CHECK_FALSE(check_correlation({9, 700'000, 2}, h, holding("BBB"), "AAA").refused);
  CHECK_FALSE(check_correlation({9, 1'000'000, 1}, h, holding("BBB"), "AAA").refused);
  // Off, nothing held, or rho unknown: no check at all.
  CHECK_FALSE(check_correlation({0, 700'000, 1}, h, holding("BBB"), "AAA").check.has_value());
  CHECK_FALSE(check_correlation(limits, h, PortfolioState{}, "AAA").check.has_value());
  CHECK_FALSE(check_correlation({10, 700'000, 1}, h, holding("BBB"), "AAA").check.has_value());
}

TEST_CASE("correlation: risk refuses the correlated entry, lists the check, and keeps the returns in its snapshot") {
  RiskConfig c;
  c.correlation = {5, 700'000, 1};
  c.max_open_positions = 5;
  c.market.every_symbol.lot_step = px(0.001);
  RiskCore risk(c);
  CoreHarness h(risk);
  const double closes[] = {100, 101, 100.5, 102, 101, 103, 102.5};
  for (int i = 0; i < 7; ++i)
    for (const auto& [symbol, scale] : {std::pair{"AAA", 1.0}, std::pair{"BBB", 3.0}}) {
      Candle k;
      k.symbol = symbol;
      k.interval_s = 60;
      k.open_time_ms = i * 60'000;
      k.close_time_ms = k.open_time_ms + 59'999;
      k.open = k.high = k.low = k.close = px(closes[i] * scale);
      h.feed(k);
    }
  h.feed(holding("BBB"));
  OrderIntent entry;
  entry.intent_id = 1;
  entry.symbol = "AAA";
  entry.side = Side::buy;
  entry.qty = px(1);
  entry.ts_ms = 7 * 60'000;
  entry.confidence_ppm = 500'000;
  const auto refused = of_type<RiskDecision>(h.feed(entry));
  REQUIRE(refused.size() == 1);
  CHECK_FALSE(refused[0].approved);
  CHECK(refused[0].reason_code == "max_correlation");
  CHECK(refused[0].checks.back().limit == RiskLimit::max_correlation);

  StateWriter w;
  risk.save(w);
  RiskCore restored(c);
  StateReader r(w.bytes());
  REQUIRE(restored.load(r));
  CHECK(r.at_end());
  CoreHarness h2(restored);
  entry.intent_id = 2;
  const auto again = of_type<RiskDecision>(h2.feed(entry));
  REQUIRE(again.size() == 1);
  CHECK(again[0].reason == refused[0].reason);

  // A state saved with the limits off (or by a build before them) has no returns: a core
  // with them on reads it, and knows no correlation until its window fills again.
  RiskConfig off = c;
  off.correlation.window = 0;
  RiskCore plain(off);
  StateWriter a;
  plain.save(a);
  RiskCore on(c);
  StateReader ra(a.bytes());
  REQUIRE(on.load(ra));
  CHECK(ra.at_end());
  StateWriter b;
  on.save(b);
  CHECK(b.bytes().size() == a.bytes().size() + 4);  // an empty return history: its count only
}
