#pragma once
// One sample of every message type with every field set to a non-default value, so a
// round trip that loses or swaps a field cannot pass (message_codec_test checks this).
#include "messages/message_types.hpp"

namespace trader::test {

inline std::vector<Message> all_message_samples() {
  const std::vector<PriceLevel> bids{{6173763000000, 378826000}, {6173762000000, 61700000}};
  const std::vector<PriceLevel> asks{{6173764000000, 154698000}};
  return {
      Trade{"BTCUSDT", 6173763000000, 2000000, 3735683259, 1723161255343, 1723161255342, true},
      AggTrade{"XRPETH", 141342, 2300000000, 13519807, 15373518, 15373519, 1570752011620, 1570752011621, true},
      BookTicker{"BTCUSDT", 50093239212, 6183763000000, 378826000, 6183764000000, 154698000, 1723161255000},
      DepthUpdate{"BTCUSDT", 50093239189, 50093239202, 1723161255208, bids, asks},
      DepthSnapshot{"BTCUSDT", 50093239218, bids, asks},
      Kline{"BTCUSDC", 60, 1677628800000, 1677628859999, 2314382000000, 2315265000000, 2314002000000,
            2315265000000, 26395000, 610900000000, 17, 1200000, 27700000000, 100, 117, true, 1677628860000, true},
      Candle{"BTCUSDT", 300, 1723161240000, 1723161539999, 6173763000000, 6180000000000, 6170000000000,
             6175000000000, 123400000, 7620000000000, 321, 6174500000000, true, true},
      Signal{"BTCUSDT", 1723161300000, Direction::long_, 734000, "rule:momentum-v1", "ret_5m above 0.1%",
             1723161240000, 60, {{"ret_1", 0.0012345}, {"rsi_14", -0.5}, {"p", 0.71875}}, "xgb-15m"},
      OrderIntent{7, "BTCUSDT", Side::sell, OrderType::limit, 150000, 6180000000000, true, "take profit", 1234,
                  1723161300000, 812000, {{"z", 2.25}},
                  {{"ema-1m", Direction::long_, 410000}, {"xgb-15m", Direction::flat, 120000}}},
      RiskDecision{7, true, 100000, "max_position_notional", "reduced to the notional limit",
                   TradingState::reducing, 1723161300001, "BTCUSDT", Side::sell, OrderType::limit, 6180000000000,
                   true,
                   {LimitCheck{RiskLimit::max_drawdown, 51000, 100000, true},
                    LimitCheck{RiskLimit::max_position_notional, 4000000000, 500000000000, false}}},
      RiskState{1723161300002, TradingState::halted, "max drawdown 5% reached", -12345000000, 51000, 3, 12, 2},
      OrderRequest{"t-1234", 7, "BTCUSDT", Side::sell, OrderType::limit, 100000, 6180000000000,
                   TimeInForce::ioc, 1723161300003, true, true},
      OrderEvent{"t-1234", "ex-98765", "BTCUSDT", Side::sell, OrderEventKind::partially_filled, 50000,
                 6180000000000, 50000, 100000, 3090000, "USDT", Liquidity::maker, 3735683300, "partial",
                 1723161300004, 7},
      PortfolioState{1723161300005, "USDT", 1000000000000, 1012345000000, 12345000000, -200000000, 4500000,
                     1013000000000, 640,
                     {Position{"BTCUSDT", 150000, 6170000000000, 6175000000000, 7500000, 1000000},
                      Position{"BTCUSDT@binance_usdm", -50000000, 6000000000000, 6010000000000, -5000000000, 0,
                               150000000000, 6274900000000, 20}},
                     7000, 1000000000000, 9, 4, 3, -1250000},
      ClockTick{1723161300000000000},
      OperatorCommand{OperatorCommandKind::flatten, "cli", "end of day", 1723161300000000001},
      FeedStatus{FeedStatusKind::gap, "BTCUSDT", "btcusdt@trade", 3735683260, 3735683262, "2 trades missing",
                 1723161300000000002},
      ErrorReport{"malformed_frame", "not JSON", "day.gz:42", 99, 1723161300000000003},
      AccountBalances{"binance-testnet", 1723161300006, "USDT",
                      {AssetBalance{"USDT", "", 1000000000000, 2500000000}, AssetBalance{"BTC", "BTCUSDT", 50000000, 1000000, 6543210000000}}},
      Regime{"BTCUSDT", 3600, 1723161599999, TrendRegime::down, VolatilityRegime::high, -612, 912000},
      MarkPrice{"BTCUSDT@binance_usdm", 6180025000000, MarkSource::book_mid, 1723161256313, -1250, 1723161600000},  // every field set
      Funding{"BTCUSDT@binance_usdm", -1250, 1723161600000, 6180025000000, FundingSource::mark_stream},
      Liquidation{"BTCUSDT@binance_usdm", -50000000, 6000000000000, 20, 6275000000000, 150000000000, 12000000000,
                  12550000000, 400000, 6274900000000, 6300000000000, 150000000000, 1723161599000, true},
  };
}

}  // namespace trader::test
