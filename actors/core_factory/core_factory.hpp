#pragma once
// Builds the business cores of a node from its configuration. The live node and the
// replay engine use this same function, so both run identical cores.
#include <functional>
#include <string>

#include "actors/actor_core.hpp"
#include "base/result.hpp"
#include "config/node_config.hpp"

namespace trader {

// One core per business actor except market_feed (ingress), keyed by actor. For the
// xgboost strategy it loads the model (checking its feature count); `model_id` receives
// its SHA-256 (or the rule strategy's name). A bad model file is an error here, before
// anything runs.
Result<Cores> make_cores(const NodeConfig& config, std::string* model_id = nullptr);

// Builds a run's cores: make_cores, unless a caller (a test, a what-if of another build's
// cores) hands the node or replay its own.
using CoreFactory = std::function<Result<Cores>(const NodeConfig&, std::string* model_id)>;

}  // namespace trader
