#include "messages/message_codec.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include <capnp/any.h>
#include <capnp/message.h>
#include <capnp/serialize-packed.h>
#include <capnp/serialize.h>
#include <kj/exception.h>
#include <kj/io.h>

#include "messages/flat_market.hpp"
#include "messages/schema/market.capnp.h"
#include "messages/schema/system.capnp.h"
#include "messages/schema/trading.capnp.h"

namespace trader {
namespace s = schema;
namespace {

std::string text(capnp::Text::Reader t) { return std::string(t.cStr(), t.size()); }

// Enums share numbering between the C++ and capnp definitions by construction.
template <class To, class From>
To cast_enum(From v) { return static_cast<To>(static_cast<std::uint16_t>(v)); }

// ---- levels ------------------------------------------------------------------------
void put_levels(capnp::List<s::PriceLevel>::Builder out, const std::vector<PriceLevel>& in) {
  for (unsigned i = 0; i < in.size(); ++i) {
    out[i].setPrice(in[i].price);
    out[i].setQty(in[i].qty);
  }
}
std::vector<PriceLevel> get_levels(capnp::List<s::PriceLevel>::Reader in) {
  std::vector<PriceLevel> out;
  out.reserve(in.size());
  for (auto l : in) out.push_back({l.getPrice(), l.getQty()});
  return out;
}

// ---- a strategy's values -------------------------------------------------------------
template <class Builder>
void put_values(Builder o, const std::vector<SignalValue>& in) {
  if (in.empty()) return;  // none stays a null pointer, as in a record older than the field
  auto values = o.initValues(static_cast<unsigned>(in.size()));
  for (unsigned i = 0; i < in.size(); ++i) {
    values[i].setName(in[i].name);
    values[i].setValue(in[i].value);
  }
}
std::vector<SignalValue> get_values(capnp::List<s::SignalValue>::Reader in) {
  std::vector<SignalValue> out;
  out.reserve(in.size());
  for (auto v : in) out.push_back({text(v.getName()), v.getValue()});
  return out;
}

// ---- encode ------------------------------------------------------------------------
void enc(const Trade& m, capnp::AnyPointer::Builder b) {
  auto o = b.initAs<s::Trade>();
  o.setSymbol(m.symbol); o.setPrice(m.price); o.setQty(m.qty); o.setTradeId(m.trade_id);
  o.setExchangeTsMs(m.exchange_ts_ms); o.setTradeTsMs(m.trade_ts_ms); o.setBuyerMaker(m.buyer_maker);
}
void enc(const AggTrade& m, capnp::AnyPointer::Builder b) {
  auto o = b.initAs<s::AggTrade>();
  o.setSymbol(m.symbol); o.setPrice(m.price); o.setQty(m.qty); o.setAggTradeId(m.agg_trade_id);
  o.setFirstTradeId(m.first_trade_id); o.setLastTradeId(m.last_trade_id);
  o.setExchangeTsMs(m.exchange_ts_ms); o.setTradeTsMs(m.trade_ts_ms); o.setBuyerMaker(m.buyer_maker);
}
void enc(const BookTicker& m, capnp::AnyPointer::Builder b) {
  auto o = b.initAs<s::BookTicker>();
  o.setSymbol(m.symbol); o.setUpdateId(m.update_id); o.setBidPrice(m.bid_price); o.setBidQty(m.bid_qty);
  o.setAskPrice(m.ask_price); o.setAskQty(m.ask_qty); o.setExchangeTsMs(m.exchange_ts_ms);
}
void enc(const DepthUpdate& m, capnp::AnyPointer::Builder b) {
  auto o = b.initAs<s::DepthUpdate>();
  o.setSymbol(m.symbol); o.setFirstUpdateId(m.first_update_id); o.setFinalUpdateId(m.final_update_id);
  o.setExchangeTsMs(m.exchange_ts_ms);
  put_levels(o.initBids(static_cast<unsigned>(m.bids.size())), m.bids);
  put_levels(o.initAsks(static_cast<unsigned>(m.asks.size())), m.asks);
}
void enc(const DepthSnapshot& m, capnp::AnyPointer::Builder b) {
  auto o = b.initAs<s::DepthSnapshot>();
  o.setSymbol(m.symbol); o.setLastUpdateId(m.last_update_id);
  put_levels(o.initBids(static_cast<unsigned>(m.bids.size())), m.bids);
  put_levels(o.initAsks(static_cast<unsigned>(m.asks.size())), m.asks);
}
void enc(const Kline& m, capnp::AnyPointer::Builder b) {
  auto o = b.initAs<s::Kline>();
  o.setSymbol(m.symbol); o.setIntervalS(m.interval_s); o.setOpenTimeMs(m.open_time_ms);
  o.setCloseTimeMs(m.close_time_ms); o.setOpen(m.open); o.setHigh(m.high); o.setLow(m.low);
  o.setClose(m.close); o.setVolume(m.volume); o.setQuoteVolume(m.quote_volume); o.setTrades(m.trades);
  o.setTakerBuyVolume(m.taker_buy_volume); o.setTakerBuyQuoteVolume(m.taker_buy_quote_volume);
  o.setFirstTradeId(m.first_trade_id); o.setLastTradeId(m.last_trade_id); o.setClosed(m.closed);
  o.setExchangeTsMs(m.exchange_ts_ms); o.setHistory(m.history);
}
void enc(const Candle& m, capnp::AnyPointer::Builder b) {
  auto o = b.initAs<s::Candle>();
  o.setSymbol(m.symbol); o.setIntervalS(m.interval_s); o.setOpenTimeMs(m.open_time_ms);
  o.setCloseTimeMs(m.close_time_ms); o.setOpen(m.open); o.setHigh(m.high); o.setLow(m.low);
  o.setClose(m.close); o.setVolume(m.volume); o.setQuoteVolume(m.quote_volume); o.setTrades(m.trades);
  o.setVwap(m.vwap); o.setFromExchange(m.from_exchange); o.setHistory(m.history);
}
void enc(const Regime& m, capnp::AnyPointer::Builder b) {
  auto o = b.initAs<s::Regime>();
  o.setSymbol(m.symbol); o.setIntervalS(m.interval_s); o.setTsMs(m.ts_ms);
  o.setTrend(cast_enum<s::TrendRegime>(m.trend)); o.setVolatility(cast_enum<s::VolatilityRegime>(m.volatility));
  o.setTrendTCenti(m.trend_t_centi); o.setVolRankPpm(m.vol_rank_ppm);
}
void enc(const MarkPrice& m, capnp::AnyPointer::Builder b) {
  auto o = b.initAs<s::MarkPrice>();
  o.setSymbol(m.symbol); o.setPrice(m.price); o.setSource(cast_enum<s::MarkSource>(m.source));
  o.setExchangeTsMs(m.exchange_ts_ms); o.setFundingRate(m.funding_rate); o.setNextFundingTimeMs(m.next_funding_time_ms);
}
void enc(const Funding& m, capnp::AnyPointer::Builder b) {
  auto o = b.initAs<s::Funding>();
  o.setSymbol(m.symbol); o.setRate(m.rate); o.setFundingTimeMs(m.funding_time_ms); o.setMarkPrice(m.mark_price);
  o.setSource(cast_enum<s::FundingSource>(m.source));
}
void enc(const Liquidation& m, capnp::AnyPointer::Builder b) {
  auto o = b.initAs<s::Liquidation>();
  o.setSymbol(m.symbol); o.setQty(m.qty); o.setEntryPrice(m.entry_price); o.setLeverage(m.leverage);
  o.setMarkPrice(m.mark_price); o.setMargin(m.margin); o.setMarginBalance(m.margin_balance);
  o.setMaintenance(m.maintenance); o.setMaintenanceRate(m.maintenance_rate); o.setLiquidationPrice(m.liquidation_price);
  o.setBankruptcyPrice(m.bankruptcy_price); o.setLoss(m.loss); o.setTsMs(m.ts_ms);
  o.setCross(m.cross);
}
void enc(const Signal& m, capnp::AnyPointer::Builder b) {
  auto o = b.initAs<s::Signal>();
  o.setSymbol(m.symbol); o.setTsMs(m.ts_ms); o.setDirection(cast_enum<s::Direction>(m.direction));
  o.setConfidencePpm(m.confidence_ppm); o.setModelId(m.model_id); o.setReason(m.reason);
  o.setCandleOpenTimeMs(m.candle_open_time_ms); o.setIntervalS(m.interval_s);
  put_values(o, m.values);
  if (!m.strategy_id.empty()) o.setStrategyId(m.strategy_id);  // none stays null, as in older records
}
void enc(const OrderIntent& m, capnp::AnyPointer::Builder b) {
  auto o = b.initAs<s::OrderIntent>();
  o.setIntentId(m.intent_id); o.setSymbol(m.symbol); o.setSide(cast_enum<s::Side>(m.side));
  o.setType(cast_enum<s::OrderType>(m.type)); o.setQty(m.qty); o.setLimitPrice(m.limit_price);
  o.setIsExit(m.is_exit); o.setReason(m.reason); o.setSignalSeq(m.signal_seq); o.setTsMs(m.ts_ms);
  o.setConfidencePpm(m.confidence_ppm);
  put_values(o, m.values);
  if (!m.votes.empty()) {
    auto votes = o.initVotes(static_cast<unsigned>(m.votes.size()));
    for (unsigned i = 0; i < m.votes.size(); ++i) {
      votes[i].setStrategyId(m.votes[i].strategy_id);
      votes[i].setDirection(cast_enum<s::Direction>(m.votes[i].direction));
      votes[i].setConfidencePpm(m.votes[i].confidence_ppm);
    }
  }
}
void enc(const RiskDecision& m, capnp::AnyPointer::Builder b) {
  auto o = b.initAs<s::RiskDecision>();
  o.setIntentId(m.intent_id); o.setApproved(m.approved); o.setApprovedQty(m.approved_qty);
  o.setReasonCode(m.reason_code); o.setReason(m.reason); o.setState(cast_enum<s::TradingState>(m.state));
  o.setTsMs(m.ts_ms); o.setSymbol(m.symbol); o.setSide(cast_enum<s::Side>(m.side));
  o.setType(cast_enum<s::OrderType>(m.type)); o.setLimitPrice(m.limit_price); o.setIsExit(m.is_exit);
  if (!m.checks.empty()) {
    auto checks = o.initChecks(static_cast<unsigned>(m.checks.size()));
    for (unsigned i = 0; i < m.checks.size(); ++i) {
      checks[i].setLimit(cast_enum<s::RiskLimit>(m.checks[i].limit));
      checks[i].setValue(m.checks[i].value);
      checks[i].setBound(m.checks[i].bound);
      checks[i].setWithin(m.checks[i].within);
    }
  }
}
void enc(const RiskState& m, capnp::AnyPointer::Builder b) {
  auto o = b.initAs<s::RiskState>();
  o.setTsMs(m.ts_ms); o.setState(cast_enum<s::TradingState>(m.state)); o.setReason(m.reason);
  o.setDailyPnl(m.daily_pnl); o.setDrawdownPpm(m.drawdown_ppm); o.setOrdersLastMinute(m.orders_last_minute);
  o.setTradesToday(m.trades_today); o.setOpenPositions(m.open_positions);
}
void enc(const OrderRequest& m, capnp::AnyPointer::Builder b) {
  auto o = b.initAs<s::OrderRequest>();
  o.setClientOrderId(m.client_order_id); o.setIntentId(m.intent_id); o.setSymbol(m.symbol);
  o.setSide(cast_enum<s::Side>(m.side)); o.setType(cast_enum<s::OrderType>(m.type)); o.setQty(m.qty);
  o.setLimitPrice(m.limit_price); o.setTimeInForce(cast_enum<s::TimeInForce>(m.time_in_force));
  o.setTsMs(m.ts_ms); o.setCancel(m.cancel); o.setReduceOnly(m.reduce_only);
}
void enc(const OrderEvent& m, capnp::AnyPointer::Builder b) {
  auto o = b.initAs<s::OrderEvent>();
  o.setClientOrderId(m.client_order_id); o.setExchangeOrderId(m.exchange_order_id); o.setSymbol(m.symbol);
  o.setSide(cast_enum<s::Side>(m.side)); o.setKind(cast_enum<s::OrderEventKind>(m.kind));
  o.setFillQty(m.fill_qty); o.setFillPrice(m.fill_price); o.setCumQty(m.cum_qty); o.setOrderQty(m.order_qty);
  o.setFee(m.fee); o.setFeeAsset(m.fee_asset); o.setLiquidity(cast_enum<s::Liquidity>(m.liquidity));
  o.setTradeId(m.trade_id); o.setReason(m.reason); o.setTsMs(m.ts_ms); o.setIntentId(m.intent_id);
}
void enc(const PortfolioState& m, capnp::AnyPointer::Builder b) {
  auto o = b.initAs<s::PortfolioState>();
  o.setTsMs(m.ts_ms); o.setQuoteAsset(m.quote_asset); o.setCash(m.cash); o.setEquity(m.equity);
  o.setRealizedPnl(m.realized_pnl); o.setUnrealizedPnl(m.unrealized_pnl); o.setFees(m.fees);
  o.setPeakEquity(m.peak_equity); o.setDrawdownPpm(m.drawdown_ppm); o.setMaxDrawdownPpm(m.max_drawdown_ppm);
  o.setStartingCash(m.starting_cash); o.setFills(m.fills); o.setRoundTrips(m.round_trips);
  o.setWinningRoundTrips(m.winning_round_trips); o.setFunding(m.funding);
  auto ps = o.initPositions(static_cast<unsigned>(m.positions.size()));
  for (unsigned i = 0; i < m.positions.size(); ++i) {
    const auto& p = m.positions[i];
    ps[i].setSymbol(p.symbol); ps[i].setQty(p.qty); ps[i].setAvgEntryPrice(p.avg_entry_price);
    ps[i].setLastPrice(p.last_price); ps[i].setUnrealizedPnl(p.unrealized_pnl); ps[i].setRealizedPnl(p.realized_pnl);
    ps[i].setMargin(p.margin); ps[i].setLiquidationPrice(p.liquidation_price); ps[i].setLeverage(p.leverage);
  }
}
void enc(const ClockTick& m, capnp::AnyPointer::Builder b) { b.initAs<s::ClockTick>().setTsNs(m.ts_ns); }
void enc(const OperatorCommand& m, capnp::AnyPointer::Builder b) {
  auto o = b.initAs<s::OperatorCommand>();
  o.setKind(cast_enum<s::OperatorCommandKind>(m.kind)); o.setIssuedBy(m.issued_by); o.setReason(m.reason);
  o.setTsNs(m.ts_ns);
}
void enc(const FeedStatus& m, capnp::AnyPointer::Builder b) {
  auto o = b.initAs<s::FeedStatus>();
  o.setKind(cast_enum<s::FeedStatusKind>(m.kind)); o.setSymbol(m.symbol); o.setStream(m.stream);
  o.setExpectedId(m.expected_id); o.setReceivedId(m.received_id); o.setDetail(m.detail); o.setTsNs(m.ts_ns);
}
void enc(const ErrorReport& m, capnp::AnyPointer::Builder b) {
  auto o = b.initAs<s::Error>();
  o.setCode(m.code); o.setMessage(m.message); o.setContext(m.context); o.setRefSeq(m.ref_seq); o.setTsNs(m.ts_ns);
}
void enc(const AccountBalances& m, capnp::AnyPointer::Builder b) {
  auto o = b.initAs<s::AccountBalances>();
  o.setVenue(m.venue); o.setTsMs(m.ts_ms); o.setQuoteAsset(m.quote_asset);
  auto bs = o.initBalances(static_cast<unsigned>(m.balances.size()));
  for (unsigned i = 0; i < m.balances.size(); ++i) {
    const auto& a = m.balances[i];
    bs[i].setAsset(a.asset); bs[i].setSymbol(a.symbol); bs[i].setFree(a.free); bs[i].setLocked(a.locked);
    bs[i].setPrice(a.price);
  }
}

// ---- decode ------------------------------------------------------------------------
Message dec(Trade*, capnp::AnyPointer::Reader b) {
  auto i = b.getAs<s::Trade>();
  return Trade{text(i.getSymbol()), i.getPrice(), i.getQty(), i.getTradeId(), i.getExchangeTsMs(),
               i.getTradeTsMs(), i.getBuyerMaker()};
}
Message dec(AggTrade*, capnp::AnyPointer::Reader b) {
  auto i = b.getAs<s::AggTrade>();
  return AggTrade{text(i.getSymbol()), i.getPrice(), i.getQty(), i.getAggTradeId(), i.getFirstTradeId(),
                  i.getLastTradeId(), i.getExchangeTsMs(), i.getTradeTsMs(), i.getBuyerMaker()};
}
Message dec(BookTicker*, capnp::AnyPointer::Reader b) {
  auto i = b.getAs<s::BookTicker>();
  return BookTicker{text(i.getSymbol()), i.getUpdateId(), i.getBidPrice(), i.getBidQty(), i.getAskPrice(),
                    i.getAskQty(), i.getExchangeTsMs()};
}
Message dec(DepthUpdate*, capnp::AnyPointer::Reader b) {
  auto i = b.getAs<s::DepthUpdate>();
  return DepthUpdate{text(i.getSymbol()), i.getFirstUpdateId(), i.getFinalUpdateId(), i.getExchangeTsMs(),
                     get_levels(i.getBids()), get_levels(i.getAsks())};
}
Message dec(DepthSnapshot*, capnp::AnyPointer::Reader b) {
  auto i = b.getAs<s::DepthSnapshot>();
  return DepthSnapshot{text(i.getSymbol()), i.getLastUpdateId(), get_levels(i.getBids()), get_levels(i.getAsks())};
}
Message dec(Kline*, capnp::AnyPointer::Reader b) {
  auto i = b.getAs<s::Kline>();
  return Kline{text(i.getSymbol()), i.getIntervalS(), i.getOpenTimeMs(), i.getCloseTimeMs(), i.getOpen(),
               i.getHigh(), i.getLow(), i.getClose(), i.getVolume(), i.getQuoteVolume(), i.getTrades(),
               i.getTakerBuyVolume(), i.getTakerBuyQuoteVolume(), i.getFirstTradeId(), i.getLastTradeId(),
               i.getClosed(), i.getExchangeTsMs(), i.getHistory()};
}
Message dec(Candle*, capnp::AnyPointer::Reader b) {
  auto i = b.getAs<s::Candle>();
  return Candle{text(i.getSymbol()), i.getIntervalS(), i.getOpenTimeMs(), i.getCloseTimeMs(), i.getOpen(),
                i.getHigh(), i.getLow(), i.getClose(), i.getVolume(), i.getQuoteVolume(), i.getTrades(),
                i.getVwap(), i.getFromExchange(), i.getHistory()};
}
Message dec(Regime*, capnp::AnyPointer::Reader b) {
  auto i = b.getAs<s::Regime>();
  return Regime{text(i.getSymbol()), i.getIntervalS(), i.getTsMs(), cast_enum<TrendRegime>(i.getTrend()),
                cast_enum<VolatilityRegime>(i.getVolatility()), i.getTrendTCenti(), i.getVolRankPpm()};
}
Message dec(MarkPrice*, capnp::AnyPointer::Reader b) {
  auto i = b.getAs<s::MarkPrice>();
  return MarkPrice{text(i.getSymbol()), i.getPrice(), cast_enum<MarkSource>(i.getSource()), i.getExchangeTsMs(),
                   i.getFundingRate(), i.getNextFundingTimeMs()};
}
Message dec(Funding*, capnp::AnyPointer::Reader b) {
  auto i = b.getAs<s::Funding>();
  return Funding{text(i.getSymbol()), i.getRate(), i.getFundingTimeMs(), i.getMarkPrice(),
                 cast_enum<FundingSource>(i.getSource())};
}
Message dec(Liquidation*, capnp::AnyPointer::Reader b) {
  auto i = b.getAs<s::Liquidation>();
  return Liquidation{text(i.getSymbol()), i.getQty(), i.getEntryPrice(), i.getLeverage(), i.getMarkPrice(),
                     i.getMargin(), i.getMarginBalance(), i.getMaintenance(), i.getMaintenanceRate(),
                     i.getLiquidationPrice(), i.getBankruptcyPrice(), i.getLoss(), i.getTsMs(), i.getCross()};
}
Message dec(Signal*, capnp::AnyPointer::Reader b) {
  auto i = b.getAs<s::Signal>();
  Signal m{text(i.getSymbol()), i.getTsMs(), cast_enum<Direction>(i.getDirection()), i.getConfidencePpm(),
           text(i.getModelId()), text(i.getReason()), i.getCandleOpenTimeMs(), i.getIntervalS(),
           get_values(i.getValues()), text(i.getStrategyId())};
  return m;
}
Message dec(OrderIntent*, capnp::AnyPointer::Reader b) {
  auto i = b.getAs<s::OrderIntent>();
  OrderIntent m{i.getIntentId(), text(i.getSymbol()), cast_enum<Side>(i.getSide()),
                cast_enum<OrderType>(i.getType()), i.getQty(), i.getLimitPrice(), i.getIsExit(),
                text(i.getReason()), i.getSignalSeq(), i.getTsMs(), i.getConfidencePpm(),
                get_values(i.getValues()), {}};
  m.votes.reserve(i.getVotes().size());
  for (auto v : i.getVotes())
    m.votes.push_back({text(v.getStrategyId()), cast_enum<Direction>(v.getDirection()), v.getConfidencePpm()});
  return m;
}
Message dec(RiskDecision*, capnp::AnyPointer::Reader b) {
  auto i = b.getAs<s::RiskDecision>();
  RiskDecision m{i.getIntentId(), i.getApproved(), i.getApprovedQty(), text(i.getReasonCode()),
                 text(i.getReason()), cast_enum<TradingState>(i.getState()), i.getTsMs(),
                 text(i.getSymbol()), cast_enum<Side>(i.getSide()), cast_enum<OrderType>(i.getType()),
                 i.getLimitPrice(), i.getIsExit(), {}};
  m.checks.reserve(i.getChecks().size());
  for (auto c : i.getChecks())
    m.checks.push_back({cast_enum<RiskLimit>(c.getLimit()), c.getValue(), c.getBound(), c.getWithin()});
  return m;
}
Message dec(RiskState*, capnp::AnyPointer::Reader b) {
  auto i = b.getAs<s::RiskState>();
  return RiskState{i.getTsMs(), cast_enum<TradingState>(i.getState()), text(i.getReason()), i.getDailyPnl(),
                   i.getDrawdownPpm(), i.getOrdersLastMinute(), i.getTradesToday(), i.getOpenPositions()};
}
Message dec(OrderRequest*, capnp::AnyPointer::Reader b) {
  auto i = b.getAs<s::OrderRequest>();
  return OrderRequest{text(i.getClientOrderId()), i.getIntentId(), text(i.getSymbol()),
                      cast_enum<Side>(i.getSide()), cast_enum<OrderType>(i.getType()), i.getQty(),
                      i.getLimitPrice(), cast_enum<TimeInForce>(i.getTimeInForce()), i.getTsMs(), i.getCancel(),
                      i.getReduceOnly()};
}
Message dec(OrderEvent*, capnp::AnyPointer::Reader b) {
  auto i = b.getAs<s::OrderEvent>();
  return OrderEvent{text(i.getClientOrderId()), text(i.getExchangeOrderId()), text(i.getSymbol()),
                    cast_enum<Side>(i.getSide()), cast_enum<OrderEventKind>(i.getKind()), i.getFillQty(),
                    i.getFillPrice(), i.getCumQty(), i.getOrderQty(), i.getFee(), text(i.getFeeAsset()),
                    cast_enum<Liquidity>(i.getLiquidity()), i.getTradeId(), text(i.getReason()), i.getTsMs(),
                    i.getIntentId()};
}
Message dec(PortfolioState*, capnp::AnyPointer::Reader b) {
  auto i = b.getAs<s::PortfolioState>();
  PortfolioState m{i.getTsMs(), text(i.getQuoteAsset()), i.getCash(), i.getEquity(), i.getRealizedPnl(),
                   i.getUnrealizedPnl(), i.getFees(), i.getPeakEquity(), i.getDrawdownPpm(), {},
                   i.getMaxDrawdownPpm(), i.getStartingCash(), i.getFills(), i.getRoundTrips(),
                   i.getWinningRoundTrips(), i.getFunding()};
  for (auto p : i.getPositions())
    m.positions.push_back({text(p.getSymbol()), p.getQty(), p.getAvgEntryPrice(), p.getLastPrice(),
                           p.getUnrealizedPnl(), p.getRealizedPnl(), p.getMargin(), p.getLiquidationPrice(),
                           p.getLeverage()});
  return m;
}
Message dec(ClockTick*, capnp::AnyPointer::Reader b) { return ClockTick{b.getAs<s::ClockTick>().getTsNs()}; }
Message dec(OperatorCommand*, capnp::AnyPointer::Reader b) {
  auto i = b.getAs<s::OperatorCommand>();
  return OperatorCommand{cast_enum<OperatorCommandKind>(i.getKind()), text(i.getIssuedBy()), text(i.getReason()),
                         i.getTsNs()};
}
Message dec(FeedStatus*, capnp::AnyPointer::Reader b) {
  auto i = b.getAs<s::FeedStatus>();
  return FeedStatus{cast_enum<FeedStatusKind>(i.getKind()), text(i.getSymbol()), text(i.getStream()),
                    i.getExpectedId(), i.getReceivedId(), text(i.getDetail()), i.getTsNs()};
}
Message dec(ErrorReport*, capnp::AnyPointer::Reader b) {
  auto i = b.getAs<s::Error>();
  return ErrorReport{text(i.getCode()), text(i.getMessage()), text(i.getContext()), i.getRefSeq(), i.getTsNs()};
}
Message dec(AccountBalances*, capnp::AnyPointer::Reader b) {
  auto i = b.getAs<s::AccountBalances>();
  AccountBalances m{text(i.getVenue()), i.getTsMs(), text(i.getQuoteAsset()), {}};
  for (auto a : i.getBalances())
    m.balances.push_back({text(a.getAsset()), text(a.getSymbol()), a.getFree(), a.getLocked(), a.getPrice()});
  return m;
}

template <std::size_t I = 0>
Result<Message> decode_index(std::uint16_t type_id, capnp::AnyPointer::Reader body) {
  if constexpr (I == std::variant_size_v<Message>) {
    return fail("unknown message type id " + std::to_string(type_id));
  } else {
    using T = std::variant_alternative_t<I, Message>;
    if (T::kTypeId == type_id) return dec(static_cast<T*>(nullptr), body);
    return decode_index<I + 1>(type_id, body);
  }
}

}  // namespace

void encode_body(const Message& message, capnp::AnyPointer::Builder body) {
  std::visit([&](const auto& m) { enc(m, body); }, message);
}

Result<Message> decode_body(std::uint16_t type_id, capnp::AnyPointer::Reader body) {
  try {
    return decode_index(type_id, body);
  } catch (const kj::Exception& e) {
    return fail("malformed message body (type id " + std::to_string(type_id) + "): " +
                std::string(e.getDescription().cStr()));
  }
}

std::vector<std::uint8_t> encode_body_packed(const Message& message) {
  capnp::MallocMessageBuilder builder(128);
  encode_body(message, builder.initRoot<capnp::AnyPointer>());
  kj::VectorOutputStream out;
  capnp::writePackedMessage(out, builder);
  auto bytes = out.getArray();
  return std::vector<std::uint8_t>(bytes.begin(), bytes.end());
}

Result<Message> decode_body_packed(std::uint16_t type_id, std::span<const std::uint8_t> packed) {
  try {
    kj::ArrayInputStream in(kj::ArrayPtr<const kj::byte>(packed.data(), packed.size()));
    capnp::PackedMessageReader reader(in, reader_options_for_packed(packed.size()));
    return decode_body(type_id, reader.getRoot<capnp::AnyPointer>());
  } catch (const kj::Exception& e) {
    return fail(std::string("malformed packed body: ") + e.getDescription().cStr());
  }
}

std::vector<std::uint8_t> encode_body_canonical(const Message& message) {
  capnp::MallocMessageBuilder builder(128);
  encode_body(message, builder.initRoot<capnp::AnyPointer>());
  auto words = builder.getRoot<capnp::AnyStruct>().asReader().canonicalize();
  const auto bytes = words.asBytes();
  return std::vector<std::uint8_t>(bytes.begin(), bytes.end());
}

namespace {
// The first segment of this thread's flat-body builders, reused message after message: no
// kilobyte allocated and zeroed per message (an actor encodes every output this way).
// Cap'n Proto zeroes the part a message used when its builder ends, as the next needs.
kj::ArrayPtr<capnp::word> reused_first_segment() {
  thread_local std::vector<std::uint64_t> words(kFlatFirstSegmentWords, 0);
  return {reinterpret_cast<capnp::word*>(words.data()), words.size()};
}
}  // namespace

std::vector<std::uint8_t> encode_body_flat(const Message& message) {
  thread_local std::vector<std::uint64_t> words;
  if (write_flat_market(message, words)) {  // the same bytes, without a builder
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(words.data());
    return {bytes, bytes + words.size() * sizeof(capnp::word)};
  }
  capnp::MallocMessageBuilder builder(reused_first_segment());
  encode_body(message, builder.initRoot<capnp::AnyPointer>());
  std::vector<std::uint8_t> out(capnp::computeSerializedSizeInWords(builder) * sizeof(capnp::word));
  kj::ArrayOutputStream stream(kj::ArrayPtr<kj::byte>(out.data(), out.size()));
  capnp::writeMessage(stream, builder);
  return out;
}

Result<kj::ArrayPtr<const capnp::word>> flat_words(std::span<const std::uint8_t> flat,
                                                    std::vector<std::uint64_t>& scratch) {
  constexpr std::size_t kWord = sizeof(capnp::word);
  if (flat.empty() || flat.size() % kWord != 0)
    return fail("malformed flat message: " + std::to_string(flat.size()) + " bytes, not a whole number of words");
  const std::size_t words = flat.size() / kWord;
  if (reinterpret_cast<std::uintptr_t>(flat.data()) % alignof(capnp::word) == 0)
    return kj::ArrayPtr<const capnp::word>(reinterpret_cast<const capnp::word*>(flat.data()), words);
  scratch.resize(words);
  std::memcpy(scratch.data(), flat.data(), flat.size());
  return kj::ArrayPtr<const capnp::word>(reinterpret_cast<const capnp::word*>(scratch.data()), words);
}

capnp::ReaderOptions reader_options_for(std::size_t words) {
  capnp::ReaderOptions o;
  // Four readings (a decode, a render, checks) and room for a small message's pointers.
  o.traversalLimitInWords = std::min<std::uint64_t>(o.traversalLimitInWords, 4 * std::uint64_t{words} + 1024);
  return o;
}

capnp::ReaderOptions reader_options_for_packed(std::size_t bytes) {
  return reader_options_for(std::min<std::uint64_t>(std::uint64_t{bytes}, std::uint64_t{1} << 40) * 128);
}

Result<Message> decode_body_flat(std::uint16_t type_id, std::span<const std::uint8_t> flat) {
  std::vector<std::uint64_t> scratch;
  auto words = flat_words(flat, scratch);
  if (!words) return tl::unexpected(words.error());
  // Laid out exactly as the flat writer lays it out (market data, candles, clock ticks):
  // read from the words, to the value Cap'n Proto's reader would give. Anything else is
  // left to the reader, which checks it.
  if (auto m = read_flat_market(type_id, {reinterpret_cast<const std::uint64_t*>(words->begin()), words->size()}))
    return std::move(*m);
  try {
    capnp::FlatArrayMessageReader reader(*words, reader_options_for(words->size()));
    if (reader.getEnd() != words->end()) return fail("malformed flat message: bytes after its last segment");
    return decode_body(type_id, reader.getRoot<capnp::AnyPointer>());
  } catch (const kj::Exception& e) {
    return fail(std::string("malformed flat message: ") + e.getDescription().cStr());
  }
}

}  // namespace trader
