#include "model/trainer.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>
#include <xgboost/c_api.h>

#include "messages/fixed_point.hpp"

namespace trader::model {

std::vector<Sample> build_samples(const std::map<std::string, std::vector<Candle>>& candles,
                                  std::uint32_t base_interval_s, const std::vector<FeatureColumn>& columns,
                                  std::uint32_t horizon, double round_trip_cost) {
  std::vector<Sample> out;
  for (const auto& [symbol, series] : candles) {
    // What the strategy does, candle by candle; then each row is labelled by the base
    // candle `horizon` later.
    TimeframeFeatures features(base_interval_s, columns_or_default(base_interval_s, columns));
    std::vector<const Candle*> base;
    std::vector<std::optional<std::vector<float>>> rows;
    for (const auto& c : series) {
      auto row = features.add(c);
      if (c.interval_s != base_interval_s) continue;
      base.push_back(&c);
      rows.push_back(std::move(row));
    }
    for (std::size_t i = 0; i + horizon < base.size(); ++i) {
      if (!rows[i]) continue;
      const double now = static_cast<double>(base[i]->close);
      const double later = static_cast<double>(base[i + horizon]->close);
      Sample s;
      s.ts_ms = base[i]->close_time_ms;
      s.symbol = symbol;
      s.x = std::move(*rows[i]);
      s.forward_return = now > 0 ? later / now - 1.0 : 0.0;
      s.label = s.forward_return > round_trip_cost ? 1.0f : 0.0f;
      out.push_back(std::move(s));
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Sample& a, const Sample& b) { return a.ts_ms != b.ts_ms ? a.ts_ms < b.ts_ms : a.symbol < b.symbol; });
  return out;
}

double auc(const std::vector<float>& p, const std::vector<float>& y) {
  std::vector<std::size_t> idx(p.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return p[a] < p[b]; });
  double rank_sum_pos = 0;
  std::size_t pos = 0;
  for (std::size_t i = 0; i < idx.size();) {
    std::size_t j = i;
    while (j < idx.size() && p[idx[j]] == p[idx[i]]) ++j;
    const double avg_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;
    for (std::size_t k = i; k < j; ++k)
      if (y[idx[k]] > 0.5) {
        rank_sum_pos += avg_rank;
        ++pos;
      }
    i = j;
  }
  const std::size_t neg = p.size() - pos;
  if (pos == 0 || neg == 0) return 0.5;
  return (rank_sum_pos - static_cast<double>(pos) * (static_cast<double>(pos) + 1) / 2.0) /
         (static_cast<double>(pos) * static_cast<double>(neg));
}

namespace {

struct Handles {
  DMatrixHandle train = nullptr, valid = nullptr;
  BoosterHandle booster = nullptr;
  ~Handles() {
    if (booster) XGBoosterFree(booster);
    if (train) XGDMatrixFree(train);
    if (valid) XGDMatrixFree(valid);
  }
};

Result<DMatrixHandle> matrix(const std::vector<Sample>& rows, std::size_t begin, std::size_t end) {
  const std::size_t width = rows[begin].x.size();
  std::vector<float> data, labels;
  data.reserve((end - begin) * width);
  for (std::size_t i = begin; i < end; ++i) {
    data.insert(data.end(), rows[i].x.begin(), rows[i].x.end());
    labels.push_back(rows[i].label);
  }
  DMatrixHandle m = nullptr;
  if (XGDMatrixCreateFromMat(data.data(), end - begin, width, std::nanf(""), &m) != 0 ||
      XGDMatrixSetFloatInfo(m, "label", labels.data(), labels.size()) != 0)
    return fail(fmt::format("xgboost: {}", XGBGetLastError()));
  return m;
}

}  // namespace

Result<TrainResult> train(std::vector<Sample> samples, const TrainParams& params,
                          const std::function<void(int round)>& on_round) {
  const std::size_t n = samples.size();
  const auto n_valid = static_cast<std::size_t>(std::floor(static_cast<double>(n) * params.validation_fraction));
  const std::size_t n_train = n - n_valid;
  if (n_train < 50 || n_valid < 10)
    return fail(fmt::format("too few samples to train: {} ({} for training, {} for validation); use a longer journal "
                            "or a shorter horizon", n, n_train, n_valid));
  TrainResult result;
  result.train_rows = n_train;
  result.validation_rows = n_valid;
  double positives = 0;
  for (std::size_t i = 0; i < n_train; ++i) positives += samples[i].label;
  result.train_positive_rate = positives / static_cast<double>(n_train);

  Handles h;
  auto dtrain = matrix(samples, 0, n_train);
  if (!dtrain) return tl::unexpected(dtrain.error());
  h.train = *dtrain;
  auto dvalid = matrix(samples, n_train, n);
  if (!dvalid) return tl::unexpected(dvalid.error());
  h.valid = *dvalid;
  if (XGBoosterCreate(&h.train, 1, &h.booster) != 0) return fail(fmt::format("xgboost: {}", XGBGetLastError()));
  const std::pair<std::string, std::string> settings[] = {
      {"objective", "binary:logistic"},
      {"eval_metric", "logloss"},
      {"tree_method", "hist"},
      {"nthread", "1"},
      {"seed", std::to_string(params.seed)},
      {"max_depth", std::to_string(params.max_depth)},
      {"eta", fmt::format("{}", params.eta)},
      {"subsample", fmt::format("{}", params.subsample)},
      {"colsample_bytree", fmt::format("{}", params.colsample_bytree)},
      {"min_child_weight", fmt::format("{}", params.min_child_weight)},
      {"base_score", "0.5"},
  };
  for (const auto& [k, v] : settings)
    if (XGBoosterSetParam(h.booster, k.c_str(), v.c_str()) != 0)
      return fail(fmt::format("xgboost parameter {}={}: {}", k, v, XGBGetLastError()));
  for (int i = 0; i < params.rounds; ++i) {
    if (XGBoosterUpdateOneIter(h.booster, i, h.train) != 0)
      return fail(fmt::format("xgboost training round {}: {}", i, XGBGetLastError()));
    if (on_round) on_round(i + 1);
  }

  bst_ulong len = 0;
  const char* buf = nullptr;
  if (XGBoosterSaveModelToBuffer(h.booster, R"({"format":"json"})", &len, &buf) != 0)
    return fail(fmt::format("xgboost save: {}", XGBGetLastError()));
  result.model.assign(reinterpret_cast<const std::uint8_t*>(buf), reinterpret_cast<const std::uint8_t*>(buf) + len);

  bst_ulong out_len = 0;
  const float* preds = nullptr;
  if (XGBoosterPredict(h.booster, h.valid, 0, 0, 0, &out_len, &preds) != 0 || out_len != n_valid)
    return fail(fmt::format("xgboost predict: {}", XGBGetLastError()));
  result.validation_predictions.assign(preds, preds + out_len);
  result.validation.assign(samples.begin() + static_cast<std::ptrdiff_t>(n_train), samples.end());

  std::vector<float> labels;
  double correct = 0, loss = 0;
  for (std::size_t i = 0; i < n_valid; ++i) {
    const float y = result.validation[i].label;
    const double p = std::clamp(static_cast<double>(preds[i]), 1e-15, 1 - 1e-15);
    labels.push_back(y);
    correct += ((p >= 0.5) == (y > 0.5)) ? 1 : 0;
    loss -= y > 0.5 ? std::log(p) : std::log(1 - p);
  }
  result.accuracy = correct / static_cast<double>(n_valid);
  result.log_loss = loss / static_cast<double>(n_valid);
  result.auc = auc(result.validation_predictions, labels);
  return result;
}

}  // namespace trader::model
