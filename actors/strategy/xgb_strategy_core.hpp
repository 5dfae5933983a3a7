#pragma once
// strategy kind "xgboost": the view of a candle comes from a trained model (model/):
//   p = the model's probability that the close `horizon` candles ahead beats the
//       round-trip cost, from the candle features of model/features.hpp: every one of its
//       own interval, or the (interval, feature) columns `features` names
//       (model/timeframe_features.hpp);
//   long when p >= entry_probability, flat when p < exit_probability, else keep;
//   confidence = p; position size linear in p, from min_fraction of equity at
//   entry_probability to max_fraction at full_probability and above (then risk limits).
// The model is loaded (and its feature count checked) before the core exists; the core
// only predicts, single-threaded.
#include <map>
#include <memory>
#include <string>

#include "actors/strategy/strategy_core.hpp"
#include "model/timeframe_features.hpp"
#include "model/xgb_model.hpp"

namespace trader {

struct XgbStrategyConfig {
  std::uint32_t interval_s = 60;
  std::vector<std::string> symbols;
  std::vector<model::FeatureColumn> features;  // empty: every feature of interval_s
  double entry_probability = 0.55;
  double exit_probability = 0.50;
  double full_probability = 0.70;
  std::uint32_t min_fraction_ppm = 50'000;
  std::uint32_t max_fraction_ppm = 250'000;
  std::uint32_t reentry_cooldown_candles = 10;
  // Short when p <= 1 - entry_probability, covered when p > 1 - exit_probability (traded
  // on perpetuals only).
  bool allow_short = false;
  MarketRuleBook market;
  EntryOrder entry;
  SizingConfig sizing;
};

// The model's view of each symbol.
class XgbView final : public StrategyView {
 public:
  XgbView(XgbStrategyConfig config, std::shared_ptr<const model::XgbModel> model);
  const model::XgbModel& model() const { return *model_; }
  Result<std::optional<View>> evaluate(const Candle& c, Direction current) override;
  void observe(const Candle& c) override;
  void save(StateWriter& w) const override;
  Status load(StateReader& r) override;
  std::uint32_t warmup_candles() const override;

 private:
  XgbStrategyConfig config_;
  std::shared_ptr<const model::XgbModel> model_;
  std::vector<model::FeatureColumn> columns_;
  std::map<std::string, model::TimeframeFeatures> features_;
  model::TimeframeFeatures& features_of(const std::string& symbol);
};

// A strategy actor core running one model alone (a [strategy] config of kind "xgboost").
class XgbStrategyCore final : public StrategyCore {
 public:
  XgbStrategyCore(const XgbStrategyConfig& config, std::shared_ptr<const model::XgbModel> model,
                  const CombineConfig& combine = {});
};

}  // namespace trader
