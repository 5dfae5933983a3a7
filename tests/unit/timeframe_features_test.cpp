// Multi-timeframe features (model/timeframe_features.hpp) on the bundled real klines, with
// 1m and 5m candles built by the node's own candle builder in the order it publishes them.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <map>

#include "actors/strategy/xgb_strategy_core.hpp"
#include "core_harness.hpp"
#include "model/journal_candles.hpp"
#include "model/journal_training.hpp"
#include "model/timeframe_features.hpp"
#include "model/trainer.hpp"
#include "model/xgb_model.hpp"
#include "bundled_week.hpp"
#include "test_support.hpp"

using namespace trader;

namespace {

// BTCUSDC's 1m and 5m candles of the 7 bundled days, in the builder's order.
std::vector<Candle> mixed_candles() {
  test::TempDir dir;
  test::import_bundled_week(dir.path());
  auto candles = model::journal_candles(dir.path(), {60, 300}, CandleBuilderConfig{{60}, false, 2000});
  REQUIRE_MESSAGE(candles.has_value(), (candles ? "" : candles.error().message));
  CHECK(candles->built);
  return candles->by_symbol.at("BTCUSDC");
}

// ret_1 and vol_60 of the 1m candles, rsi_14 and macd of the 5m ones.
std::vector<model::FeatureColumn> columns() {
  return {{60, 0, "ret_1"}, {60, 5, "vol_60"}, {300, 6, "rsi_14@5m"}, {300, 7, "macd@5m"}};
}

}  // namespace

TEST_CASE("multi-timeframe features: a row holds its own candle's features and the other interval's as of its last candle before") {
  const auto series = mixed_candles();
  REQUIRE(series.size() == 10080 + 2016);
  model::TimeframeFeatures tf(60, columns());
  // The reference: one FeatureBuilder per interval, fed alongside.
  model::FeatureBuilder one, five;
  std::optional<model::FeatureRow> last_five;
  std::int64_t last_five_close = -1;
  std::size_t base_candles = 0, rows = 0, first_row_at = 0;
  for (const auto& c : series) {
    auto row = tf.add(c);
    if (c.interval_s == 300) {
      CHECK_FALSE(row.has_value());  // another interval's candle only teaches
      last_five = five.add(c);
      last_five_close = c.close_time_ms;
      continue;
    }
    REQUIRE(c.interval_s == 60);
    ++base_candles;
    const auto own = one.add(c);
    REQUIRE(row.has_value() == (own.has_value() && last_five.has_value()));
    if (!row) continue;
    // Nothing from after the row's own close: the 5m candle closing with this 1m one
    // comes after it.
    CHECK(last_five_close < c.close_time_ms);
    CHECK(c.close_time_ms - last_five_close <= 300'000);
    REQUIRE(row->size() == 4);
    CHECK((*row)[0] == (*own)[0]);
    CHECK((*row)[1] == (*own)[5]);
    CHECK((*row)[2] == (*last_five)[6]);
    CHECK((*row)[3] == (*last_five)[7]);
    if (rows++ == 0) first_row_at = base_candles;
  }
  // Ready once the 5m features are: after 61 of them, not after 61 one-minute candles.
  CHECK(first_row_at > model::kWarmup * 5);
  // The warm-up a live session plans from this is enough for the first row.
  CHECK(first_row_at <= model::warmup_candles(60, columns()));
  CHECK(rows == base_candles - first_row_at + 1);
}

TEST_CASE("multi-timeframe features: a snapshot resumes to the same rows, the default columns' state is FeatureBuilder's") {
  const auto series = mixed_candles();
  model::TimeframeFeatures a(60, columns());
  const std::size_t half = series.size() / 2;
  for (std::size_t i = 0; i < half; ++i) a.add(series[i]);
  StateWriter w;
  a.save(w);
  model::TimeframeFeatures b(60, columns());
  StateReader r(w.bytes());
  REQUIRE(b.load(r).has_value());
  CHECK(r.at_end());
  std::size_t compared = 0;
  for (std::size_t i = half; i < series.size(); ++i) {
    const auto x = a.add(series[i]), y = b.add(series[i]);
    REQUIRE(x == y);
    compared += x.has_value();
  }
  CHECK(compared > 4000);
  // Snapshot of other intervals than the columns read: refused, not misread.
  model::TimeframeFeatures other(60, {{60, 0, "ret_1"}, {3600, 6, "rsi_14@1h"}});
  StateReader again(w.bytes());
  CHECK_FALSE(other.load(again).has_value());

  // A model without `features` keeps its snapshots: the bytes are the old builder's.
  model::TimeframeFeatures plain(60, model::default_columns(60));
  model::FeatureBuilder old;
  for (std::size_t i = 0; i < half; ++i) {
    const auto x = plain.add(series[i]);
    if (series[i].interval_s != 60) continue;
    const auto y = old.add(series[i]);
    REQUIRE(x.has_value() == y.has_value());
    if (x) CHECK(std::equal(x->begin(), x->end(), y->begin(), y->end()));
  }
  StateWriter wp, wo;
  plain.save(wp);
  old.save(wo);
  CHECK(wp.bytes() == wo.bytes());
}

TEST_CASE("multi-timeframe features: the rows `train` learns from are the values the strategy journals") {
  const auto series = mixed_candles();
  const std::map<std::string, std::vector<Candle>> by_symbol{{"BTCUSDC", series}};
  const auto samples = model::build_samples(by_symbol, 60, columns(), 15, 0.0024);
  REQUIRE(samples.size() > 8000);
  model::TrainParams p;
  p.rounds = 30;
  auto trained = model::train(samples, p);
  REQUIRE(trained.has_value());
  auto loaded = model::XgbModel::from_bytes(trained->model, "trained", columns().size());
  REQUIRE(loaded.has_value());
  std::map<std::int64_t, const model::Sample*> at;
  for (const auto& s : samples) at[s.ts_ms] = &s;

  // Through the strategy core, as the node runs it: every direction change is a signal
  // with the row it was decided on.
  // Long above the median probability, flat below: direction changes, hence signals, often.
  std::vector<float> probs;
  for (const auto& s : samples) probs.push_back(*(*loaded)->predict(s.x));
  std::nth_element(probs.begin(), probs.begin() + static_cast<std::ptrdiff_t>(probs.size() / 2), probs.end());
  XgbStrategyConfig c;
  c.features = columns();
  c.entry_probability = c.exit_probability = c.full_probability = probs[probs.size() / 2];
  XgbStrategyCore core(c, *loaded);
  CHECK(core.warmup_ms() == std::int64_t{model::warmup_candles(60, columns())} * 60'000);
  test::CoreHarness h(core);
  std::size_t checked = 0;
  for (const auto& candle : series)
    for (const auto& s : test::of_type<Signal>(h.feed(candle))) {
      const auto found = at.find(s.ts_ms);
      if (found == at.end()) continue;  // the last 15 minutes have no label
      REQUIRE(s.values.size() == columns().size() + 1);
      for (std::size_t i = 0; i < columns().size(); ++i) {
        CHECK(s.values[i].name == columns()[i].name);
        CHECK(s.values[i].value == static_cast<double>(found->second->x[i]));
      }
      const auto prob = (*loaded)->predict(found->second->x);
      REQUIRE(prob.has_value());
      CHECK(s.values.back().value == static_cast<double>(*prob));
      ++checked;
    }
  CHECK(checked > 200);
}

TEST_CASE("multi-timeframe features: a model is loaded only for the columns its metadata names") {
  test::TempDir dir;
  const std::string model = dir.sub("m.json");
  CHECK(model::check_model_columns(model, columns()).has_value());  // no metadata: nothing to compare
  std::ofstream(model) << "the model's bytes";
  const std::string id = model::sha256_hex(std::string_view("the model's bytes"));
  std::ofstream(model + ".meta.json") << R"({"model_id": ")" + id +
                                             R"(", "features": ["ret_1", "vol_60", "rsi_14@5m", "macd@5m"]})";
  CHECK(model::check_model_columns(model, columns()).has_value());
  auto wrong = model::check_model_columns(model, model::default_columns(60));
  REQUIRE_FALSE(wrong.has_value());
  CAPTURE(wrong.error().message);
  CHECK(wrong.error().message.find("trained on features [ret_1, vol_60, rsi_14@5m, macd@5m]") != std::string::npos);
  CHECK(wrong.error().message.find("the strategy reads [ret_1, ret_5, ret_15") != std::string::npos);
  std::ofstream(model + ".meta.json") << R"({"model_id": ")" + id + R"("})";
  auto none = model::check_model_columns(model, columns());
  REQUIRE_FALSE(none.has_value());
  CHECK(none.error().message.find("no \"features\" list") != std::string::npos);
  // Metadata left from another model (the file replaced without it) describes other
  // features: the pair is refused, whatever its features say.
  std::ofstream(model + ".meta.json") << R"({"model_id": "x", "features": ["ret_1", "vol_60", "rsi_14@5m", "macd@5m"]})";
  auto other = model::check_model_columns(model, columns());
  REQUIRE_FALSE(other.has_value());
  CHECK(other.error().message == model + ".meta.json describes model x, but " + model + " is model " + id +
                                     ": the two do not belong together (train again, or put back the model's own "
                                     "metadata)");
}
