#include <algorithm>

#include <fmt/format.h>

#include "base/time_format.hpp"
#include "messages/fixed_point.hpp"
#include "messages/fixed_point_display.hpp"
#include "replay/html.hpp"
#include "replay/report.hpp"
#include "messages/enum_names.hpp"

namespace trader::replay {
namespace {

constexpr double kChartWidth = 960, kChartLeft = 90, kChartRight = 20;
constexpr std::size_t kMaxFillRows = 1000;
std::string svg_open(double h, const char* label) {
  return fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" viewBox="0 0 {} {}" role="img" aria-label="{}">)",
                     kChartWidth, h, kChartWidth, h, label) + "\n";
}

// Equity above, drawdown below, on one time axis.
std::string equity_svg(const SessionReport& r) {
  const auto& eq = r.stats.equity;
  if (eq.size() < 2) return "<p>Too few portfolio states to plot.</p>\n";
  std::vector<std::pair<std::int64_t, double>> equity, drawdown;
  double lo = eq.front().equity, hi = lo, worst = 0;
  for (const auto& p : eq) {
    equity.emplace_back(p.ts_ms, p.equity);
    lo = std::min(lo, p.equity);
    hi = std::max(hi, p.equity);
  }
  for (const auto& [ts, ppm] : r.drawdown) {
    drawdown.emplace_back(ts, -static_cast<double>(ppm) / 1e4);
    worst = std::max(worst, ppm / 1e4);
  }
  const std::int64_t t0 = eq.front().ts_ms, t1 = eq.back().ts_ms;
  std::string out = svg_open(470, "equity and drawdown");
  const PlotFrame top(kChartLeft, 20, kChartWidth - kChartLeft - kChartRight, 260, t0, t1, lo, hi);
  out += top.grid("{:.2f}") + top.polyline(equity, "#1f77b4");
  const PlotFrame bottom(kChartLeft, 330, kChartWidth - kChartLeft - kChartRight, 100, t0, t1, -worst, 0);
  out += bottom.grid("{:.2f}%") + bottom.polyline(drawdown, "#d62728");
  out += fmt::format(R"(<text x="{}" y="14" font-size="12" fill="#1f77b4">equity ({})</text>)", kChartLeft,
                     html_escape(r.last.quote_asset));
  out += fmt::format(R"(<text x="{}" y="324" font-size="12" fill="#d62728">drawdown from the peak</text>)", kChartLeft);
  return out + "\n</svg>\n";
}

// The symbol's price (its shortest candles' closes) with each fill on it: buys as green
// triangles pointing up, sells as red ones pointing down.
std::string price_svg(const SessionReport& r, const std::string& symbol, const std::vector<PricePoint>& prices) {
  std::vector<std::pair<std::int64_t, double>> line;
  double lo = 1e300, hi = -1e300;
  for (const auto& p : prices) {
    line.emplace_back(p.ts_ms, fixed_to_double(p.close));
    lo = std::min(lo, fixed_to_double(p.close));
    hi = std::max(hi, fixed_to_double(p.close));
  }
  std::size_t n = 0;
  for (const auto& f : r.fills)
    if (f.symbol == symbol) {
      lo = std::min(lo, fixed_to_double(f.price));
      hi = std::max(hi, fixed_to_double(f.price));
      ++n;
    }
  if (line.size() < 2) return fmt::format("<p>{}: too few candles to plot.</p>\n", html_escape(symbol));
  std::string out = svg_open(360, "price and fills");
  const PlotFrame frame(kChartLeft, 20, kChartWidth - kChartLeft - kChartRight, 300, line.front().first, line.back().first, lo, hi);
  out += frame.grid("{:.2f}") + frame.polyline(line, "#555");
  for (const auto& f : r.fills) {
    if (f.symbol != symbol) continue;
    const double x = frame.x(f.ts_ms), y = frame.y(fixed_to_double(f.price));
    const bool buy = f.side == Side::buy;
    out += fmt::format(R"(<path class="fill {}" d="M{:.1f},{:.1f} l-4,{} l8,0 z" fill="{}"><title>seq {}: {} {} at {}</title></path>)",
                       buy ? "buy" : "sell", x, y, buy ? 7 : -7, buy ? "#2ca02c" : "#d62728", f.seq,
                       buy ? "buy" : "sell", format_fixed(f.qty), format_fixed(f.price));
    out += "\n";
  }
  out += fmt::format(R"(<text x="{}" y="14" font-size="12">{} ({} candles of {} s; {} fills: green buys, red sells)</text>)",
                     kChartLeft, html_escape(symbol), prices.size(), r.price_interval_s.at(symbol), n);
  return out + "\n</svg>\n";
}

std::string row(std::initializer_list<std::string> cells, const char* tag = "td") {
  std::string out = "<tr>";
  for (const auto& c : cells) out += fmt::format("<{0}>{1}</{0}>", tag, html_escape(c));
  return out + "</tr>\n";
}

}  // namespace

std::string render_report_html(const SessionReport& r) {
  const auto& s = r.stats;
  const auto& p = r.last;
  std::string h = html_head("session report", "td{font-variant-numeric:tabular-nums}");
  h += "<h1>Session report</h1>\n";
  h += fmt::format("<p>journal {} &middot; {} session(s) &middot; {} &middot; {} to {} (UTC, data time)</p>\n",
                   html_escape(r.dir), r.sessions, html_escape(decided_by(s)),
                   html_escape(s.equity.empty() ? "" : utc_minute(s.equity.front().ts_ms)),
                   html_escape(s.equity.empty() ? "" : utc_minute(s.equity.back().ts_ms)));
  h += "<table id=\"summary\">\n";
  h += row({"net PnL", format_checked(DayBook::net_of(p)) + " " + p.quote_asset});
  h += row({"realized / unrealized", format_fixed(p.realized_pnl) + " / " + format_fixed(p.unrealized_pnl)});
  h += row({"fees", format_fixed(p.fees)});
  for (const auto& [asset, u] : r.unvalued_fees)
    h += row({"fees not valued (left out of the fees and the PnL)",
              fmt::format("{} {} ({} fill(s))", format_checked(u.amount), asset, u.fills)});
  h += row({"equity at the end", format_fixed(p.equity) + " (started with " + format_fixed(p.starting_cash) + ")"});
  h += row({"fills, round trips, win rate", fmt::format("{}, {}, {}", s.fills, s.round_trips, win_rate_text(s))});
  h += row({"max drawdown", fmt::format("{:.2f}%", s.max_drawdown * 100)});
  h += row({"Sharpe (hourly returns, x sqrt(8760))", sharpe_text(s)});
  h += row({"exposure (share of time in a position)", fmt::format("{:.1f}%", s.exposure * 100)});
  h += "</table>\n<h2>Open at the end</h2>\n<table id=\"open\">\n";
  h += row({"symbol", "qty", "entry", "mark", "unrealized", "leverage", "liquidation at"}, "th");
  for (const auto& pos : p.positions)
    h += row({pos.symbol, format_fixed(pos.qty), format_fixed(pos.avg_entry_price), format_fixed(pos.last_price),
              format_fixed(pos.unrealized_pnl), pos.leverage == 0 ? "" : fmt::format("{}x", pos.leverage),
              pos.liquidation_price > 0 ? format_fixed(pos.liquidation_price) : ""});
  if (const auto rest = unlisted_unrealized(p); !rest || *rest != 0)
    h += row({"not a position (dust below one lot, or oversold)", "", "", "", format_checked(rest), "", ""});
  if (p.positions.empty() && p.unrealized_pnl == 0) h += "<tr><td colspan=\"7\">nothing</td></tr>\n";
  h += "</table>\n<h2>Equity and drawdown</h2>\n" + equity_svg(r);
  h += "<h2>Trades on the price</h2>\n";
  for (const auto& [symbol, prices] : r.prices) h += price_svg(r, symbol, prices);
  h += "<h2>By day (UTC, data time)</h2>\n<table id=\"days\">\n";
  h += row({"day", "PnL", "fees", "fills", "round trips", "wins", "worst drawdown", "equity at the end"}, "th");
  for (const auto& d : r.days)
    h += row({format_utc_day(d.day), format_checked(d.pnl), format_fixed(d.fees), std::to_string(d.fills), std::to_string(d.round_trips),
              std::to_string(d.wins), fmt::format("{:.2f}%", d.max_drawdown_ppm / 1e4), format_fixed(d.last.equity)});
  h += "</table>\n<h2>By strategy</h2>\n<table id=\"strategies\">\n";
  h += row({"strategy", "signals", "intents", "approved", "refused", "fills", "fees", "net PnL", "realized", "unrealized",
            "funding"},
           "th");
  for (const auto& st : r.strategies)
    h += row({st.strategy, std::to_string(st.signals), std::to_string(st.intents), std::to_string(st.approved),
              std::to_string(st.refused), std::to_string(st.fills), format_fixed(st.fees), format_checked(st.net()),
              format_fixed(st.realized), format_fixed(st.unrealized), format_fixed(st.funding)});
  h += "</table>\n<p>A position's PnL, fees, funding and liquidation belong to the strategies whose order opened it "
       "(split equally among several); risk's own exits close positions and own none. The rows add up to the net "
       "PnL.</p>\n";
  h += "<h2>Fills</h2>\n<table id=\"fills\">\n";
  h += row({"seq", "time (UTC)", "symbol", "side", "qty", "price", "fee", "order"}, "th");
  std::size_t n = 0;
  for (const auto& f : r.fills) {
    if (++n > kMaxFillRows) {
      h += fmt::format("<tr><td colspan=\"8\">... {} more (trader-tools export trades)</td></tr>\n", r.fills.size() - kMaxFillRows);
      break;
    }
    h += row({std::to_string(f.seq), utc_minute(f.ts_ms), f.symbol, std::string(enum_name(f.side)),
              format_fixed(f.qty), format_fixed(f.price), format_fixed(f.fee) + " " + f.fee_asset, f.client_order_id});
  }
  h += "</table>\n</body>\n</html>\n";
  return h;
}

}  // namespace trader::replay
