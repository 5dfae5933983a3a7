#pragma once
// Builds the business cores of a node from its configuration. The live node and the
// replay engine use this same function, so both run identical cores.
#include <map>
#include <memory>

#include "actors/actor_core.hpp"
#include "config/node_config.hpp"

namespace trader::node {

// One core per business actor except market_feed (ingress), keyed by actor.
std::map<Actor, std::unique_ptr<ActorCore>> make_cores(const NodeConfig& config);

}  // namespace trader::node
