#pragma once
// Inside the sweep (not a public header): a task's config overrides and a fold's training,
// the one rule each for the planner (sweep_plan.cpp) and the steps (sweep_steps.cpp).
#include <string>
#include <vector>

#include "model/journal_training.hpp"
#include "replay/sweep.hpp"

namespace trader::replay {

// --set for every task, then the task's grid values.
std::vector<std::string> overrides_of(const SweepOptions& o, const std::vector<std::string>& point);
// "strategy.model=\"PATH\"": a walk-forward task's model.
std::string model_override(const std::string& path);
// How a fold's model is trained for a configuration: the fold's training window and the
// config's interval, candle builder, fees and slippage, with the sweep's training options.
model::JournalTraining training_of(const SweepOptions& o, const NodeConfig& c, const Fold& f);

}  // namespace trader::replay
