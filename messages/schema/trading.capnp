@0x9095c8d6ef276896;
# Messages between the business actors: candles, signals, intents, risk decisions,
# orders, fills and state. Money, prices and quantities are fixed point (8 decimals);
# ratios are parts per million.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("trader::schema");
using import "annotations.capnp".fixed;

enum Side { buy @0; sell @1; }
enum OrderType { market @0; limit @1; }
enum TimeInForce { gtc @0; ioc @1; fok @2; }

struct Candle {
  symbol @0 :Text;
  intervalS @1 :UInt32;
  openTimeMs @2 :Int64;
  closeTimeMs @3 :Int64;     # open time + interval - 1
  open @4 :Int64 $fixed(8);
  high @5 :Int64 $fixed(8);
  low @6 :Int64 $fixed(8);
  close @7 :Int64 $fixed(8);
  volume @8 :Int64 $fixed(8);
  quoteVolume @9 :Int64 $fixed(8);
  trades @10 :UInt64;
  vwap @11 :Int64 $fixed(8);
  fromExchange @12 :Bool;    # built from exchange klines rather than trades
  history @13 :Bool;         # closed by a history kline (warm-up): features learn from it, nobody trades on it
}

# A symbol's market regime, read from its candles of one interval (actors/regime) and
# journaled by the strategy actor when it changes; strategies and risk condition on it.
enum TrendRegime { range @0; up @1; down @2; }
enum VolatilityRegime { normal @0; low @1; high @2; }
struct Regime {
  symbol @0 :Text;
  intervalS @1 :UInt32;
  tsMs @2 :Int64;                 # close time of the candle it was read on
  trend @3 :TrendRegime;
  volatility @4 :VolatilityRegime;
  trendTCenti @5 :Int32;          # the slope's t-statistic, in hundredths (toward zero)
  volRankPpm @6 :UInt32;          # share of the past variances below the current one
}

enum Direction { flat @0; long @1; short @2; }

# A number a strategy computed its view from, by name: a model's feature, the model's
# probability ("p"), or a rule's value. The exact double the strategy compared.
struct SignalValue {
  name @0 :Text;
  value @1 :Float64;
}

struct Signal {
  symbol @0 :Text;
  tsMs @1 :Int64;            # data time the signal was computed at
  direction @2 :Direction;
  confidencePpm @3 :UInt32;  # 0..1,000,000
  modelId @4 :Text;          # SHA-256 of the model file, or the rule strategy's name
  reason @5 :Text;
  candleOpenTimeMs @6 :Int64;
  intervalS @7 :UInt32;
  values @8 :List(SignalValue);  # what the view was computed from, in the strategy's order
  strategyId @9 :Text;       # the [[strategies]] entry that made it ("" for a one-strategy [strategy] config)
}

# One named strategy's view of a symbol when an intent was formed from several: what its
# latest signal on the symbol said (the strategies' views are combined by [combine]).
struct StrategyVote {
  strategyId @0 :Text;
  direction @1 :Direction;
  confidencePpm @2 :UInt32;
}

struct OrderIntent {
  intentId @0 :UInt64;
  symbol @1 :Text;
  side @2 :Side;
  type @3 :OrderType;
  qty @4 :Int64 $fixed(8);
  limitPrice @5 :Int64 $fixed(8);   # 0 for market orders
  isExit @6 :Bool;           # closes or reduces a position
  reason @7 :Text;
  signalSeq @8 :UInt64;      # journal seq of the signal that caused it (0 if none)
  tsMs @9 :Int64;
  confidencePpm @10 :UInt32;
  values @11 :List(SignalValue);  # what the strategy's view at this candle was computed from
  votes @12 :List(StrategyVote);  # each named strategy with a view of the symbol, in config order (none for a one-strategy [strategy] config)
}

enum TradingState { active @0; reducing @1; halted @2; }

# The limits risk checks. Each has a unit (messages/risk_limits.hpp: a quote amount, a
# base quantity or a price in fixed point 8, parts per million, or a count) and a side:
# most are ceilings; minConfidence and stopLoss are floors.
enum RiskLimit {
  maxDrawdown @0;
  maxDailyLoss @1;
  minConfidence @2;
  maxOrdersPerMinute @3;
  maxTradesPerDay @4;
  maxOpenPositions @5;
  maxPositionNotional @6;
  maxPositionEquity @7;
  maxTotalExposure @8;
  maxAssetExposure @9;
  positionHeld @10;
  stopLoss @11;
  takeProfit @12;
  maxCorrelation @13;
  # Perpetuals: the position's leverage against the lower of risk.max_leverage and its
  # margin bracket's; the margin held with the order's against risk.max_margin_use x
  # equity; how far (ppm of the price) the liquidation price would be, a floor; a short's
  # stop (the candle's high, a ceiling) and target (its low, a floor).
  maxLeverage @14;
  maxMarginUse @15;
  liquidationDistance @16;
  stopLossShort @17;
  takeProfitShort @18;
  # One asset's longs less shorts, spot and perpetuals, in the entry's direction (risk.max_asset_net_exposure).
  maxAssetNetExposure @19;
}

# One limit as risk checked it for a decision: what is used now (before the order; for a
# stop or target, the candle's low or high), the limit, and whether the intent as asked
# fits. Headroom is bound - value for a ceiling, value - bound for a floor.
struct LimitCheck {
  limit @0 :RiskLimit;
  value @1 :Int64;
  bound @2 :Int64;
  within @3 :Bool;
}

struct RiskDecision {
  intentId @0 :UInt64;
  approved @1 :Bool;
  approvedQty @2 :Int64 $fixed(8);
  reasonCode @3 :Text;       # e.g. "ok", "max_position_notional", "halted"
  reason @4 :Text;           # human-readable detail
  state @5 :TradingState;
  tsMs @6 :Int64;
  # What was decided on, so the order actor needs nothing else:
  symbol @7 :Text;
  side @8 :Side;
  type @9 :OrderType;
  limitPrice @10 :Int64 $fixed(8);
  isExit @11 :Bool;
  checks @12 :List(LimitCheck);  # the limits checked, in order; the reason names the one that refused or reduced
}

struct RiskState {
  tsMs @0 :Int64;
  state @1 :TradingState;
  reason @2 :Text;
  dailyPnl @3 :Int64 $fixed(8);
  drawdownPpm @4 :UInt32;
  ordersLastMinute @5 :UInt32;
  tradesToday @6 :UInt32;
  openPositions @7 :UInt32;
}

struct OrderRequest {
  clientOrderId @0 :Text;
  intentId @1 :UInt64;
  symbol @2 :Text;
  side @3 :Side;
  type @4 :OrderType;
  qty @5 :Int64 $fixed(8);
  limitPrice @6 :Int64 $fixed(8);
  timeInForce @7 :TimeInForce;
  tsMs @8 :Int64;
  cancel @9 :Bool;           # a cancel request for clientOrderId
  reduceOnly @10 :Bool;      # a perpetual's exit: it may only shrink the position, never open or flip one
}

enum OrderEventKind {
  accepted @0;
  partiallyFilled @1;
  filled @2;
  canceled @3;
  rejected @4;
  expired @5;
}

enum Liquidity { none @0; maker @1; taker @2; }

struct OrderEvent {
  clientOrderId @0 :Text;
  exchangeOrderId @1 :Text;
  symbol @2 :Text;
  side @3 :Side;
  kind @4 :OrderEventKind;
  fillQty @5 :Int64 $fixed(8);      # this fill (0 for non-fill events)
  fillPrice @6 :Int64 $fixed(8);
  cumQty @7 :Int64 $fixed(8);
  orderQty @8 :Int64 $fixed(8);
  fee @9 :Int64 $fixed(8);          # in feeAsset
  feeAsset @10 :Text;
  liquidity @11 :Liquidity;
  tradeId @12 :UInt64;
  reason @13 :Text;                 # reject/cancel reason, exchange code and message
  tsMs @14 :Int64;
  intentId @15 :UInt64;             # the intent the order carries out (its OrderRequest's)
}

struct Position {
  symbol @0 :Text;
  qty @1 :Int64 $fixed(8);
  avgEntryPrice @2 :Int64 $fixed(8);
  lastPrice @3 :Int64 $fixed(8);
  unrealizedPnl @4 :Int64 $fixed(8);
  realizedPnl @5 :Int64 $fixed(8);
  # Perpetuals (0 for spot): qty is signed (negative: short), lastPrice the mark, and
  # unrealizedPnl qty x mark - entry cost; the isolated margin held, the mark at which it
  # is liquidated (0: none), its leverage.
  margin @6 :Int64 $fixed(8);
  liquidationPrice @7 :Int64 $fixed(8);
  leverage @8 :UInt32;
}

struct PortfolioState {
  tsMs @0 :Int64;
  quoteAsset @1 :Text;
  cash @2 :Int64 $fixed(8);
  equity @3 :Int64 $fixed(8);
  realizedPnl @4 :Int64 $fixed(8);
  unrealizedPnl @5 :Int64 $fixed(8);
  fees @6 :Int64 $fixed(8);
  peakEquity @7 :Int64 $fixed(8);
  drawdownPpm @8 :UInt32;
  positions @9 :List(Position);
  maxDrawdownPpm @10 :UInt32;       # worst drawdown seen in the session
  startingCash @11 :Int64 $fixed(8);
  fills @12 :UInt32;
  roundTrips @13 :UInt32;           # positions opened and closed back to flat
  winningRoundTrips @14 :UInt32;
  funding @15 :Int64 $fixed(8);     # perpetuals' funding received (negative: paid); in cash and equity
}

# What the venue says the account holds, journaled at the start of a testnet or live
# session (after reconciliation): the portfolio starts from it, not from a configured cash.
struct AssetBalance {
  asset @0 :Text;            # e.g. "BTC", "USDT"
  symbol @1 :Text;           # the traded symbol whose base asset it is; "" for the quote asset
  free @2 :Int64 $fixed(8);
  locked @3 :Int64 $fixed(8); # held by open orders
  price @4 :Int64 $fixed(8);  # the symbol's last price at the venue when read (0: not read)
}

struct AccountBalances {
  venue @0 :Text;
  tsMs @1 :Int64;
  quoteAsset @2 :Text;
  balances @3 :List(AssetBalance);  # the quote asset, then the base asset of each traded symbol
}

# A perpetual position closed by the venue's liquidation: why (the margin balance at the
# mark is at or below the maintenance margin of its bracket) and what it cost (the
# position's whole margin). Journaled by the paper venue; booked by the portfolio.
struct Liquidation {
  symbol @0 :Text;
  qty @1 :Int64 $fixed(8);              # the position closed, signed (negative: a short)
  entryPrice @2 :Int64 $fixed(8);
  leverage @3 :UInt32;
  markPrice @4 :Int64 $fixed(8);
  margin @5 :Int64 $fixed(8);           # the position's isolated margin (cross: the wallet)
  marginBalance @6 :Int64 $fixed(8);    # margin + unrealized PnL at the mark
  maintenance @7 :Int64 $fixed(8);      # maintenance margin at the mark
  maintenanceRate @8 :Int64 $fixed(8);  # of the bracket the notional falls in
  liquidationPrice @9 :Int64 $fixed(8);
  bankruptcyPrice @10 :Int64 $fixed(8);
  loss @11 :Int64 $fixed(8);            # what the wallet loses: the margin (cross: this position's share)
  tsMs @12 :Int64;
  # Cross margin: `margin` is the wallet the positions share, `marginBalance` and
  # `maintenance` are all of them together, and the prices are this position's with the
  # others held at their marks. Every cross position is liquidated at once, one record each.
  cross @13 :Bool;
}
