#include "messages/type_registry.hpp"

#include <array>

#include "messages/message_types.hpp"
#include "messages/schema/market.capnp.h"
#include "messages/schema/system.capnp.h"
#include "messages/schema/trading.capnp.h"

namespace trader {
namespace {

template <class Value, class Schema>
TypeInfo info(std::string_view name) {
  return TypeInfo{Value::kTypeId, name, 1, capnp::Schema::from<Schema>()};
}

const std::array<TypeInfo, 23>& registry() {
  namespace s = schema;
  static const std::array<TypeInfo, 23> types = {
      info<Trade, s::Trade>("trade"),
      info<AggTrade, s::AggTrade>("agg_trade"),
      info<BookTicker, s::BookTicker>("book_ticker"),
      info<DepthUpdate, s::DepthUpdate>("depth_update"),
      info<DepthSnapshot, s::DepthSnapshot>("depth_snapshot"),
      info<Kline, s::Kline>("kline"),
      info<Candle, s::Candle>("candle"),
      info<Signal, s::Signal>("signal"),
      info<OrderIntent, s::OrderIntent>("order_intent"),
      info<RiskDecision, s::RiskDecision>("risk_decision"),
      info<RiskState, s::RiskState>("risk_state"),
      info<OrderRequest, s::OrderRequest>("order_request"),
      info<OrderEvent, s::OrderEvent>("order_event"),
      info<PortfolioState, s::PortfolioState>("portfolio_state"),
      info<ClockTick, s::ClockTick>("clock_tick"),
      info<OperatorCommand, s::OperatorCommand>("operator_command"),
      info<FeedStatus, s::FeedStatus>("feed_status"),
      info<ErrorReport, s::Error>("error"),
      info<AccountBalances, s::AccountBalances>("account_balances"),
      info<Regime, s::Regime>("regime"),
      info<MarkPrice, s::MarkPrice>("mark_price"),
      info<Funding, s::Funding>("funding"),
      info<Liquidation, s::Liquidation>("liquidation"),
  };
  static_assert(std::variant_size_v<Message> == 23, "register every Message alternative");
  return types;
}

}  // namespace

std::span<const TypeInfo> all_types() { return registry(); }

const TypeInfo* find_type(std::uint16_t id) {
  for (const auto& t : registry())
    if (t.id == id) return &t;
  return nullptr;
}

const TypeInfo* find_type(std::string_view name) {
  for (const auto& t : registry())
    if (t.name == name) return &t;
  return nullptr;
}

}  // namespace trader
