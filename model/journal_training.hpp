#pragma once
// Training a model on a journal's candles: what `trader-tools train` runs, and what a
// walk-forward sweep runs for each fold, so a fold's model is byte for byte the one
// `train --since --until` gives on the same window.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "actors/candle_builder/candle_builder_core.hpp"
#include "base/result.hpp"
#include "model/trainer.hpp"

namespace trader::model {

// Twice the taker fee and the slippage, as a fraction: what a round trip costs, and what a
// label's forward return must beat.
double round_trip_cost(double taker_fee_bps, double slippage_bps);

// The label's horizon in candles: none unless it is a positive whole multiple of the interval.
std::optional<std::uint32_t> horizon_candles(std::uint32_t horizon_s, std::uint32_t interval_s);

struct JournalTraining {
  std::string journal_dir;
  std::uint32_t interval_s = 60;   // the strategy's candle interval
  std::vector<FeatureColumn> features;  // the model's columns; empty: every feature of interval_s
  CandleBuilderConfig candles;     // how candles are built from market data (an imported capture)
  std::uint32_t horizon_s = 900;   // the label's horizon, a multiple of the interval
  std::string horizon = "15m";     // the same, as given (for the metadata)
  double cost = 0;                 // round_trip_cost()
  // Samples from `since_ns` on, and only those whose label is known before `until_ns`:
  // nothing at or after it leaks in. Unset: the journal's whole span.
  std::optional<std::int64_t> since_ns, until_ns;
  TrainParams params;
};

struct TrainedModel {
  TrainResult result;
  std::string model_id;  // SHA-256 of the model file
  std::uint32_t horizon_candles = 0;
  std::size_t samples = 0, symbols = 0;
  std::int64_t first_ts_ms = 0, last_ts_ms = 0;  // of the samples
  std::uint64_t first_seq = 0, last_seq = 0;     // the journal's records read
  std::string chain_head;
  bool candles_built = false;  // built from market data rather than journaled
};

// An error names what is wrong: a horizon that is not a multiple of the interval, a
// journal that cannot be read, a window with too few samples.
Result<TrainedModel> train_on_journal(const JournalTraining& t, const std::function<void(int round)>& on_round = {});

// The model at `path` and its metadata at `path`.meta.json (features, label, the journal
// range and hash, the window, parameters, validation figures); directories made first.
Status write_model_files(const std::string& path, const JournalTraining& t, const TrainedModel& m);

// The feature names `path`.meta.json gives its model, in order; nullopt without that file.
Result<std::optional<std::vector<std::string>>> model_feature_names(const std::string& path);

// A model trained on other columns than a strategy reads would predict from the wrong
// numbers without a word (the count alone may match): when `path`.meta.json exists, its
// feature names must be `columns`' names, in order. No metadata file: nothing to check.
Status check_model_columns(const std::string& path, const std::vector<FeatureColumn>& columns);

}  // namespace trader::model
