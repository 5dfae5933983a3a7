// The regime classifier (actors/regime/regime_classifier.hpp): trend and volatility regimes
// from returns, exact, on made-up paths whose answer is known and on the bundled real week.
#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <set>
#include <vector>

#include "actors/regime/regime_classifier.hpp"
#include "actors/risk/risk_core.hpp"
#include "actors/strategy/rule_strategy_core.hpp"
#include "bundled_week.hpp"
#include "core_harness.hpp"
#include "fast_rule.hpp"
#include "model/journal_candles.hpp"
#include "test_support.hpp"

using namespace trader;
using test::CoreHarness;
using test::fast_rule;
using test::of_type;
using test::px;

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

namespace {

RegimeSettings quick_regime() {
  RegimeSettings g;
  g.interval_s = 60;
  g.classifier.trend_window = 10;
  g.classifier.vol_window = 5;
  g.classifier.vol_history = 5;
  return g;
}
RegimeFilter trends_only(std::initializer_list<TrendRegime> trends) {
  RegimeFilter f{0, 0b111};
  for (auto t : trends) f.trends |= static_cast<std::uint8_t>(1U << static_cast<unsigned>(t));
  return f;
}
// A noisy rise (an up trend; the rule goes long), then flat closes (a range; the rule,
// its fast average above the slow one, stays long).
std::vector<Candle> rise_then_flat() {
  std::vector<std::int64_t> r;
  for (int i = 0; i < 40; ++i) r.push_back(1000 + (i % 3 == 0 ? 300 : -150));
  for (int i = 0; i < 30; ++i) r.push_back(0);
  return path(r);
}

struct Traded {
  std::vector<Regime> regimes;
  std::vector<std::pair<OrderIntent, std::optional<Regime>>> intents;  // with the regime then
};
// Feeds the candles; an entry fills at once (the position is then held) when `fill`.
Traded trade(StrategyCore& core, const std::vector<Candle>& candles, bool fill) {
  CoreHarness h(core);
  PortfolioState p;
  p.equity = px(10000);
  h.feed(p);
  Traded t;
  for (const auto& c : candles) {
    const auto& out = h.feed(c);
    for (const auto& g : of_type<Regime>(out)) t.regimes.push_back(g);
    const std::optional<Regime> now = t.regimes.empty() ? std::nullopt : std::optional<Regime>(t.regimes.back());
    const auto intents = of_type<OrderIntent>(out);
    for (const auto& i : intents) t.intents.push_back({i, now});
    for (const auto& i : intents) {
      if (!fill) continue;
      OrderEvent done;
      done.symbol = i.symbol;
      done.intent_id = i.intent_id;
      done.kind = OrderEventKind::filled;
      h.feed(done);
      p.positions.clear();
      if (!i.is_exit) p.positions.push_back(Position{i.symbol, i.qty, c.close, c.close, 0, 0});
      h.feed(p);
    }
  }
  return t;
}

}  // namespace

TEST_CASE("regimes: the strategy actor journals a symbol's regime when it changes, and a strategy trades only in its "
          "regimes") {
  const auto candles = rise_then_flat();
  // What the classifier alone reads: the Regime messages are exactly its changes.
  RegimeClassifier alone(quick_regime().classifier);
  std::vector<RegimeReading> changes;
  for (const auto& c : candles)
    if (auto g = alone.add(c); g && (changes.empty() || changes.back().trend != g->trend ||
                                     changes.back().volatility != g->volatility))
      changes.push_back(*g);
  REQUIRE(changes.size() >= 2);

  RuleStrategyCore any(fast_rule());
  any.read_regimes(quick_regime());
  const auto free = trade(any, candles, false);
  REQUIRE(free.regimes.size() == changes.size());
  for (std::size_t i = 0; i < changes.size(); ++i) {
    CHECK(free.regimes[i].trend == changes[i].trend);
    CHECK(free.regimes[i].volatility == changes[i].volatility);
    CHECK(free.regimes[i].trend_t_centi == changes[i].trend_t_centi);
    CHECK(free.regimes[i].symbol == "BTCUSDT");
    CHECK(free.regimes[i].interval_s == 60);
  }
  CHECK(free.regimes.front().trend == TrendRegime::up);
  CHECK(free.regimes.back().trend == TrendRegime::range);
  REQUIRE_FALSE(free.intents.empty());
  CHECK_FALSE(free.intents.front().second.has_value());  // unconditioned: it entered before any regime was read

  // Conditioned on a range, it waits for the flat closes; on an up trend, it enters in the
  // rise and is taken out when the range comes.
  RuleStrategyCore ranging(fast_rule());
  ranging.read_regimes(quick_regime(), {trends_only({TrendRegime::range})});
  const auto in_range = trade(ranging, candles, false);
  REQUIRE_FALSE(in_range.intents.empty());
  for (const auto& [i, g] : in_range.intents) {
    REQUIRE(g.has_value());
    CHECK(g->trend == TrendRegime::range);
  }
  RuleStrategyCore trending(fast_rule());
  trending.read_regimes(quick_regime(), {trends_only({TrendRegime::up})});
  const auto in_trend = trade(trending, candles, true);
  REQUIRE(in_trend.intents.size() == 2);
  const auto& [entry, entered_in] = in_trend.intents[0];
  CHECK_FALSE(entry.is_exit);
  REQUIRE(entered_in.has_value());
  CHECK(entered_in->trend == TrendRegime::up);
  const auto& [exit, exited_in] = in_trend.intents[1];
  CHECK(exit.is_exit);
  REQUIRE(exited_in.has_value());
  CHECK(exited_in->trend == TrendRegime::range);
  CHECK(exit.reason.find("exit: outside its regimes (trend range, volatility ") == 0);
}

TEST_CASE("regimes: a snapshot keeps each symbol's regime and its classifier, the restored strategy decides the same, "
          "the warm-up covers the regime") {
  const auto candles = rise_then_flat();
  RuleStrategyCore a(fast_rule());
  a.read_regimes(quick_regime(), {trends_only({TrendRegime::up})});
  RuleStrategyCore plain(fast_rule());
  CHECK(a.warmup_ms() == std::int64_t{RegimeClassifier(quick_regime().classifier).warmup_candles()} * 60'000);
  CHECK(a.warmup_ms() > plain.warmup_ms());
  CoreHarness ha(a);
  PortfolioState p;
  p.equity = px(10000);
  ha.feed(p);
  const std::size_t half = 25;  // regimes read, the rule long, an entry made
  for (std::size_t i = 0; i < half; ++i) ha.feed(candles[i]);
  StateWriter w;
  a.save(w);
  RuleStrategyCore b(fast_rule());
  b.read_regimes(quick_regime(), {trends_only({TrendRegime::up})});
  StateReader r(w.bytes());
  REQUIRE(b.load(r).has_value());
  CHECK(r.at_end());
  StateWriter again;
  b.save(again);
  CHECK(again.bytes() == w.bytes());
  // Without [regime] the state is what it always was: the regime's part is all that was added.
  StateWriter without;
  plain.save(without);
  CHECK(without.bytes().size() < w.bytes().size());
  CoreHarness hb(b);
  std::size_t regimes = 0;
  for (std::size_t i = half; i < candles.size(); ++i) {
    const Outbox out_a = ha.feed(candles[i]);
    const Outbox out_b = hb.feed(candles[i]);
    REQUIRE(out_a.size() == out_b.size());
    for (std::size_t k = 0; k < out_a.size(); ++k) {
      Message x = out_a[k].message, y = out_b[k].message;
      if (auto* i1 = std::get_if<OrderIntent>(&x)) i1->signal_seq = 0;  // the harnesses number deliveries apart
      if (auto* i2 = std::get_if<OrderIntent>(&y)) i2->signal_seq = 0;
      CHECK(x == y);
    }
    regimes += of_type<Regime>(out_a).size();
  }
  CHECK(regimes > 0);
}

TEST_CASE("regimes: risk scales an entry by the factors of the symbol's trend and volatility, refuses at 0, keeps it "
          "across a snapshot") {
  RiskConfig c;
  c.max_position_notional = px(100000);
  c.max_position_equity_ppm = 1'000'000;
  c.market.every_symbol.lot_step = px(0.001);
  c.market.every_symbol.min_notional = px(5);
  c.regime_size.high_vol = 500'000;
  c.regime_size.up = 800'000;
  c.regime_size.range = 0;
  RiskCore core(c);
  CoreHarness h(core);
  Candle k = candle_at(1, px(100));
  h.feed(k);
  PortfolioState p;
  p.equity = px(10000);
  h.feed(p);
  auto decide = [&](CoreHarness& harness, const char* symbol) {
    OrderIntent i;
    i.intent_id = 7;
    i.symbol = symbol;
    i.side = Side::buy;
    i.qty = px(10);
    i.confidence_ppm = 900'000;
    i.ts_ms = 60'000;
    const auto d = of_type<RiskDecision>(harness.feed(i));
    REQUIRE(d.size() == 1);
    return d[0];
  };
  // No regime read yet: the size as it is.
  auto d = decide(h, "BTCUSDT");
  CHECK(d.approved);
  CHECK(d.approved_qty == px(10));
  CHECK(d.reason_code == "ok");
  h.feed(Regime{"BTCUSDT", 60, 119'999, TrendRegime::up, VolatilityRegime::high, 700, 900'000});
  d = decide(h, "BTCUSDT");
  CHECK(d.approved);
  CHECK(d.approved_qty == px(4));  // 10 x 0.8 x 0.5
  CHECK(d.reason_code == "regime_scaled");
  CHECK(d.reason == "within limits; size x 0.4 (risk.regime_size_factor: BTCUSDT: trend up, volatility high)");
  // A snapshot keeps it.
  StateWriter w;
  core.save(w);
  RiskCore restored(c);
  StateReader r(w.bytes());
  REQUIRE(restored.load(r).has_value());
  CHECK(r.at_end());
  CoreHarness h2(restored);
  CHECK(decide(h2, "BTCUSDT").approved_qty == px(4));
  // A factor of 0: no entries in that regime.
  h.feed(Regime{"BTCUSDT", 60, 179'999, TrendRegime::range, VolatilityRegime::normal, 12, 500'000});
  d = decide(h, "BTCUSDT");
  CHECK_FALSE(d.approved);
  CHECK(d.reason_code == "regime");
  CHECK(d.reason == "risk.regime_size_factor is 0 for BTCUSDT: trend range, volatility normal");
  // Without factors, regimes are not kept: the snapshot is what it was before regimes.
  RiskConfig off = c;
  off.regime_size = {};
  RiskCore unconditioned(off), fresh(off);
  CoreHarness h3(unconditioned);
  h3.feed(Regime{"BTCUSDT", 60, 119'999, TrendRegime::up, VolatilityRegime::high, 700, 900'000});
  StateWriter a, b;
  unconditioned.save(a);
  fresh.save(b);
  CHECK(a.bytes() == b.bytes());
}
