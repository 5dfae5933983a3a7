#pragma once
// Plain C++ value types of every message the actors exchange. Cores use these;
// the codec (message_codec.hpp) maps them to the Cap'n Proto schemas in schema/.
// Prices, quantities and money are fixed point (see fixed_point.hpp); ratios are ppm.
// No Cap'n Proto or CAF headers here: cores include this and stay light.
#include <bit>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace trader {

enum class Actor : std::uint16_t {
  none = 0, market_feed, candle_builder, strategy, risk, portfolio, order,
  operator_, timer, exchange, journal, tools,
};
inline constexpr int kActorCount = 12;
const char* actor_name(Actor a);                 // "market_feed"
bool parse_actor(std::string_view name, Actor* out);

// ---- market data -----------------------------------------------------------------
struct Trade {
  static constexpr std::uint16_t kTypeId = 1;
  std::string symbol;
  std::int64_t price = 0, qty = 0;
  std::uint64_t trade_id = 0;
  std::int64_t exchange_ts_ms = 0, trade_ts_ms = 0;
  bool buyer_maker = false;
  bool operator==(const Trade&) const = default;
};

struct AggTrade {
  static constexpr std::uint16_t kTypeId = 2;
  std::string symbol;
  std::int64_t price = 0, qty = 0;
  std::uint64_t agg_trade_id = 0, first_trade_id = 0, last_trade_id = 0;
  std::int64_t exchange_ts_ms = 0, trade_ts_ms = 0;
  bool buyer_maker = false;
  bool operator==(const AggTrade&) const = default;
};

struct BookTicker {
  static constexpr std::uint16_t kTypeId = 3;
  std::string symbol;
  std::uint64_t update_id = 0;
  std::int64_t bid_price = 0, bid_qty = 0, ask_price = 0, ask_qty = 0;
  std::int64_t exchange_ts_ms = 0;
  bool operator==(const BookTicker&) const = default;
};

// A perpetual's mark price (market.capnp MarkPrice).
enum class MarkSource : std::uint8_t { venue = 0, book_mid };
struct MarkPrice {
  static constexpr std::uint16_t kTypeId = 7;
  std::string symbol;
  std::int64_t price = 0;
  MarkSource source = MarkSource::venue;
  std::int64_t exchange_ts_ms = 0;
  std::int64_t funding_rate = 0;          // the venue's rate for the next funding (fixed point)
  std::int64_t next_funding_time_ms = 0;  // 0: the stream announces no funding
  bool operator==(const MarkPrice&) const = default;
};

// A perpetual's funding at one funding time (market.capnp Funding).
enum class FundingSource : std::uint8_t { venue = 0, schedule, mark_stream };
struct Funding {
  static constexpr std::uint16_t kTypeId = 8;
  std::string symbol;
  std::int64_t rate = 0;  // fixed point: 0.0001 is 10,000; positive: longs pay shorts
  std::int64_t funding_time_ms = 0;
  std::int64_t mark_price = 0;
  FundingSource source = FundingSource::venue;
  bool operator==(const Funding&) const = default;
};

struct PriceLevel {
  std::int64_t price = 0, qty = 0;
  bool operator==(const PriceLevel&) const = default;
};

struct DepthUpdate {
  static constexpr std::uint16_t kTypeId = 4;
  std::string symbol;
  std::uint64_t first_update_id = 0, final_update_id = 0;
  std::int64_t exchange_ts_ms = 0;
  std::vector<PriceLevel> bids, asks;
  bool operator==(const DepthUpdate&) const = default;
};

struct DepthSnapshot {
  static constexpr std::uint16_t kTypeId = 5;
  std::string symbol;
  std::uint64_t last_update_id = 0;
  std::vector<PriceLevel> bids, asks;
  bool operator==(const DepthSnapshot&) const = default;
};

struct Kline {
  static constexpr std::uint16_t kTypeId = 6;
  std::string symbol;
  std::uint32_t interval_s = 0;
  std::int64_t open_time_ms = 0, close_time_ms = 0;
  std::int64_t open = 0, high = 0, low = 0, close = 0, volume = 0, quote_volume = 0;
  std::uint64_t trades = 0;
  std::int64_t taker_buy_volume = 0, taker_buy_quote_volume = 0;
  std::int64_t first_trade_id = -1, last_trade_id = -1;
  bool closed = false;
  std::int64_t exchange_ts_ms = 0;
  // Fetched from the venue's REST history when a live session warms up (closed, and as old
  // as the history asked for), not pushed by the stream: exempt from the receive-time check.
  bool history = false;
  bool operator==(const Kline&) const = default;
};

// ---- trading ---------------------------------------------------------------------
enum class Side : std::uint8_t { buy = 0, sell };
enum class OrderType : std::uint8_t { market = 0, limit };
enum class TimeInForce : std::uint8_t { gtc = 0, ioc, fok };
enum class Direction : std::uint8_t { flat = 0, long_, short_ };
enum class TradingState : std::uint8_t { active = 0, reducing, halted };
enum class OrderEventKind : std::uint8_t { accepted = 0, partially_filled, filled, canceled, rejected, expired };
// An event after which the order is over: nothing more will fill it.
constexpr bool ends_order(OrderEventKind k) {
  return k == OrderEventKind::filled || k == OrderEventKind::canceled || k == OrderEventKind::rejected ||
         k == OrderEventKind::expired;
}
enum class Liquidity : std::uint8_t { none = 0, maker, taker };

struct Candle {
  static constexpr std::uint16_t kTypeId = 10;
  std::string symbol;
  std::uint32_t interval_s = 0;
  std::int64_t open_time_ms = 0, close_time_ms = 0;
  std::int64_t open = 0, high = 0, low = 0, close = 0, volume = 0, quote_volume = 0;
  std::uint64_t trades = 0;
  std::int64_t vwap = 0;
  bool from_exchange = false;
  // Closed by a history kline (a live session's warm-up): the strategies' views and risk's
  // volatility learn from it, but no intent, exit or equity mark is made on it.
  bool history = false;
  bool operator==(const Candle&) const = default;
};

// A number a strategy computed its view from. Equal means the same bits: a replay
// reproduces the very double (NaN included), not one that compares equal.
struct SignalValue {
  std::string name;
  double value = 0;
  bool operator==(const SignalValue& o) const {
    return name == o.name && std::bit_cast<std::uint64_t>(value) == std::bit_cast<std::uint64_t>(o.value);
  }
};

// A symbol's market regime (actors/regime/regime_classifier.hpp), journaled when it changes.
enum class TrendRegime : std::uint8_t { range, up, down };
enum class VolatilityRegime : std::uint8_t { normal, low, high };

struct Regime {
  static constexpr std::uint16_t kTypeId = 11;
  std::string symbol;
  std::uint32_t interval_s = 0;
  std::int64_t ts_ms = 0;  // close time of the candle it was read on
  TrendRegime trend = TrendRegime::range;
  VolatilityRegime volatility = VolatilityRegime::normal;
  std::int32_t trend_t_centi = 0;
  std::uint32_t vol_rank_ppm = 0;
  bool operator==(const Regime&) const = default;
};

struct Signal {
  static constexpr std::uint16_t kTypeId = 20;
  std::string symbol;
  std::int64_t ts_ms = 0;
  Direction direction = Direction::flat;
  std::uint32_t confidence_ppm = 0;
  std::string model_id, reason;
  std::int64_t candle_open_time_ms = 0;
  std::uint32_t interval_s = 0;
  std::vector<SignalValue> values;  // features and the model's "p", or the rule's numbers
  std::string strategy_id;          // the [[strategies]] entry ("" for a one-strategy [strategy] config)
  bool operator==(const Signal&) const = default;
};

// A named strategy's view of a symbol when an intent was formed (schema: StrategyVote).
struct StrategyVote {
  std::string strategy_id;
  Direction direction = Direction::flat;
  std::uint32_t confidence_ppm = 0;
  bool operator==(const StrategyVote&) const = default;
};

// Intent ids are unique in a journal by construction: the issuing core in the top byte,
// a counter that core keeps in its state (and snapshots) below it.
enum class IntentIssuer : std::uint8_t { strategy = 1, risk = 2 };
inline constexpr std::uint64_t make_intent_id(IntentIssuer by, std::uint64_t n) {
  return (static_cast<std::uint64_t>(by) << 56) | (n & ((std::uint64_t{1} << 56) - 1));
}

struct OrderIntent {
  static constexpr std::uint16_t kTypeId = 21;
  std::uint64_t intent_id = 0;
  std::string symbol;
  Side side = Side::buy;
  OrderType type = OrderType::market;
  std::int64_t qty = 0, limit_price = 0;
  bool is_exit = false;
  std::string reason;
  std::uint64_t signal_seq = 0;
  std::int64_t ts_ms = 0;
  std::uint32_t confidence_ppm = 0;
  std::vector<SignalValue> values;  // the view's values at this candle (a signal has them only on a change)
  std::vector<StrategyVote> votes;  // the named strategies' views it was formed from, in config order
  bool operator==(const OrderIntent&) const = default;
};

// The limits risk checks (units and sides: risk_limits.hpp).
enum class RiskLimit : std::uint8_t {
  max_drawdown = 0, max_daily_loss, min_confidence, max_orders_per_minute, max_trades_per_day,
  max_open_positions, max_position_notional, max_position_equity, max_total_exposure, max_asset_exposure,
  position_held, stop_loss, take_profit, max_correlation,
  max_leverage, max_margin_use, liquidation_distance, stop_loss_short, take_profit_short, max_asset_net_exposure,
};

// A limit as risk checked it: what is used before the order (for a stop or target, the
// candle's low or high), the limit, and whether the intent as asked fits it.
struct LimitCheck {
  RiskLimit limit = RiskLimit::max_drawdown;
  std::int64_t value = 0, bound = 0;
  bool within = false;
  bool operator==(const LimitCheck&) const = default;
};

struct RiskDecision {
  static constexpr std::uint16_t kTypeId = 30;
  std::uint64_t intent_id = 0;
  bool approved = false;
  std::int64_t approved_qty = 0;
  std::string reason_code, reason;
  TradingState state = TradingState::active;
  std::int64_t ts_ms = 0;
  std::string symbol;
  Side side = Side::buy;
  OrderType type = OrderType::market;
  std::int64_t limit_price = 0;
  bool is_exit = false;
  std::vector<LimitCheck> checks;  // in the order checked; the reason names the one that refused or reduced
  bool operator==(const RiskDecision&) const = default;
};

struct RiskState {
  static constexpr std::uint16_t kTypeId = 31;
  std::int64_t ts_ms = 0;
  TradingState state = TradingState::active;
  std::string reason;
  std::int64_t daily_pnl = 0;
  std::uint32_t drawdown_ppm = 0, orders_last_minute = 0, trades_today = 0, open_positions = 0;
  bool operator==(const RiskState&) const = default;
};

struct OrderRequest {
  static constexpr std::uint16_t kTypeId = 40;
  std::string client_order_id;
  std::uint64_t intent_id = 0;
  std::string symbol;
  Side side = Side::buy;
  OrderType type = OrderType::market;
  std::int64_t qty = 0, limit_price = 0;
  TimeInForce time_in_force = TimeInForce::gtc;
  std::int64_t ts_ms = 0;
  bool cancel = false;
  bool reduce_only = false;  // a perpetual's exit: the venue refuses it if it would open or grow a position
  bool operator==(const OrderRequest&) const = default;
};

struct OrderEvent {
  static constexpr std::uint16_t kTypeId = 41;
  std::string client_order_id, exchange_order_id, symbol;
  Side side = Side::buy;
  OrderEventKind kind = OrderEventKind::accepted;
  std::int64_t fill_qty = 0, fill_price = 0, cum_qty = 0, order_qty = 0, fee = 0;
  std::string fee_asset;
  Liquidity liquidity = Liquidity::none;
  std::uint64_t trade_id = 0;
  std::string reason;
  std::int64_t ts_ms = 0;
  std::uint64_t intent_id = 0;  // the intent its order carries out
  bool operator==(const OrderEvent&) const = default;
};

struct Position {
  std::string symbol;
  std::int64_t qty = 0, avg_entry_price = 0, last_price = 0, unrealized_pnl = 0, realized_pnl = 0;
  // Perpetuals (0 for spot): qty signed, last_price the mark; isolated margin, liquidation price, leverage.
  std::int64_t margin = 0, liquidation_price = 0;
  std::uint32_t leverage = 0;
  bool operator==(const Position&) const = default;
};

// Whether any of them holds a quantity, long or short (dust included).
inline bool holds_any(const std::vector<Position>& positions) {
  for (const Position& p : positions)
    if (p.qty != 0) return true;
  return false;
}

struct PortfolioState {
  static constexpr std::uint16_t kTypeId = 50;
  std::int64_t ts_ms = 0;
  std::string quote_asset;
  std::int64_t cash = 0, equity = 0, realized_pnl = 0, unrealized_pnl = 0, fees = 0, peak_equity = 0;
  std::uint32_t drawdown_ppm = 0;
  std::vector<Position> positions;
  std::uint32_t max_drawdown_ppm = 0;
  std::int64_t starting_cash = 0;
  std::uint32_t fills = 0, round_trips = 0, winning_round_trips = 0;
  std::int64_t funding = 0;  // perpetuals' funding received (negative: paid), in cash
  bool operator==(const PortfolioState&) const = default;
};

// A perpetual position the venue liquidated, with the numbers it was decided on
// (trading.capnp Liquidation).
struct Liquidation {
  static constexpr std::uint16_t kTypeId = 42;
  std::string symbol;
  std::int64_t qty = 0, entry_price = 0;
  std::uint32_t leverage = 0;
  std::int64_t mark_price = 0, margin = 0, margin_balance = 0, maintenance = 0, maintenance_rate = 0;
  std::int64_t liquidation_price = 0, bankruptcy_price = 0, loss = 0;
  std::int64_t ts_ms = 0;
  bool cross = false;  // cross margin: margin is the wallet, balance and maintenance the account's
  bool operator==(const Liquidation&) const = default;
};

// ---- system ----------------------------------------------------------------------
enum class OperatorCommandKind : std::uint8_t { halt = 0, resume, flatten, shutdown };
// history: what a live session's warm-up fetched (or why it could not), before the stream.
enum class FeedStatusKind : std::uint8_t { connected = 0, disconnected, gap, reconnecting, end_of_data, history };

struct ClockTick {
  static constexpr std::uint16_t kTypeId = 60;
  std::int64_t ts_ns = 0;
  bool operator==(const ClockTick&) const = default;
};

struct OperatorCommand {
  static constexpr std::uint16_t kTypeId = 61;
  OperatorCommandKind kind = OperatorCommandKind::halt;
  std::string issued_by, reason;
  std::int64_t ts_ns = 0;
  bool operator==(const OperatorCommand&) const = default;
};

struct FeedStatus {
  static constexpr std::uint16_t kTypeId = 62;
  FeedStatusKind kind = FeedStatusKind::connected;
  std::string symbol, stream;
  std::uint64_t expected_id = 0, received_id = 0;
  std::string detail;
  std::int64_t ts_ns = 0;
  bool operator==(const FeedStatus&) const = default;
};

struct ErrorReport {
  static constexpr std::uint16_t kTypeId = 63;
  std::string code, message, context;
  std::uint64_t ref_seq = 0;
  std::int64_t ts_ns = 0;
  bool operator==(const ErrorReport&) const = default;
};

// What the venue says the account holds, journaled at the start of a testnet or live
// session: the portfolio starts from it (actors/portfolio/portfolio_core.hpp).
struct AssetBalance {
  std::string asset;
  std::string symbol;  // the traded symbol whose base asset it is; empty for the quote asset
  std::int64_t free = 0, locked = 0;
  std::int64_t price = 0;  // the symbol's last price at the venue when read (0: not read)
  bool operator==(const AssetBalance&) const = default;
};

struct AccountBalances {
  static constexpr std::uint16_t kTypeId = 51;
  std::string venue;
  std::int64_t ts_ms = 0;
  std::string quote_asset;
  std::vector<AssetBalance> balances;
  bool operator==(const AccountBalances&) const = default;
};

using Message = std::variant<Trade, AggTrade, BookTicker, DepthUpdate, DepthSnapshot, Kline, Candle,
                             Signal, OrderIntent, RiskDecision, RiskState, OrderRequest, OrderEvent,
                             PortfolioState, ClockTick, OperatorCommand, FeedStatus, ErrorReport,
                             AccountBalances, Regime, MarkPrice, Funding, Liquidation>;

// The symbol a message is about, or nullptr for messages without one.
inline const std::string* symbol_of(const Message& m) {
  return std::visit(
      [](const auto& v) -> const std::string* {
        if constexpr (requires { v.symbol; }) return &v.symbol;
        else return nullptr;
      },
      m);
}

inline std::uint16_t type_id_of(const Message& m) {
  return std::visit([](const auto& v) { return std::decay_t<decltype(v)>::kTypeId; }, m);
}

// The routing header of a journaled message, without its body.
struct EnvelopeHeader {
  std::uint64_t seq = 0;
  std::int64_t recv_ts_ns = 0;
  Actor source = Actor::none;
  Actor destination = Actor::none;
  std::uint64_t dest_seq = 0;
  std::uint16_t type_id = 0;
  std::uint16_t schema_version = 0;
  std::uint64_t ingress_seq = 0;  // external inputs: position in the feed (0: not an ingress record)
  std::uint64_t cause_seq = 0;    // the delivery this message answers (0: an external input)
  bool operator==(const EnvelopeHeader&) const = default;
};

}  // namespace trader
