#include "actors/node/node_status.hpp"

#include <fmt/format.h>

#include "base/time_format.hpp"
#include "messages/fixed_point.hpp"
#include "messages/fixed_point_display.hpp"
#include "messages/message_json.hpp"
#include "messages/type_registry.hpp"
#include "messages/enum_names.hpp"

namespace trader::node {
namespace {
const char* state_name(TradingState s) {
  return s == TradingState::halted ? "halted" : s == TradingState::reducing ? "reducing" : "active";
}
const char* feed_kind_name(FeedStatusKind k) {
  switch (k) {
    case FeedStatusKind::connected: return "connected";
    case FeedStatusKind::disconnected: return "disconnected";
    case FeedStatusKind::gap: return "gap";
    case FeedStatusKind::reconnecting: return "reconnecting";
    case FeedStatusKind::end_of_data: return "end_of_data";
    case FeedStatusKind::history: return "history";
  }
  return "unknown";
}
// Prometheus label values: backslash, double quote and newline escaped.
std::string label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}
}  // namespace

void Histogram::add(double seconds) {
  for (std::size_t i = 0; i < kBounds.size(); ++i)
    if (seconds <= kBounds[i]) ++counts_[i];
  ++count_;
  sum_ += seconds;
}

void Histogram::render(std::string& out, const std::string& name, const std::string& help) const {
  out += fmt::format("# HELP {} {}\n# TYPE {} histogram\n", name, help, name);
  for (std::size_t i = 0; i < kBounds.size(); ++i)
    out += fmt::format("{}_bucket{{le=\"{}\"}} {}\n", name, kBounds[i], counts_[i]);
  out += fmt::format("{}_bucket{{le=\"+Inf\"}} {}\n{}_sum {}\n{}_count {}\n", name, count_, name, sum_, name, count_);
}

bool NodeStatus::wants(std::uint16_t type_id) {
  switch (type_id) {
    case PortfolioState::kTypeId:
    case RiskState::kTypeId:
    case RiskDecision::kTypeId:
    case OrderRequest::kTypeId:
    case OrderEvent::kTypeId:
    case FeedStatus::kTypeId:
    case ErrorReport::kTypeId:
    case AccountBalances::kTypeId: return true;
    default: return false;
  }
}

void NodeStatus::restore(std::uint64_t last_seq, const PortfolioState& portfolio, const RiskState& risk,
                         std::map<std::string, OrderRequest> open_orders) {
  last_seq_ = last_seq;
  on_portfolio(portfolio);
  risk_ = risk;
  open_orders_ = std::move(open_orders);
}

void NodeStatus::on_portfolio(const PortfolioState& p) {
  portfolio_ = p;
  have_portfolio_ = true;
  // The curve keeps a point per step of data time; when full, every other point goes and
  // the step doubles, so a day or a year both fit in kEquityPoints.
  if (equity_.empty() || p.ts_ms - equity_.back().ts_ms >= equity_step_ms_) {
    equity_.push_back({p.ts_ms, p.equity, p.drawdown_ppm});
    if (equity_.size() > kEquityPoints) {
      std::size_t kept = 0;
      for (std::size_t i = 0; i < equity_.size(); i += 2) equity_[kept++] = equity_[i];
      equity_.resize(kept);
      equity_step_ms_ *= 2;
    }
  }
  const std::int64_t day = utc_day_number(p.ts_ms);
  if (day != day_) {
    day_ = day;
    day_start_pnl_ = pnl(p);
  }
}

// Equity less the capital it started from: capital the venue's account adds (or a holding
// valued at its first price) moves both, so it is never reported as profit.
std::int64_t NodeStatus::pnl(const PortfolioState& p) { return p.equity - p.starting_cash; }

void NodeStatus::on_message(std::uint64_t seq, std::uint16_t type_id, const Message* body) {
  last_seq_ = seq;
  ++messages_[type_id];
  if (!body) return;
  if (const auto* p = std::get_if<PortfolioState>(body)) {
    on_portfolio(*p);
  } else if (const auto* r = std::get_if<RiskState>(body)) {
    risk_ = *r;
  } else if (const auto* d = std::get_if<RiskDecision>(body)) {
    if (!d->approved) ++rejects_[d->reason_code];
    decisions_.push_front({seq, *d});
    if (decisions_.size() > kDecisions) decisions_.pop_back();
  } else if (const auto* o = std::get_if<OrderRequest>(body)) {
    if (!o->cancel) open_orders_[o->client_order_id] = *o;
  } else if (const auto* e = std::get_if<OrderEvent>(body)) {
    if (ends_order(e->kind)) open_orders_.erase(e->client_order_id);
  } else if (const auto* b = std::get_if<AccountBalances>(body)) {
    start_account_ = *b;
    awaiting_price_.clear();
    for (const auto& a : b->balances) {  // held beyond what the journal knew: valued at the venue's or the first price
      if (a.symbol.empty()) continue;
      std::int64_t known = 0;
      for (const auto& p : portfolio_.positions)
        if (p.symbol == a.symbol) known = p.qty;
      if (a.free + a.locked > known) awaiting_price_.insert(a.symbol);
    }
  } else if (const auto* er = std::get_if<ErrorReport>(body)) {
    if (er->code == "holding_valued_at_start_price") awaiting_price_.erase(er->context);
    if (er->code.rfind("venue_", 0) == 0) {
      ++venue_errors_[er->code];
      last_venue_error_ = er->code + ": " + er->message;
    }
  } else if (const auto* f = std::get_if<FeedStatus>(body)) {
    feed_ = *f;
    have_feed_ = true;
    if (f->kind == FeedStatusKind::gap) ++gaps_;
  }
}

std::string NodeStatus::health_json() const {
  std::uint64_t venue_errors = 0;
  for (const auto& [code, n] : venue_errors_) venue_errors += n;
  const auto limited = venue_errors_.find("venue_rate_limited");
  return fmt::format(R"({{"status":"ok","node_id":{},"session":{},"last_seq":{},"feed":"{}","journal":{{"uncommitted":{},"free_bytes":{}}},)"
                     R"("exchange":{{"mode":"{}","errors":{},"rate_limited":{},"last_error":{}}}}})",
                     to_json_string(node_id_), session_id_, last_seq_,
                     feed_done_ ? "ended" : have_feed_ ? feed_kind_name(feed_.kind) : "receiving", uncommitted_,
                     journal_free_, order_mode_, venue_errors, limited == venue_errors_.end() ? 0 : limited->second,
                     to_json_string(last_venue_error_));
}

std::string NodeStatus::status_json() const {
  std::string out = "{";
  out += fmt::format(R"("node_id":{},"session":{},"model_id":{},"trading_state":"{}","risk_reason":{},)",
                     to_json_string(node_id_), session_id_, to_json_string(model_id_), state_name(risk_.state),
                     to_json_string(risk_.reason));
  out += fmt::format(R"("last_seq":{},"journal_lag":{},"queues":{{"internal":{},"external":{}}},)", last_seq_,
                     uncommitted_, internal_, external_);
  out += fmt::format(R"("feed":{{"status":"{}","gaps":{}}},)",
                     feed_done_ ? "ended" : have_feed_ ? feed_kind_name(feed_.kind) : "receiving", gaps_);
  const std::string q = to_json_string(portfolio_.quote_asset);
  out += fmt::format(R"("quote_asset":{},"equity":"{}","cash":"{}","pnl_today":"{}","realized_pnl":"{}","unrealized_pnl":"{}",)",
                     q, format_fixed(portfolio_.equity), format_fixed(portfolio_.cash),
                     format_fixed(have_portfolio_ ? pnl(portfolio_) - day_start_pnl_ : 0),
                     format_fixed(portfolio_.realized_pnl), format_fixed(portfolio_.unrealized_pnl));
  out += fmt::format(R"("fees":"{}","drawdown":{},"max_drawdown":{},)", format_fixed(portfolio_.fees),
                     portfolio_.drawdown_ppm / 1e6, portfolio_.max_drawdown_ppm / 1e6);
  // Where the starting capital came from: the venue's account (testnet, live) or the config.
  out += fmt::format(R"("starting_capital":"{}","starting_state":{{"from":"{}")", format_fixed(portfolio_.starting_cash),
                     start_account_ ? "venue" : "config");
  if (start_account_) {
    out += fmt::format(R"(,"venue":{},"balances":[)", to_json_string(start_account_->venue));
    bool first_balance = true;
    for (const auto& a : start_account_->balances) {
      out += fmt::format(R"({}{{"asset":{},"free":"{}","locked":"{}")", first_balance ? "" : ",",
                         to_json_string(a.asset), format_fixed(a.free), format_fixed(a.locked));
      if (a.price > 0) out += fmt::format(R"(,"price":"{}")", format_fixed(a.price));
      out += "}";
      first_balance = false;
    }
    out += R"(],"awaiting_first_price":[)";
    bool first_symbol = true;
    for (const auto& symbol : awaiting_price_) {
      out += fmt::format("{}{}", first_symbol ? "" : ",", to_json_string(symbol));
      first_symbol = false;
    }
    out += "]";
  }
  out += R"(},"positions":[)";
  bool first = true;
  for (const auto& p : portfolio_.positions) {
    out += fmt::format(R"({}{{"symbol":{},"qty":"{}","avg_entry_price":"{}","last_price":"{}","unrealized_pnl":"{}"}})",
                       first ? "" : ",", to_json_string(p.symbol), format_fixed(p.qty), format_fixed(p.avg_entry_price),
                       format_fixed(p.last_price), format_fixed(p.unrealized_pnl));
    first = false;
  }
  out += R"(],"open_orders":[)";
  first = true;
  for (const auto& [id, o] : open_orders_) {
    out += fmt::format(R"({}{{"client_order_id":{},"symbol":{},"side":"{}","qty":"{}"}})", first ? "" : ",",
                       to_json_string(id), to_json_string(o.symbol), enum_name(o.side),
                       format_fixed(o.qty));
    first = false;
  }
  return out + "]}";
}

std::string NodeStatus::dashboard_json() const {
  // Drawdown and open positions are the portfolio's now (what risk reads too); the daily
  // loss and the order counts are risk's own, as of its last state report (risk_as_of_ms).
  std::string out = fmt::format(R"({{"status":{},"health":{},"data_time_ms":{},"risk_as_of_ms":{},"limits":[)",
                                status_json(), health_json(), portfolio_.ts_ms, risk_.ts_ms);
  // name, used, limit (as shown), and the share of the limit used (0..1, beyond at a breach)
  auto limit = [&](const char* name, const std::string& used, const std::string& of, double share, bool first) {
    out += fmt::format(R"({}{{"name":"{}","used":{},"limit":{},"share":{:.4f}}})", first ? "" : ",", name,
                       to_json_string(used), to_json_string(of), share);
  };
  auto share = [](double used, double of) { return of > 0 ? used / of : 0.0; };
  const std::int64_t loss = std::max<std::int64_t>(0, -risk_.daily_pnl);
  limit("daily loss", format_fixed(loss), format_fixed(limits_.max_daily_loss),
        share(static_cast<double>(loss), static_cast<double>(limits_.max_daily_loss)), true);
  limit("drawdown", fmt::format("{:.2f}%", portfolio_.drawdown_ppm / 1e4),
        fmt::format("{:.2f}%", limits_.max_drawdown_ppm / 1e4), share(portfolio_.drawdown_ppm, limits_.max_drawdown_ppm),
        false);
  limit("orders in the last minute", std::to_string(risk_.orders_last_minute), std::to_string(limits_.max_orders_per_minute),
        share(risk_.orders_last_minute, limits_.max_orders_per_minute), false);
  limit("trades today", std::to_string(risk_.trades_today), std::to_string(limits_.max_trades_per_day),
        share(risk_.trades_today, limits_.max_trades_per_day), false);
  limit("open positions", std::to_string(portfolio_.positions.size()), std::to_string(limits_.max_open_positions),
        share(static_cast<double>(portfolio_.positions.size()), limits_.max_open_positions), false);
  out += R"(],"decisions":[)";
  bool first = true;
  for (const auto& [seq, d] : decisions_) {
    out += fmt::format(R"({}{{"seq":{},"ts_ms":{},"symbol":{},"side":"{}","qty":"{}","approved":{},"reason_code":{},"reason":{}}})",
                       first ? "" : ",", seq, d.ts_ms, to_json_string(d.symbol), enum_name(d.side),
                       format_fixed(d.approved_qty), d.approved, to_json_string(d.reason_code), to_json_string(d.reason));
    first = false;
  }
  out += R"(],"equity":[)";
  first = true;
  auto point = [&](std::int64_t ts, std::int64_t equity, std::uint32_t dd) {
    out += fmt::format(R"({}[{},"{}",{}])", first ? "" : ",", ts, format_fixed(equity), dd);
    first = false;
  };
  for (const auto& p : equity_) point(p.ts_ms, p.equity, p.drawdown_ppm);
  if (have_portfolio_ && (equity_.empty() || equity_.back().ts_ms != portfolio_.ts_ms))
    point(portfolio_.ts_ms, portfolio_.equity, portfolio_.drawdown_ppm);  // the latest state, always
  return out + "]}";
}

std::string NodeStatus::metrics_text() const {
  std::string out;
  out += "# HELP trader_messages_total Messages journaled, by type.\n# TYPE trader_messages_total counter\n";
  for (const auto& [type, n] : messages_) {
    const TypeInfo* t = find_type(type);
    out += fmt::format("trader_messages_total{{type=\"{}\"}} {}\n", label(t ? t->name : "unknown"), n);
  }
  out += "# HELP trader_last_seq The last journal seq.\n# TYPE trader_last_seq gauge\n";
  out += fmt::format("trader_last_seq {}\n", last_seq_);
  out += "# HELP trader_queue_depth Messages waiting in the sequencer.\n# TYPE trader_queue_depth gauge\n";
  out += fmt::format("trader_queue_depth{{queue=\"internal\"}} {}\ntrader_queue_depth{{queue=\"external\"}} {}\n", internal_, external_);
  out += "# HELP trader_journal_uncommitted Records appended but not yet committed.\n# TYPE trader_journal_uncommitted gauge\n";
  out += fmt::format("trader_journal_uncommitted {}\n", uncommitted_);
  out += "# HELP trader_journal_free_bytes Room the journal may still grow by (its size cap or its filesystem).\n# TYPE trader_journal_free_bytes gauge\n";
  out += fmt::format("trader_journal_free_bytes {}\n", journal_free_);
  commit_.render(out, "trader_journal_commit_seconds", "Duration of journal group commits.");
  tick_to_order_.render(out, "trader_tick_to_order_seconds", "From a market-data message entering the node to the order request it caused.");
  out += "# HELP trader_equity Equity in the quote asset.\n# TYPE trader_equity gauge\n";
  out += fmt::format("trader_equity {}\n", fixed_to_double(portfolio_.equity));
  out += "# HELP trader_pnl_today Net PnL (equity less starting capital) since the first portfolio state of the UTC day.\n# TYPE trader_pnl_today gauge\n";
  out += fmt::format("trader_pnl_today {}\n", have_portfolio_ ? fixed_to_double(pnl(portfolio_) - day_start_pnl_) : 0.0);
  out += "# HELP trader_realized_pnl Realized PnL of the session.\n# TYPE trader_realized_pnl gauge\n";
  out += fmt::format("trader_realized_pnl {}\n", fixed_to_double(portfolio_.realized_pnl));
  out += "# HELP trader_drawdown_ratio Drawdown from peak equity (0..1).\n# TYPE trader_drawdown_ratio gauge\n";
  out += fmt::format("trader_drawdown_ratio {}\n", portfolio_.drawdown_ppm / 1e6);
  out += "# HELP trader_open_positions Positions held.\n# TYPE trader_open_positions gauge\n";
  out += fmt::format("trader_open_positions {}\n", portfolio_.positions.size());
  out += "# HELP trader_trading_state 0 active, 1 reducing, 2 halted.\n# TYPE trader_trading_state gauge\n";
  out += fmt::format("trader_trading_state {}\n", static_cast<int>(risk_.state));
  out += "# HELP trader_rejects_total Intents rejected by risk, by reason code.\n# TYPE trader_rejects_total counter\n";
  for (const auto& [reason, n] : rejects_) out += fmt::format("trader_rejects_total{{reason=\"{}\"}} {}\n", label(reason), n);
  out += "# HELP trader_venue_errors_total Venue gateway error records (rate limits, timeouts, unreachable, reconciliation), by code.\n"
         "# TYPE trader_venue_errors_total counter\n";
  for (const auto& [code, n] : venue_errors_) out += fmt::format("trader_venue_errors_total{{code=\"{}\"}} {}\n", label(code), n);
  return out;
}

}  // namespace trader::node
