#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <fstream>
#include <map>

#include <xgboost/c_api.h>

#include "actors/strategy/xgb_strategy_core.hpp"
#include "core_harness.hpp"
#include "model/features.hpp"
#include "model/journal_candles.hpp"
#include "model/trainer.hpp"
#include "model/tree_ensemble.hpp"
#include "model/xgb_model.hpp"
#include "bundled_week.hpp"
#include "test_support.hpp"

using namespace trader;

namespace {

// The bundled 7 days of real klines, as candles built by the node's builder.
std::map<std::string, std::vector<Candle>> kline_candles() {
  test::TempDir dir;
  test::import_bundled_week(dir.path());
  auto candles = model::journal_candles(dir.path(), {60}, CandleBuilderConfig{{60}, false, 2000});
  REQUIRE_MESSAGE(candles.has_value(), (candles ? "" : candles.error().message));
  CHECK(candles->built);
  REQUIRE(candles->by_symbol.count("BTCUSDC"));
  CHECK(candles->by_symbol.at("BTCUSDC").size() == 10080);
  return candles->by_symbol;
}

// Samples from them.
std::vector<model::Sample> kline_samples(std::uint32_t horizon) {
  return model::build_samples(kline_candles(), 60, {}, horizon, 0.0024);
}

model::TrainParams quick() {
  model::TrainParams p;
  p.rounds = 30;
  return p;
}

}  // namespace

TEST_CASE("features: warm-up, then finite values in the documented order") {
  model::FeatureBuilder fb;
  Candle c;
  c.symbol = "X";
  c.interval_s = 60;
  for (int i = 0; i < 70; ++i) {
    c.close_time_ms = i * 60'000 + 59'999;
    c.close = c.high = c.low = c.open = (100 + i % 7) * 100000000LL;
    c.high += 50000000;
    c.volume = (1 + i % 3) * 100000000LL;
    c.vwap = c.close;
    auto f = fb.add(c);
    CHECK(f.has_value() == (i + 1 >= static_cast<int>(model::kWarmup)));
    if (f)
      for (float v : *f) CHECK(std::isfinite(v));
  }
  CHECK(model::feature_names().size() == model::kFeatureCount);
  CHECK(model::feature_names()[0] == "ret_1");
}

TEST_CASE("training twice on the same data gives byte-identical models") {
  auto samples = kline_samples(15);
  REQUIRE(samples.size() > 9000);
  auto a = model::train(samples, quick());
  auto b = model::train(samples, quick());
  REQUIRE_MESSAGE(a.has_value(), (a ? "" : a.error().message));
  REQUIRE(b.has_value());
  CHECK(a->model == b->model);
  CHECK(model::sha256_hex(a->model) == model::sha256_hex(b->model));
  auto other_seed = quick();
  other_seed.seed = 8;
  auto c = model::train(samples, other_seed);
  REQUIRE(c.has_value());
  CHECK(c->model != a->model);  // the seed matters (subsampling), so the check above is not vacuous
  CHECK(a->auc > 0.0);
  CHECK(a->accuracy > 0.0);
  CHECK(a->validation_rows == samples.size() / 5);
}

TEST_CASE("the node's predictions equal the training tool's for the same rows") {
  auto samples = kline_samples(15);
  auto trained = model::train(samples, quick());
  REQUIRE(trained.has_value());
  auto loaded = model::XgbModel::from_bytes(trained->model, "trained", model::kFeatureCount);
  REQUIRE_MESSAGE(loaded.has_value(), (loaded ? "" : loaded.error().message));
  REQUIRE(trained->validation.size() == trained->validation_predictions.size());
  std::size_t differing = 0;
  for (std::size_t i = 0; i < trained->validation.size(); ++i) {
    auto p = (*loaded)->predict(trained->validation[i].x);  // the strategy's path: one dense row
    REQUIRE(p.has_value());
    if (*p != trained->validation_predictions[i]) ++differing;  // exact float equality
  }
  CHECK(differing == 0);
  // And the rows are what the strategy computes: the same FeatureBuilder over the same candles.
  CHECK(trained->validation.front().x.size() == (*loaded)->features());
}

TEST_CASE("a bad model is a clear error at load, not at the first prediction") {
  test::TempDir dir;
  auto missing = model::XgbModel::load(dir.sub("none.json"), model::kFeatureCount);
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().message.find("none.json") != std::string::npos);

  std::ofstream(dir.sub("junk.json")) << "{\"this is\": \"not a model\"}";
  auto junk = model::XgbModel::load(dir.sub("junk.json"), model::kFeatureCount);
  REQUIRE_FALSE(junk.has_value());
  CHECK(junk.error().message.find("not a valid XGBoost model") != std::string::npos);
  CHECK(junk.error().message.find('\n') == std::string::npos);  // one line, no stack trace

  std::ofstream(dir.sub("empty.json")) << "";
  CHECK_FALSE(model::XgbModel::load(dir.sub("empty.json"), model::kFeatureCount).has_value());

  // A real model with 3 features where the strategy computes 15.
  const float x[] = {1, 2, 3, 2, 3, 4, 3, 4, 5, 4, 5, 6};
  const float y[] = {0, 1, 0, 1};
  DMatrixHandle m = nullptr;
  BoosterHandle b = nullptr;
  REQUIRE(XGDMatrixCreateFromMat(x, 4, 3, NAN, &m) == 0);
  REQUIRE(XGDMatrixSetFloatInfo(m, "label", y, 4) == 0);
  REQUIRE(XGBoosterCreate(&m, 1, &b) == 0);
  XGBoosterSetParam(b, "objective", "binary:logistic");
  REQUIRE(XGBoosterUpdateOneIter(b, 0, m) == 0);
  REQUIRE(XGBoosterSaveModel(b, dir.sub("three.json").c_str()) == 0);
  XGBoosterFree(b);
  XGDMatrixFree(m);
  auto three = model::XgbModel::load(dir.sub("three.json"), model::kFeatureCount);
  REQUIRE_FALSE(three.has_value());
  CHECK(three.error().message.find("takes 3 features, the strategy computes 15") != std::string::npos);
}

TEST_CASE("auc") {
  CHECK(model::auc({0.1f, 0.4f, 0.35f, 0.8f}, {0, 0, 1, 1}) == doctest::Approx(0.75));
  CHECK(model::auc({0.5f, 0.5f}, {0, 1}) == doctest::Approx(0.5));
  CHECK(model::auc({0.2f, 0.9f}, {1, 1}) == doctest::Approx(0.5));
}

namespace {

std::uint32_t bits(float f) { return std::bit_cast<std::uint32_t>(f); }

// One tree: feature 1 < 0.5 goes left (leaf 0.25), else right (leaf -0.75); missing goes
// right. Written the way XGBoost writes JSON models (numbers as their shortest text).
std::string one_split_model(const std::string& objective, const std::string& split_type = "0") {
  return R"({"learner":{"attributes":{},"feature_names":[],"feature_types":[],
    "gradient_booster":{"model":{"gbtree_model_param":{"num_parallel_tree":"1","num_trees":"1","size_leaf_vector":"0"},
      "tree_info":[0],"trees":[{"base_weights":[0,0.5,-1.5],"categories":[],"categories_nodes":[],
      "categories_segments":[],"categories_sizes":[],"default_left":[0,0,0],"id":0,"left_children":[1,-1,-1],
      "loss_changes":[1,0,0],"parents":[2147483647,0,0],"right_children":[2,-1,-1],
      "split_conditions":[5E-1,2.5E-1,-7.5E-1],"split_indices":[1,0,0],"split_type":[)" +
         split_type + R"(,0,0],"sum_hessian":[3,1,2],
      "tree_param":{"num_deleted":"0","num_feature":"2","num_nodes":"3","size_leaf_vector":"0"}}]},"name":"gbtree"},
    "learner_model_param":{"base_score":"5E-1","boost_from_average":"0","num_class":"0","num_feature":"2","num_target":"1"},
    "objective":{"name":")" + objective + R"(","reg_loss_param":{"scale_pos_weight":"1"}}},"version":[1,7,4]})";
}

}  // namespace

TEST_CASE("tree walk: x < split goes left, missing takes the default branch, margins are summed leaves") {
  auto walk = model::TreeEnsemble::from_xgboost_json(one_split_model("binary:logistic"));
  REQUIRE_MESSAGE(walk.has_value(), (walk ? "" : walk.error().message));
  CHECK(walk->trees() == 1);
  CHECK(walk->features() == 2);
  const float nan = std::nanf("");
  CHECK(walk->margin(std::vector<float>{9.0f, 0.4999f}) == 0.25f);
  CHECK(walk->margin(std::vector<float>{9.0f, 0.5f}) == -0.75f);  // equal is not less
  CHECK(walk->margin(std::vector<float>{9.0f, nan}) == -0.75f);   // default_left = 0
  CHECK(walk->probability(std::vector<float>{0.0f, 0.0f}) == doctest::Approx(1.0 / (1.0 + std::exp(-0.25))));

  // The probes put the split's feature on the threshold, just below it, and missing.
  const auto probes = walk->probe_rows();
  REQUIRE(probes.size() % 2 == 0);
  bool on = false, below = false, missing = false;
  for (std::size_t i = 1; i < probes.size(); i += 2) {
    on |= probes[i] == 0.5f;
    below |= probes[i] == std::nextafter(0.5f, 0.0f);
    missing |= std::isnan(probes[i]);
  }
  CHECK(on);
  CHECK(below);
  CHECK(missing);
}

TEST_CASE("tree walk: what it does not support is an error value that says what") {
  auto reg = model::TreeEnsemble::from_xgboost_json(one_split_model("reg:squarederror"));
  REQUIRE_FALSE(reg.has_value());
  CHECK(reg.error().message.find("objective 'reg:squarederror'") != std::string::npos);
  auto cat = model::TreeEnsemble::from_xgboost_json(one_split_model("binary:logistic", "1"));
  REQUIRE_FALSE(cat.has_value());
  CHECK(cat.error().message.find("categorical") != std::string::npos);
  auto junk = model::TreeEnsemble::from_xgboost_json(R"({"learner": [1, 2)");
  REQUIRE_FALSE(junk.has_value());
  CHECK(junk.error().message.find("not an XGBoost JSON model") != std::string::npos);
  auto bad_child = one_split_model("binary:logistic");
  bad_child.replace(bad_child.find("\"left_children\":[1,"), 20, "\"left_children\":[7,");
  auto out_of_range = model::TreeEnsemble::from_xgboost_json(bad_child);
  REQUIRE_FALSE(out_of_range.has_value());
  CHECK(out_of_range.error().message.find("out of range") != std::string::npos);
}

TEST_CASE("a trained model's one-row predictions walk the trees natively and equal the C API's on every row") {
  auto samples = kline_samples(15);
  auto trained = model::train(samples, quick());
  REQUIRE(trained.has_value());
  auto loaded = model::XgbModel::from_bytes(trained->model, "trained", model::kFeatureCount);
  REQUIRE_MESSAGE(loaded.has_value(), (loaded ? "" : loaded.error().message));
  INFO((*loaded)->predictor());
  REQUIRE((*loaded)->predictor().rfind("native tree walk", 0) == 0);

  // Every training and validation row, and each row again with one feature missing.
  std::vector<float> rows;
  for (const auto& s : samples) rows.insert(rows.end(), s.x.begin(), s.x.end());
  const std::size_t n = samples.size();
  for (std::size_t i = 0; i < n; ++i) {
    rows.insert(rows.end(), samples[i].x.begin(), samples[i].x.end());
    rows[rows.size() - model::kFeatureCount + i % model::kFeatureCount] = std::nanf("");
  }
  auto reference = (*loaded)->predict_many(rows, 2 * n);  // the C API, in one batch
  REQUIRE(reference.has_value());
  std::size_t differing = 0, distinct_outputs = 0;
  float previous = -1;
  for (std::size_t i = 0; i < 2 * n; ++i) {
    auto p = (*loaded)->predict(std::span(rows).subspan(i * model::kFeatureCount, model::kFeatureCount));
    REQUIRE(p.has_value());
    if (bits(*p) != bits((*reference)[i])) ++differing;
    if (*p != previous) ++distinct_outputs;
    previous = *p;
  }
  CHECK(differing == 0);
  CHECK(distinct_outputs > n / 10);  // the rows reach many different leaves, not one
  CHECK_FALSE((*loaded)->predict(std::vector<float>(3, 0.0f)).has_value());  // a wrong width is an error
}

TEST_CASE("a model the walk does not support predicts through the C API and says why") {
  test::TempDir dir;
  const float x[] = {1, 2, 3, 2, 3, 4, 3, 4, 5, 4, 5, 6};
  const float y[] = {0, 1, 0, 1};
  DMatrixHandle m = nullptr;
  BoosterHandle b = nullptr;
  REQUIRE(XGDMatrixCreateFromMat(x, 4, 3, NAN, &m) == 0);
  REQUIRE(XGDMatrixSetFloatInfo(m, "label", y, 4) == 0);
  REQUIRE(XGBoosterCreate(&m, 1, &b) == 0);
  XGBoosterSetParam(b, "objective", "reg:squarederror");
  REQUIRE(XGBoosterUpdateOneIter(b, 0, m) == 0);
  REQUIRE(XGBoosterSaveModel(b, dir.sub("reg.json").c_str()) == 0);
  XGBoosterFree(b);
  XGDMatrixFree(m);
  auto reg = model::XgbModel::load(dir.sub("reg.json"), 0);
  REQUIRE_MESSAGE(reg.has_value(), (reg ? "" : reg.error().message));
  CHECK((*reg)->predictor().find("XGBoost C API (objective 'reg:squarederror'") == 0);
  auto p = (*reg)->predict(std::vector<float>{1, 2, 3});
  REQUIRE(p.has_value());
  auto q = (*reg)->predict_many(std::vector<float>{1, 2, 3}, 1);
  REQUIRE(q.has_value());
  CHECK(bits(*p) == bits((*q)[0]));
}

TEST_CASE("an xgboost signal journals the features it decided on and the model's probability, bit for bit") {
  const auto candles = kline_candles().at("BTCUSDC");
  auto trained = model::train(kline_samples(15), quick());
  REQUIRE(trained.has_value());
  auto loaded = model::XgbModel::from_bytes(trained->model, "trained", model::kFeatureCount);
  REQUIRE(loaded.has_value());
  XgbStrategyConfig c;
  c.entry_probability = 0.0;  // long at the first view: a signal as soon as warmed up
  c.exit_probability = 0.0;
  XgbStrategyCore core(c, *loaded);
  test::CoreHarness h(core);
  model::FeatureBuilder features;  // the same builder, fed alongside: what the model saw
  std::optional<model::FeatureRow> row;
  std::vector<Signal> signals;
  for (std::size_t i = 0; i < candles.size() && signals.empty(); ++i) {
    row = features.add(candles[i]);
    signals = test::of_type<Signal>(h.feed(candles[i]));
  }
  REQUIRE(signals.size() == 1);
  REQUIRE(row.has_value());
  const auto& v = signals[0].values;
  REQUIRE(v.size() == model::kFeatureCount + 1);
  for (std::size_t i = 0; i < model::kFeatureCount; ++i) {
    CHECK(v[i].name == model::feature_names()[i]);
    CHECK(v[i].value == static_cast<double>((*row)[i]));
  }
  const auto p = (*loaded)->predict(*row);
  REQUIRE(p.has_value());
  CHECK(v.back().name == "p");
  CHECK(v.back().value == static_cast<double>(*p));
  CHECK(signals[0].confidence_ppm == static_cast<std::uint32_t>(std::llround(static_cast<double>(*p) * 1e6)));
}

TEST_CASE("allow_short: an xgboost view goes short where 1 - p reaches the entry probability, and covers as it falls back") {
  auto candles = kline_candles().at("BTCUSDC");
  auto trained = model::train(kline_samples(15), quick());
  REQUIRE(trained.has_value());
  auto loaded = model::XgbModel::from_bytes(trained->model, "trained", model::kFeatureCount);
  REQUIRE(loaded.has_value());
  auto signals_of = [&](bool allow_short) {
    XgbStrategyConfig c;
    c.entry_probability = 0.6;  // long at p >= 0.6, short at p <= 0.4
    c.exit_probability = 0.55;  // a long exits below 0.55, a short above 0.45
    c.allow_short = allow_short;
    XgbStrategyCore core(c, *loaded);
    test::CoreHarness h(core);
    std::vector<Signal> signals;
    for (auto candle : candles) {
      candle.symbol = "BTCUSDC@binance_usdm";
      for (const auto& s : test::of_type<Signal>(h.feed(candle))) signals.push_back(s);
    }
    return signals;
  };
  const auto signals = signals_of(true);
  std::size_t shorts = 0;
  Direction before = Direction::flat;
  for (const auto& s : signals) {
    CAPTURE(s.reason);
    const double p = s.values.back().value;
    if (s.direction == Direction::short_) {
      ++shorts;
      CHECK(1.0 - p >= 0.6);
      CHECK(s.confidence_ppm == static_cast<std::uint32_t>(std::llround((1.0 - p) * 1e6)));
    } else if (s.direction == Direction::long_) {
      CHECK(p >= 0.6);
    } else if (before == Direction::short_) {
      CHECK(1.0 - p < 0.55);  // covered
    } else {
      CHECK(p < 0.55);
    }
    before = s.direction;
  }
  CHECK(shorts > 0);
  for (const auto& s : signals_of(false)) CHECK(s.direction != Direction::short_);
}
