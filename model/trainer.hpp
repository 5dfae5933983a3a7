#pragma once
// Training data and training. A sample is a candle with its feature row (the columns of
// timeframe_features.hpp, every feature of features.hpp by default); its
// label is 1 when the close `horizon` candles later is above this close by more than the
// round-trip cost (fees + slippage), else 0. Samples are split in time order: the first
// part trains, the last `validation_fraction` validates. Training goes through the
// XGBoost C API with one thread and a fixed seed, so the same data and parameters give a
// byte-identical model.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "model/timeframe_features.hpp"

namespace trader::model {

struct Sample {
  std::int64_t ts_ms = 0;  // the candle's close time
  std::string symbol;
  std::vector<float> x;  // one value per column
  float label = 0;
  double forward_return = 0;
};

// `candles`: per symbol, closed candles in journal order: those of the base interval, and
// of every other interval the columns read (empty columns: every feature of the base).
// The label's horizon counts candles of the base interval.
std::vector<Sample> build_samples(const std::map<std::string, std::vector<Candle>>& candles,
                                  std::uint32_t base_interval_s, const std::vector<FeatureColumn>& columns,
                                  std::uint32_t horizon, double round_trip_cost);

struct TrainParams {
  int rounds = 150;
  int max_depth = 4;
  double eta = 0.05;
  double subsample = 0.8;
  double colsample_bytree = 0.8;
  double min_child_weight = 5;
  std::uint64_t seed = 7;
  double validation_fraction = 0.2;
};

struct TrainResult {
  std::vector<std::uint8_t> model;      // XGBoost JSON model
  std::size_t train_rows = 0, validation_rows = 0;
  double train_positive_rate = 0;
  double accuracy = 0, auc = 0, log_loss = 0;  // on the validation rows
  std::vector<float> validation_predictions;   // from the trained booster, DMatrix path
  std::vector<Sample> validation;              // the rows they belong to
};

// `on_round` (may be empty) hears of each boosting round done, for a progress line.
Result<TrainResult> train(std::vector<Sample> samples, const TrainParams& params,
                          const std::function<void(int round)>& on_round = {});

// Area under the ROC curve (ties share ranks); 0.5 when one class is absent.
double auc(const std::vector<float>& predictions, const std::vector<float>& labels);

}  // namespace trader::model
