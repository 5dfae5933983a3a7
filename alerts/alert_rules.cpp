#include "alerts/alert_rules.hpp"

#include <fmt/format.h>

#include "base/time_format.hpp"
#include "messages/fixed_point.hpp"
#include "messages/fixed_point_display.hpp"

namespace trader::alerts {
namespace {

std::string stream_of(const FeedStatus& f) {
  if (f.stream.empty()) return f.symbol.empty() ? "market data" : f.symbol;
  return f.symbol.empty() ? f.stream : f.symbol + " " + f.stream;
}

}  // namespace

std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::info: return "info";
    case Severity::warning: return "warning";
    case Severity::critical: return "critical";
  }
  return "?";
}

bool AlertRules::wants(std::uint16_t type_id) {
  return type_id == RiskState::kTypeId || type_id == ErrorReport::kTypeId || type_id == FeedStatus::kTypeId ||
         type_id == ClockTick::kTypeId || type_id == OrderEvent::kTypeId || type_id == PortfolioState::kTypeId ||
         type_id == Liquidation::kTypeId;
}

void AlertRules::on_record(std::uint64_t seq, const Message& message, std::vector<Alert>& out) {
  if (const auto* r = std::get_if<RiskState>(&message)) {
    if (r->state == trading_) return;
    const std::int64_t at = r->ts_ms * 1'000'000;
    switch (r->state) {
      case TradingState::halted: out.push_back({Severity::critical, "halted", "HALTED: " + r->reason, seq, at}); break;
      case TradingState::reducing:
        out.push_back({Severity::warning, "reducing", "REDUCING: " + r->reason, seq, at});
        break;
      case TradingState::active:
        out.push_back({Severity::info, "active", "ACTIVE again" + (r->reason.empty() ? "" : ": " + r->reason), seq, at});
        break;
    }
    trading_ = r->state;
  } else if (const auto* e = std::get_if<ErrorReport>(&message)) {
    if (e->code == "venue_rate_limited") {
      out.push_back({Severity::warning, "rate_limited", "venue rate limit: " + e->message, seq, e->ts_ns});
    } else if (e->code.rfind("venue_", 0) == 0) {
      out.push_back({Severity::warning, "venue_error", e->code + ": " + e->message, seq, e->ts_ns});
    } else if (e->code == "feed_error" || e->code == "capture_read_error") {
      out.push_back({Severity::critical, "feed_failed", "the market feed failed: " + e->message, seq, e->ts_ns});
    }
  } else if (const auto* f = std::get_if<FeedStatus>(&message)) {
    const std::string stream = stream_of(*f);
    if (f->kind == FeedStatusKind::disconnected || f->kind == FeedStatusKind::reconnecting) {
      // A down feed journals each failed attempt to come back: those records (or the
      // clock ticks) tell how long it has been down.
      auto& d = down_.try_emplace(stream, Down{f->ts_ns, false}).first->second;
      announce_if_long(stream, d, seq, f->ts_ns, out);
    } else if (f->kind == FeedStatusKind::connected) {
      auto it = down_.find(stream);
      if (it == down_.end()) return;
      if (it->second.announced)
        out.push_back({Severity::info, "feed_back",
                       fmt::format("feed {} connected again after {} s", stream, (f->ts_ns - it->second.since_ns) / 1'000'000'000),
                       seq, f->ts_ns});
      down_.erase(it);
    }
  } else if (const auto* t = std::get_if<ClockTick>(&message)) {
    // The journal's clock judges how long a feed has been down: a replay raises the same.
    for (auto& [stream, d] : down_) announce_if_long(stream, d, seq, t->ts_ns, out);
  } else if (const auto* o = std::get_if<OrderEvent>(&message)) {
    if (!config_.fills || o->fill_qty == 0) return;
    out.push_back({Severity::info, "fill",
                   fmt::format("fill: {} {} {} at {} (order {}, fee {} {})", o->side == Side::buy ? "BUY" : "SELL",
                               format_fixed(o->fill_qty), o->symbol, format_fixed(o->fill_price), o->client_order_id,
                               format_fixed(o->fee), o->fee_asset),
                   seq, o->ts_ms * 1'000'000});
  } else if (const auto* l = std::get_if<Liquidation>(&message)) {
    // Always: a position the venue closed is money lost that no order of ours decided.
    out.push_back({Severity::critical, "liquidated",
                   fmt::format("LIQUIDATED: {} {} {} at mark {} (liquidation price {}{}), loss {}",
                               l->qty > 0 ? "long" : "short", format_fixed(quantity_size(l->qty)), l->symbol,
                               format_fixed(l->mark_price), format_fixed(l->liquidation_price),
                               l->cross ? ", cross margin" : "", format_fixed(l->loss)),
                   seq, l->ts_ms * 1'000'000});
  } else if (const auto* p = std::get_if<PortfolioState>(&message)) {
    if (!config_.daily_summary) return;
    if (auto done = days_.add(seq, *p)) day_summary(*done, false, out);
  }
}

void AlertRules::announce_if_long(const std::string& stream, Down& d, std::uint64_t seq, std::int64_t now_ns,
                                  std::vector<Alert>& out) const {
  if (d.announced || now_ns - d.since_ns < config_.feed_down_after_s * 1'000'000'000) return;
  d.announced = true;
  out.push_back({Severity::warning, "feed_down",
                 fmt::format("feed {} down for {} s (since {})", stream, (now_ns - d.since_ns) / 1'000'000'000,
                             format_utc_ns(d.since_ns)),
                 seq, now_ns});
}

void AlertRules::day_summary(const DayResult& day, bool partial, std::vector<Alert>& out) const {
  const PortfolioState& p = day.last;
  out.push_back({Severity::info, "daily_summary",
                 fmt::format("{}{}: PnL {} {} (net since start {}), equity {}, {} fills, {} open positions, "
                             "drawdown up to {:.2f}%",
                             format_utc_day(day.day), partial ? " so far" : "", format_checked(day.pnl), p.quote_asset,
                             format_checked(DayBook::net_of(p)), format_fixed(p.equity), day.fills, p.positions.size(),
                             day.max_drawdown_ppm / 1e4),
                 day.last_seq, p.ts_ms * 1'000'000});
}

void AlertRules::on_journal_space(std::uint64_t left_bytes, std::uint64_t min_free_bytes, std::int64_t time_ns,
                                  std::vector<Alert>& out) {
  // Warned once when under twice the halting threshold; again only after room was made.
  if (!space_low_ && left_bytes < 2 * min_free_bytes) {
    space_low_ = true;
    out.push_back({Severity::critical, "journal_near_full",
                   fmt::format("journal near full: {} MiB left, trading halts below {} MiB", left_bytes >> 20,
                               min_free_bytes >> 20),
                   0, time_ns});
  } else if (space_low_ && left_bytes >= 4 * min_free_bytes) {
    space_low_ = false;
  }
}

void AlertRules::on_end(std::string_view reason, bool failed, std::vector<Alert>& out) {
  const auto today = days_.current();
  if (config_.daily_summary && today) day_summary(*today, true, out);
  if (failed)
    out.push_back({Severity::critical, "session_failed", fmt::format("the session ended: {}", reason), 0,
                   today ? today->last.ts_ms * 1'000'000 : 0});
}

}  // namespace trader::alerts
