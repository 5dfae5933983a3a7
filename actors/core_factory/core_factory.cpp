#include "actors/core_factory/core_factory.hpp"

#include <fmt/format.h>

#include "actors/candle_builder/candle_builder_core.hpp"
#include "actors/market_feed/market_feed_core.hpp"
#include "actors/order/order_core.hpp"
#include "actors/paper_exchange/paper_exchange_core.hpp"
#include "actors/portfolio/portfolio_core.hpp"
#include "actors/risk/risk_core.hpp"
#include "actors/strategy/rule_strategy_core.hpp"
#include "actors/strategy/xgb_strategy_core.hpp"
#include "model/journal_training.hpp"

namespace trader {

namespace {
// The model a strategy reads, checked against the columns it will be given: their count,
// and their names when the model's metadata is beside it.
Result<std::shared_ptr<const model::XgbModel>> load_model(const std::string& path, const XgbStrategyConfig& x) {
  const auto columns = model::columns_or_default(x.interval_s, x.features);
  if (auto st = model::check_model_columns(path, columns); !st) return tl::unexpected(st.error());
  return model::XgbModel::load(path, columns.size());
}
}  // namespace

Result<Cores> make_cores(const NodeConfig& c, std::string* model_id) {
  Cores cores;
  // The feed's decisions (ticks, gaps, refusals) are state like any core's: snapshotted,
  // recovered, and re-derived by replay.
  cores[Actor::market_feed] = std::make_unique<MarketFeedCore>(c.clock_tick_ms, c.feed_max_time_skew_ms, c.perpetuals);
  cores[Actor::candle_builder] = std::make_unique<CandleBuilderCore>(c.candles);
  if (!c.strategies.empty()) {
    // Several strategies in one actor; the session's model id names each: "id=model,...".
    std::vector<StrategyMember> members;
    std::string ids;
    for (const auto& e : c.strategies) {
      StrategyMember m{e.id, e.rule.name, e.rule.interval_s, e.rule.symbols, e.weight_ppm, nullptr};
      if (e.kind == StrategyKind::xgboost) {
        auto model = load_model(e.model_path, e.xgb);
        if (!model) return fail(fmt::format("strategies {}: model: {}", e.id, model.error().message));
        m.model_id = (*model)->id();
        m.view = std::make_unique<XgbView>(e.xgb, std::move(*model));
      } else {
        m.view = std::make_unique<RuleView>(e.rule);
      }
      ids += fmt::format("{}{}={}", ids.empty() ? "" : ",", e.id, m.model_id);
      members.push_back(std::move(m));
    }
    if (model_id) *model_id = ids;
    const auto& shared = c.strategy;
    cores[Actor::strategy] = std::make_unique<StrategyCore>(
        std::move(members), StrategyCommon{shared.reentry_cooldown_candles, shared.market, shared.entry,
                                           shared.sizing, c.combine});
  } else if (c.strategy_kind == StrategyKind::xgboost) {
    auto model = load_model(c.model_path, c.xgb);
    if (!model) return fail("strategy.model: " + model.error().message);
    if (model_id) *model_id = (*model)->id();
    cores[Actor::strategy] = std::make_unique<XgbStrategyCore>(c.xgb, std::move(*model), c.combine);
  } else {
    if (model_id) *model_id = c.strategy.name;
    cores[Actor::strategy] = std::make_unique<RuleStrategyCore>(c.strategy, c.combine);
  }
  if (c.regime) {
    std::vector<RegimeFilter> filters{c.strategy_regimes};
    if (!c.strategies.empty()) {
      filters.clear();
      for (const auto& e : c.strategies) filters.push_back(e.regimes);
    }
    static_cast<StrategyCore&>(*cores[Actor::strategy]).read_regimes(*c.regime, filters);
  }
  cores[Actor::risk] = std::make_unique<RiskCore>(c.risk);
  cores[Actor::portfolio] = std::make_unique<PortfolioCore>(c.portfolio);
  cores[Actor::order] = std::make_unique<OrderCore>(c.order);
  // Paper: the exchange is a core like the others. Testnet and live: the venue is outside
  // the node; its answers are external inputs in the journal, so replay has no core for it.
  if (c.order_mode == OrderMode::paper) cores[Actor::exchange] = std::make_unique<PaperExchangeCore>(c.paper);
  return cores;
}

}  // namespace trader
