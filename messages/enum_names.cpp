#include "messages/enum_names.hpp"

#include <string>
#include <vector>

#include <capnp/schema.h>

#include "messages/message_json.hpp"
#include "messages/schema/market.capnp.h"
#include "messages/schema/system.capnp.h"
#include "messages/schema/trading.capnp.h"

namespace trader {
namespace {

// The C++ enums carry the schema's ordinals (the codec casts between them).
template <class SchemaEnum, class E>
std::string_view from_schema(E v) {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (auto e : capnp::Schema::from<SchemaEnum>().getEnumerants())
      out.push_back(snake_case(e.getProto().getName().cStr()));
    return out;
  }();
  const auto i = static_cast<std::size_t>(v);
  return i < names.size() ? std::string_view(names[i]) : std::string_view("unknown");
}

}  // namespace

std::string_view enum_name(Side v) { return from_schema<schema::Side>(v); }
std::string_view enum_name(OrderType v) { return from_schema<schema::OrderType>(v); }
std::string_view enum_name(TimeInForce v) { return from_schema<schema::TimeInForce>(v); }
std::string_view enum_name(Direction v) { return from_schema<schema::Direction>(v); }
std::string_view enum_name(TradingState v) { return from_schema<schema::TradingState>(v); }
std::string_view enum_name(OrderEventKind v) { return from_schema<schema::OrderEventKind>(v); }
std::string_view enum_name(Liquidity v) { return from_schema<schema::Liquidity>(v); }
std::string_view enum_name(OperatorCommandKind v) { return from_schema<schema::OperatorCommandKind>(v); }
std::string_view enum_name(FeedStatusKind v) { return from_schema<schema::FeedStatusKind>(v); }
std::string_view enum_name(RiskLimit v) { return from_schema<schema::RiskLimit>(v); }
std::string_view enum_name(TrendRegime v) { return from_schema<schema::TrendRegime>(v); }
std::string_view enum_name(VolatilityRegime v) { return from_schema<schema::VolatilityRegime>(v); }
std::string_view enum_name(MarkSource v) { return from_schema<schema::MarkSource>(v); }
std::string_view enum_name(FundingSource v) { return from_schema<schema::FundingSource>(v); }

}  // namespace trader
