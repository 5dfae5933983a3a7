// The regime classifier (actors/regime/regime_classifier.hpp): trend and volatility regimes
// from returns, exact, on made-up paths whose answer is known and on the bundled real week.
#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <set>
#include <vector>

#include "actors/regime/regime_classifier.hpp"
#include "bundled_week.hpp"
#include "model/journal_candles.hpp"
#include "test_support.hpp"

using namespace trader;

namespace {

Candle candle_at(std::int64_t i, std::int64_t close) {
  Candle c;
  c.symbol = "BTCUSDT";
  c.interval_s = 60;
  c.open_time_ms = i * 60'000;
  c.close_time_ms = c.open_time_ms + 59'999;
  c.open = c.high = c.low = c.close = close;
  return c;
}

// Closes from returns in ppm, starting at 100 (fixed point, 1e8).
std::vector<Candle> path(const std::vector<std::int64_t>& returns_ppm) {
  std::vector<Candle> out;
  std::int64_t close = 100'00000000;
  out.push_back(candle_at(0, close));
  for (std::size_t i = 0; i < returns_ppm.size(); ++i) {
    close += static_cast<std::int64_t>(static_cast<__int128>(close) * returns_ppm[i] / 1'000'000);
    out.push_back(candle_at(static_cast<std::int64_t>(i) + 1, close));
  }
  return out;
}

std::vector<std::optional<RegimeReading>> classify(const RegimeConfig& config, const std::vector<Candle>& candles) {
  RegimeClassifier k(config);
  std::vector<std::optional<RegimeReading>> out;
  for (const auto& c : candles) out.push_back(k.add(c));
  return out;
}

}  // namespace

TEST_CASE("regime: a steady rise is an up trend, a fall a down trend, a zigzag a range, t as computed by hand") {
  RegimeConfig cfg;
  cfg.trend_window = 10;
  cfg.vol_window = 5;
  cfg.vol_history = 5;
  // Returns around +0.1% with a little noise: t is large. Around -0.1%: large and negative.
  std::vector<std::int64_t> up, down, zigzag;
  for (int i = 0; i < 40; ++i) {
    up.push_back(1000 + (i % 3 == 0 ? 300 : -150));
    down.push_back(-1000 + (i % 3 == 0 ? 300 : -150));
    zigzag.push_back(i % 2 == 0 ? 2000 : -2000);
  }
  const auto u = classify(cfg, path(up)).back(), d = classify(cfg, path(down)).back(), z = classify(cfg, path(zigzag)).back();
  REQUIRE(u.has_value());
  REQUIRE(d.has_value());
  REQUIRE(z.has_value());
  CHECK(u->trend == TrendRegime::up);
  CHECK(d->trend == TrendRegime::down);
  CHECK(z->trend == TrendRegime::range);
  CHECK(z->trend_t_centi == 0);  // ten returns of +-0.2% (to a ppm): |t| under 0.01

  // The slope's t over the last ten returns, recomputed in double from the closes given:
  // the path is the running sum of the returns (in ppm, as the classifier truncates them).
  const auto closes = path(up);
  std::vector<double> y{0};
  for (std::size_t i = closes.size() - 10; i < closes.size(); ++i)
    y.push_back(y.back() + std::trunc(static_cast<double>(closes[i].close - closes[i - 1].close) * 1e6 /
                                      static_cast<double>(closes[i - 1].close)));
  const double m = static_cast<double>(y.size());
  double sx = 0, sy = 0;
  for (std::size_t x = 0; x < y.size(); ++x) sx += static_cast<double>(x), sy += y[x];
  double sxx = 0, sxy = 0, syy = 0;
  for (std::size_t x = 0; x < y.size(); ++x) {
    const double dx = static_cast<double>(x) - sx / m, dy = y[x] - sy / m;
    sxx += dx * dx, sxy += dx * dy, syy += dy * dy;
  }
  const double slope = sxy / sxx, residual = (syy - slope * sxy) / (m - 2);
  const double t = slope / std::sqrt(residual / sxx);
  CHECK(u->trend_t_centi == static_cast<std::int32_t>(std::floor(t * 100)));
  CHECK(u->trend_t_centi > 1000);

  // Just below the threshold is a range, at it a trend: the comparison is exact.
  RegimeConfig at = cfg, above = cfg;
  at.trend_t_centi = static_cast<std::uint32_t>(u->trend_t_centi);
  above.trend_t_centi = static_cast<std::uint32_t>(u->trend_t_centi) + 1;
  CHECK(classify(at, path(up)).back()->trend == TrendRegime::up);
  CHECK(classify(above, path(up)).back()->trend == TrendRegime::range);
}

TEST_CASE("regime: volatility is ranked among its own past, quiet is low, a burst high, the warm-up is exact") {
  RegimeConfig cfg;
  cfg.trend_window = 4;
  cfg.vol_window = 4;
  cfg.vol_history = 20;
  std::vector<std::int64_t> returns;
  for (int i = 0; i < 40; ++i) returns.push_back(i % 2 ? 1000 + i * 10 : -1000 - i * 10);  // slowly widening
  for (int i = 0; i < 4; ++i) returns.push_back(i % 2 ? 20000 : -20000);                  // a burst
  for (int i = 0; i < 30; ++i) returns.push_back(i % 2 ? 300 - 10 * i : -300 + 10 * i);    // then ever calmer
  const auto readings = classify(cfg, path(returns));
  RegimeClassifier probe(cfg);
  const std::size_t first = probe.warmup_candles() - 1;  // the index of the first reading
  for (std::size_t i = 0; i < readings.size(); ++i) CHECK(readings[i].has_value() == (i >= first));
  REQUIRE(first == 1 + 4 + 20 - 1);
  CHECK(readings[40]->volatility == VolatilityRegime::high);  // the widening path: each variance the largest yet
  CHECK(readings[40]->vol_rank_ppm == 1'000'000);
  CHECK(readings[44]->volatility == VolatilityRegime::high);  // the burst
  CHECK(readings.back()->volatility == VolatilityRegime::low);
  CHECK(readings.back()->vol_rank_ppm == 0);
}

TEST_CASE("regime: a snapshot resumes to the same readings, on the real week's 5-minute candles, every regime occurs") {
  test::TempDir dir;
  test::import_bundled_week(dir.path());
  auto candles = model::journal_candles(dir.path(), {300}, CandleBuilderConfig{{60, 300}, false, 2000});
  REQUIRE(candles.has_value());
  const auto& series = candles->by_symbol.at("BTCUSDC");
  REQUIRE(series.size() == 2016);
  const RegimeConfig cfg;  // the defaults: 24 returns, ranked among 168 variances
  RegimeClassifier whole(cfg), first(cfg);
  std::set<TrendRegime> trends;
  std::set<VolatilityRegime> vols;
  std::size_t changes = 0;
  std::optional<RegimeReading> before;
  const std::size_t half = series.size() / 2;
  for (std::size_t i = 0; i < half; ++i) {
    whole.add(series[i]);
    first.add(series[i]);
  }
  StateWriter w;
  first.save(w);
  RegimeClassifier resumed(cfg);
  StateReader r(w.bytes());
  REQUIRE(resumed.load(r).has_value());
  CHECK(r.at_end());
  for (std::size_t i = half; i < series.size(); ++i) {
    const auto a = whole.add(series[i]), b = resumed.add(series[i]);
    REQUIRE(a == b);
    REQUIRE(a.has_value());
    trends.insert(a->trend);
    vols.insert(a->volatility);
    if (before && (before->trend != a->trend || before->volatility != a->volatility)) ++changes;
    before = a;
  }
  CHECK(trends.size() == 3);
  CHECK(vols.size() == 3);
  // A regime lasts more than a candle or two on average: a classifier that flickers is noise.
  CHECK(changes < (series.size() - half) / 3);
}
