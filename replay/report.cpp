#include "replay/report.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "actors/portfolio/portfolio_core.hpp"
#include "base/time_format.hpp"
#include "journal/journal.hpp"
#include "messages/fixed_point.hpp"
#include "messages/fixed_point_display.hpp"

namespace trader::replay {

Result<std::optional<SessionReport>> build_report(journal::Reader& reader, const std::string& dir) {
  auto sessions = reader.sessions();
  if (!sessions) return tl::unexpected(sessions.error());
  auto cursor = reader.scan();
  if (!cursor) return tl::unexpected(cursor.error());
  SessionReport r;
  r.dir = dir;
  r.stats.dir = dir;
  r.sessions = sessions->size();
  StatsBuilder stats;
  DayBook days;
  StrategyBook strategies;  // who decided what, and whose positions made which PnL
  std::map<std::pair<std::string, std::uint32_t>, std::vector<PricePoint>> candles;
  for (;;) {
    auto rec = cursor->next();
    if (!rec) return tl::unexpected(rec.error());
    if (*rec == nullptr) break;
    const auto& h = (*rec)->header;
    if (h.type_id != Candle::kTypeId && !StrategyBook::reads(h.type_id)) continue;
    auto body = (*rec)->decode();
    if (!body) return fail(fmt::format("{}: seq {}: {}", dir, h.seq, body.error().message));
    strategies.add(h, *body);
    if (const auto* c = std::get_if<Candle>(&*body)) {
      candles[{c->symbol, c->interval_s}].push_back({c->close_time_ms, c->close});
    } else if (const auto* s = std::get_if<Signal>(&*body)) {
      if (r.stats.model_id.empty()) r.stats.model_id = s->model_id;
    } else if (const auto* e = std::get_if<OrderEvent>(&*body)) {
      if (e->fill_qty != 0)
        r.fills.push_back({h.seq, e->ts_ms, e->symbol, e->client_order_id, e->fee_asset, e->side, e->fill_qty,
                           e->fill_price, e->fee});
    } else if (const auto* p = std::get_if<PortfolioState>(&*body)) {
      stats.add(*p);
      r.drawdown.emplace_back(p->ts_ms, p->drawdown_ppm);
      if (auto done = days.add(h.seq, *p)) r.days.push_back(std::move(*done));
    }
  }
  if (stats.empty()) return std::nullopt;
  stats.finish(r.stats);
  r.last = stats.last();
  r.unvalued_fees = unvalued_fees(r.fills, r.last.quote_asset);
  if (auto today = days.current()) r.days.push_back(std::move(*today));
  for (auto& [key, points] : candles) {  // each symbol at its shortest interval
    const auto& [symbol, interval] = key;
    auto it = r.price_interval_s.find(symbol);
    if (it != r.price_interval_s.end() && it->second <= interval) continue;
    r.price_interval_s[symbol] = interval;
    r.prices[symbol] = std::move(points);
  }
  r.strategies = strategies.results();
  r.stats.strategy_ids = strategies.strategy_ids();
  return r;
}

std::string nothing_to_report(const std::string& dir) {
  return fmt::format("journal {} has no portfolio state to report on", dir);
}

Result<SessionReport> build_report(const std::string& dir) {
  auto reader = journal::Reader::open(dir);
  if (!reader) return tl::unexpected(reader.error());
  auto report = build_report(**reader, dir);
  if (!report) return tl::unexpected(report.error());
  if (!*report) return fail(nothing_to_report(dir));
  return std::move(**report);
}

std::map<std::string, UnvaluedFees> unvalued_fees(const std::vector<ReportFill>& fills, const std::string& quote_asset) {
  std::map<std::string, UnvaluedFees> by_asset;
  for (const auto& f : fills) {
    if (f.fee == 0 ||
        PortfolioCore::fee_booking(f.symbol, f.fee_asset, quote_asset) != PortfolioCore::FeeBooking::unvalued)
      continue;
    auto& u = by_asset[f.fee_asset];
    u.amount = u.amount ? add_checked(*u.amount, f.fee) : std::nullopt;
    ++u.fills;
  }
  return by_asset;
}

std::optional<std::int64_t> unlisted_unrealized(const PortfolioState& last) {
  __int128 listed = 0;
  for (const auto& pos : last.positions) listed += pos.unrealized_pnl;
  return narrow_checked(static_cast<__int128>(last.unrealized_pnl) - listed);
}

namespace {
// What is open at the end, one line a position, then what no position lists.
std::string open_at_end_text(const PortfolioState& p) {
  std::string out = fmt::format("open at the end ({})\n", format_utc_ms(p.ts_ms));
  if (p.positions.empty() && p.unrealized_pnl == 0) return out + "  nothing\n";
  for (const auto& pos : p.positions)
    out += fmt::format("  {}: {} at {}, marked {}, unrealized {}{}\n", pos.symbol, format_fixed(pos.qty),
                       format_fixed(pos.avg_entry_price), format_fixed(pos.last_price), format_fixed(pos.unrealized_pnl),
                       pos.leverage == 0 ? std::string()
                       : pos.liquidation_price > 0
                           ? fmt::format(" ({}x, liquidation at {})", pos.leverage, format_fixed(pos.liquidation_price))
                           : fmt::format(" ({}x)", pos.leverage));  // 0: its contract's brackets are not known
  const auto rest = unlisted_unrealized(p);
  if (!rest || *rest != 0) out += fmt::format("  not a position (dust below one lot, or oversold): unrealized {}\n", format_checked(rest));
  return out;
}
}  // namespace

std::string render_report_text(const SessionReport& r) {
  const auto& s = r.stats;
  const auto& p = r.last;
  std::string out = fmt::format("journal {} ({} session(s), {})\n", r.dir, r.sessions, decided_by(s));
  out += fmt::format("  net PnL       {} {} (realized {}, unrealized {}), fees {}{}\n", format_checked(DayBook::net_of(p)),
                     p.quote_asset, format_fixed(p.realized_pnl), format_fixed(p.unrealized_pnl), format_fixed(p.fees),
                     p.funding != 0 ? ", funding " + format_fixed(p.funding) : std::string());
  for (const auto& [asset, u] : r.unvalued_fees)
    out += fmt::format("  fees not valued {} {} ({} fill(s)): left out of the fees and the PnL above\n",
                       format_checked(u.amount), asset, u.fills);
  out += fmt::format("  equity        {} (started with {})\n", format_fixed(p.equity), format_fixed(p.starting_cash));
  out += fmt::format("  trades        {} fills, {} round trips, win rate {}\n", s.fills, s.round_trips, win_rate_text(s));
  out += fmt::format("  risk          max drawdown {:.2f}%, Sharpe {} (hourly, x sqrt(8760)), exposure {:.1f}%\n",
                     s.max_drawdown * 100, sharpe_text(s), s.exposure * 100);
  out += open_at_end_text(p);
  out += "by day (UTC, data time)\n";
  out += fmt::format("  {:<10} {:>16} {:>14} {:>6} {:>6} {:>5} {:>9} {:>18}\n", "day", "PnL", "fees", "fills", "trips",
                     "wins", "drawdown", "equity at the end");
  for (const auto& d : r.days)
    out += fmt::format("  {:<10} {:>16} {:>14} {:>6} {:>6} {:>5} {:>8.2f}% {:>18}\n", format_utc_day(d.day), format_checked(d.pnl),
                       format_fixed(d.fees), d.fills, d.round_trips, d.wins, d.max_drawdown_ppm / 1e4,
                       format_fixed(d.last.equity));
  out += "by strategy\n";
  for (const auto& st : r.strategies)
    out += fmt::format("  {}: {} signals, {} intents, {} approved, {} refused, {} fills, fees {}; net PnL {} "
                       "(realized {}, unrealized {}{})\n",
                       st.strategy, st.signals, st.intents, st.approved, st.refused, st.fills, format_fixed(st.fees),
                       format_checked(st.net()), format_fixed(st.realized), format_fixed(st.unrealized),
                       st.funding != 0 ? ", funding " + format_fixed(st.funding) : std::string());
  return out;
}

}  // namespace trader::replay
