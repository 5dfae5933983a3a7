#include "actors/routing.hpp"

#include <array>

namespace trader {
namespace {

constexpr std::array kMarketTrades{Actor::candle_builder, Actor::exchange};
constexpr std::array kCandle{Actor::portfolio, Actor::risk, Actor::strategy};
constexpr std::array kIntent{Actor::risk};
constexpr std::array kDecision{Actor::order, Actor::strategy};
constexpr std::array kRiskState{Actor::strategy};
constexpr std::array kOrderRequest{Actor::exchange};
constexpr std::array kOrderEvent{Actor::order, Actor::portfolio, Actor::risk, Actor::strategy};
constexpr std::array kPortfolio{Actor::risk, Actor::strategy};
constexpr std::array kClock{Actor::candle_builder, Actor::risk, Actor::exchange, Actor::order};  // order: limit expiry
constexpr std::array kOperator{Actor::risk, Actor::order};
constexpr std::array kFeedStatus{Actor::risk};
constexpr std::array kBalances{Actor::portfolio};
constexpr std::array kRegime{Actor::risk};
// Perpetuals: the venue (paper: liquidation) and the portfolio (margin, PnL) read marks and
// funding; risk reads marks (distance to liquidation).
constexpr std::array kMark{Actor::exchange, Actor::portfolio, Actor::risk};
constexpr std::array kFunding{Actor::exchange, Actor::portfolio};
constexpr std::array kLiquidation{Actor::portfolio, Actor::risk, Actor::order, Actor::strategy};

}  // namespace

std::span<const Actor> subscribers(std::uint16_t type_id) {
  switch (type_id) {
    case Trade::kTypeId:
    case AggTrade::kTypeId:
    case Kline::kTypeId: return kMarketTrades;
    case Candle::kTypeId: return kCandle;
    case OrderIntent::kTypeId: return kIntent;
    case RiskDecision::kTypeId: return kDecision;
    case RiskState::kTypeId: return kRiskState;
    case OrderRequest::kTypeId: return kOrderRequest;
    case OrderEvent::kTypeId: return kOrderEvent;
    case PortfolioState::kTypeId: return kPortfolio;
    case ClockTick::kTypeId: return kClock;
    case OperatorCommand::kTypeId: return kOperator;
    case FeedStatus::kTypeId: return kFeedStatus;
    case AccountBalances::kTypeId: return kBalances;
    case Regime::kTypeId: return kRegime;
    case MarkPrice::kTypeId: return kMark;
    case Funding::kTypeId: return kFunding;
    case Liquidation::kTypeId: return kLiquidation;
    default: return {};  // recorded for audit and what-if, read by no actor yet
  }
}

std::span<const Actor> recipients(std::uint16_t type_id, const Actor& destination) {
  if (destination == Actor::market_feed) return {};  // quarantined by the feed: journaled, delivered to no one
  if (destination != Actor::none) return {&destination, 1};
  return subscribers(type_id);
}

}  // namespace trader
