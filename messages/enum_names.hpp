#pragma once
// The name of an enum value as the journal's schema spells it, in snake_case: the same
// word `dump --json` prints ("partially_filled", "long"). Read from the Cap'n Proto schema,
// so a name exists in one place only.
#include <string_view>

#include "messages/message_types.hpp"

namespace trader {

std::string_view enum_name(Side v);
std::string_view enum_name(OrderType v);
std::string_view enum_name(TimeInForce v);
std::string_view enum_name(Direction v);
std::string_view enum_name(TradingState v);
std::string_view enum_name(OrderEventKind v);
std::string_view enum_name(Liquidity v);
std::string_view enum_name(OperatorCommandKind v);
std::string_view enum_name(FeedStatusKind v);
std::string_view enum_name(RiskLimit v);
std::string_view enum_name(TrendRegime v);
std::string_view enum_name(VolatilityRegime v);
std::string_view enum_name(MarkSource v);
std::string_view enum_name(FundingSource v);

}  // namespace trader
