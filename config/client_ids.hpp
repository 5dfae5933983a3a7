#pragma once
// Client order ids on a real account must be unique to their journal: the venue looks
// orders up by them. A new journal's config gets `order.client_id_prefix` plus 8 random hex
// digits and a dash, kept in the journal's meta and in the journaled config; a resumed
// journal keeps the prefix its meta holds. Paper configs are returned unchanged.
#include "base/result.hpp"
#include "config/node_config.hpp"

namespace trader {

Result<NodeConfig> with_journal_client_ids(const NodeConfig& config, bool resuming);

}  // namespace trader
