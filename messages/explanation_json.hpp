#pragma once
// What decisions were computed from, as JSON for tools: `explain --json` and the SQL
// history print the same text.
//  - values_json: a strategy's values as one object, {"spread":7.97e-05,...}, each the
//    shortest text of the exact double (null for NaN or infinity, which JSON lacks);
//  - checks_json: a risk decision's checks as a list of {"limit","unit","value","bound",
//    "headroom","floor","within"}, amounts, quantities and prices as decimal strings (as
//    every fixed-point field of `dump --json`), ppm and counts as integers;
//  - votes_json: an intent's votes as a list of {"strategy_id","direction","confidence_ppm"}.
#include <string>
#include <vector>

#include "messages/message_types.hpp"

namespace trader {

std::string values_json(const std::vector<SignalValue>& values);
std::string checks_json(const std::vector<LimitCheck>& checks);
std::string votes_json(const std::vector<StrategyVote>& votes);

}  // namespace trader
