#include <doctest/doctest.h>

#include <cmath>
#include <fstream>

#include <xgboost/c_api.h>

#include "journal/journal.hpp"
#include "model/features.hpp"
#include "model/journal_candles.hpp"
#include "model/trainer.hpp"
#include "model/xgb_model.hpp"
#include "test_support.hpp"
#include "tools/trader_tools/capture_import.hpp"

using namespace trader;

namespace {

// Samples from the bundled 7 days of real klines, candles built by the node's builder.
std::vector<model::Sample> kline_samples(std::uint32_t horizon) {
  test::TempDir dir;
  {
    auto w = journal::Writer::open(dir.path());
    REQUIRE(w.has_value());
    ImportOptions o;
    o.files = {std::string(TRADER_TEST_DATA_DIR) + "/btcusdc_kline1m_20230301-07.gz"};
    REQUIRE(import_captures(**w, o).has_value());
  }
  auto candles = model::journal_candles(dir.path(), 60, CandleBuilderConfig{{60}, false, 2000});
  REQUIRE_MESSAGE(candles.has_value(), (candles ? "" : candles.error().message));
  CHECK(candles->built);
  REQUIRE(candles->by_symbol.count("BTCUSDC"));
  CHECK(candles->by_symbol.at("BTCUSDC").size() == 10080);
  return model::build_samples(candles->by_symbol, horizon, 0.0024);
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
