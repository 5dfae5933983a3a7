#include "projection/rows.hpp"

#include <limits>

#include <fmt/format.h>

#include "actors/portfolio/positions_value.hpp"
#include "messages/instrument.hpp"
#include "base/time_format.hpp"
#include "messages/enum_names.hpp"
#include "messages/explanation_json.hpp"
#include "messages/fixed_point.hpp"

namespace trader::projection {
namespace {

// Collects one record's rows; the first value that does not fit fails the whole record.
class Rows {
 public:
  Rows(std::uint64_t seq, std::uint64_t cause_seq) : seq_(seq), cause_seq_(cause_seq) {}

  Row& add(TableId t) {
    rows_.push_back(Row{t, {}});
    rows_.back().values.reserve(table(t).columns.size());
    rows_.back().values.emplace_back(static_cast<std::int64_t>(seq_));
    rows_.back().values.push_back(id(cause_seq_, "cause seq"));
    return rows_.back();
  }
  // Unsigned ids are stored as BIGINT: refuse what would wrap.
  Value id(std::uint64_t v, std::string_view what) {
    if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) && error_.empty())
      error_ = fmt::format("seq {}: {} {} does not fit a BIGINT column", seq_, what, v);
    return static_cast<std::int64_t>(v);
  }
  Value money(std::optional<std::int64_t> v, std::string_view what) {
    if (!v && error_.empty()) error_ = fmt::format("seq {}: {} does not fit in 64 bits", seq_, what);
    return Money{v.value_or(0)};
  }
  Status finish(std::vector<Row>& out) {
    if (!error_.empty()) return fail(error_);
    for (auto& r : rows_) out.push_back(std::move(r));
    return {};
  }

 private:
  std::uint64_t seq_, cause_seq_;
  std::vector<Row> rows_;
  std::string error_;
};

Value text(std::string_view s) { return std::string(s); }
Value num(std::int64_t v) { return v; }
Value money(std::int64_t v) { return Money{v}; }

}  // namespace

Status add_rows(const EnvelopeHeader& h, const Message& body, const RowOptions& options, std::vector<Row>& out) {
  Rows rows(h.seq, h.cause_seq);
  auto put = [&](TableId t, std::initializer_list<Value> values) {
    Row& r = rows.add(t);
    r.values.insert(r.values.end(), values);
  };
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, Signal>) {
          put(TableId::signals, {num(m.ts_ms), text(utc_day_of_ms(m.ts_ms)), text(m.symbol), text(enum_name(m.direction)),
                                 num(m.confidence_ppm), text(m.model_id), text(m.reason), num(m.interval_s),
                                 num(m.candle_open_time_ms),
                                 m.values.empty() ? Value{Null{}} : text(values_json(m.values)),
                                 m.strategy_id.empty() ? Value{Null{}} : text(m.strategy_id)});
        } else if constexpr (std::is_same_v<T, OrderIntent>) {
          put(TableId::intents, {num(m.ts_ms), rows.id(m.intent_id, "intent id"), text(m.symbol),
                                 text(enum_name(m.side)), text(enum_name(m.type)), money(m.qty), money(m.limit_price),
                                 m.is_exit, text(m.reason), rows.id(m.signal_seq, "candle seq"),
                                 num(m.confidence_ppm), m.votes.empty() ? Value{Null{}} : text(votes_json(m.votes))});
        } else if constexpr (std::is_same_v<T, RiskDecision>) {
          put(TableId::risk_decisions,
              {num(m.ts_ms), rows.id(m.intent_id, "intent id"), text(m.symbol),
               text(enum_name(m.side)), text(enum_name(m.type)), m.approved, money(m.approved_qty),
               money(m.limit_price), text(m.reason_code), text(m.reason), text(enum_name(m.state)), m.is_exit,
               m.checks.empty() ? Value{Null{}} : text(checks_json(m.checks))});
        } else if constexpr (std::is_same_v<T, RiskState>) {
          put(TableId::risk_states, {num(m.ts_ms), text(enum_name(m.state)), text(m.reason), money(m.daily_pnl),
                                     num(m.drawdown_ppm), num(m.orders_last_minute), num(m.trades_today),
                                     num(m.open_positions)});
        } else if constexpr (std::is_same_v<T, OrderRequest>) {
          put(TableId::order_requests,
              {num(m.ts_ms), text(m.client_order_id), rows.id(m.intent_id, "intent id"), text(m.symbol),
               text(enum_name(m.side)), text(enum_name(m.type)), money(m.qty), money(m.limit_price),
               text(enum_name(m.time_in_force)), m.cancel});
        } else if constexpr (std::is_same_v<T, OrderEvent>) {
          put(TableId::order_events,
              {num(m.ts_ms), text(m.client_order_id), text(m.exchange_order_id), rows.id(m.intent_id, "intent id"),
               text(m.symbol), text(enum_name(m.side)), text(enum_name(m.kind)), money(m.fill_qty),
               money(m.fill_price), money(m.cum_qty), money(m.order_qty), money(m.fee), text(m.fee_asset),
               text(enum_name(m.liquidity)), rows.id(m.trade_id, "trade id"), text(m.reason)});
          if (m.fill_qty != 0)
            put(TableId::fills, {num(m.ts_ms), text(utc_day_of_ms(m.ts_ms)), text(m.client_order_id),
                                 rows.id(m.intent_id, "intent id"), text(m.symbol), text(enum_name(m.side)),
                                 money(m.fill_qty), money(m.fill_price),
                                 rows.money(mul_fixed_checked(m.fill_qty, m.fill_price), "the fill's quote amount"),
                                 money(m.fee), text(m.fee_asset), text(enum_name(m.liquidity)),
                                 rows.id(m.trade_id, "trade id")});
        } else if constexpr (std::is_same_v<T, PortfolioState>) {
          const auto exposure = positions_value(m.positions);
          const auto net = narrow_checked(static_cast<__int128>(m.equity) - m.starting_cash);
          put(TableId::portfolio,
              {num(m.ts_ms), text(utc_day_of_ms(m.ts_ms)), text(m.quote_asset), money(m.cash), money(m.equity),
               rows.money(net, "net PnL (equity - starting cash)"), money(m.realized_pnl), money(m.unrealized_pnl),
               money(m.fees), rows.money(exposure, "exposure"), num(m.drawdown_ppm), num(m.max_drawdown_ppm),
               num(static_cast<std::int64_t>(m.positions.size())), num(m.fills), num(m.round_trips),
               num(m.winning_round_trips), money(m.starting_cash), money(m.funding)});
          for (const auto& p : m.positions) {
            const bool perp = is_perpetual(p.symbol);
            put(TableId::positions, {num(m.ts_ms), text(p.symbol), money(p.qty), money(p.avg_entry_price),
                                     money(p.last_price), money(p.unrealized_pnl), money(p.realized_pnl),
                                     perp ? money(p.margin) : Value{Null{}}, perp ? money(p.liquidation_price) : Value{Null{}},
                                     perp ? num(p.leverage) : Value{Null{}}});
          }
        } else if constexpr (std::is_same_v<T, Liquidation>) {
          put(TableId::liquidations,
              {num(m.ts_ms), text(utc_day_of_ms(m.ts_ms)), text(m.symbol), money(m.qty), money(m.entry_price),
               num(m.leverage), money(m.mark_price), money(m.margin), money(m.margin_balance), money(m.maintenance),
               money(m.maintenance_rate), money(m.liquidation_price), money(m.bankruptcy_price), money(m.loss),
               m.cross});
        } else if constexpr (std::is_same_v<T, AccountBalances>) {
          for (const auto& b : m.balances)
            put(TableId::balances, {num(m.ts_ms), text(m.venue), text(b.asset), text(b.symbol), money(b.free),
                                    money(b.locked), money(b.price)});
        } else if constexpr (std::is_same_v<T, Candle>) {
          if (options.candles)
            put(TableId::candles, {text(m.symbol), num(m.interval_s), num(m.open_time_ms), num(m.close_time_ms),
                                   money(m.open), money(m.high), money(m.low), money(m.close), money(m.volume),
                                   money(m.quote_volume), rows.id(m.trades, "trade count"), money(m.vwap),
                                   m.from_exchange});
        } else if constexpr (std::is_same_v<T, ErrorReport>) {
          put(TableId::errors, {num(m.ts_ns), text(actor_name(h.source)), text(m.code), text(m.message),
                                text(m.context), rows.id(m.ref_seq, "ref seq")});
        } else if constexpr (std::is_same_v<T, FeedStatus>) {
          put(TableId::feed_status, {num(m.ts_ns), text(enum_name(m.kind)), text(m.symbol), text(m.stream),
                                     rows.id(m.expected_id, "expected id"), rows.id(m.received_id, "received id"),
                                     text(m.detail)});
        } else if constexpr (std::is_same_v<T, OperatorCommand>) {
          put(TableId::operator_commands,
              {num(m.ts_ns), text(enum_name(m.kind)), text(m.issued_by), text(m.reason)});
        }
        // Market data, clock ticks and risk's internal states beyond the above are the
        // journal's: a read model of decisions does not copy them.
      },
      body);
  return rows.finish(out);
}

std::string utc_day_of_ms(std::int64_t ts_ms) { return format_utc_day(utc_day_number(ts_ms)); }

Row session_row(const journal::SessionInfo& s, std::string mode, std::string strategy, std::string model_id) {
  const bool open = s.end_reason.empty();
  Row r{TableId::sessions, {}};
  r.values = {static_cast<std::int64_t>(s.id),
              static_cast<std::int64_t>(s.start_seq),
              open ? Value(Null{}) : Value(static_cast<std::int64_t>(s.end_seq)),
              s.start_ts_ns,
              open ? Value(Null{}) : Value(s.end_ts_ns),
              open ? Value(Null{}) : Value(s.end_reason),
              s.node_id,
              s.config_hash,
              s.code_version,
              std::move(mode),
              std::move(strategy),
              std::move(model_id)};
  return r;
}

}  // namespace trader::projection
