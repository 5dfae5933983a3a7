#include <algorithm>

#include <fmt/format.h>

#include "replay/diff.hpp"
#include "replay/html.hpp"

namespace trader::replay {
namespace {

constexpr double kW = 960, kH = 340, kLeft = 80, kRight = 20, kTop = 20, kBottom = 60;
constexpr const char* kColorA = "#1f77b4";
constexpr const char* kColorB = "#ff7f0e";

std::string svg(const DiffReport& r) {
  std::int64_t t0 = INT64_MAX, t1 = INT64_MIN;
  double e0 = 1e300, e1 = -1e300;
  for (const auto* v : {&r.a, &r.b})
    for (const auto& p : v->equity) {
      t0 = std::min(t0, p.ts_ms);
      t1 = std::max(t1, p.ts_ms);
      e0 = std::min(e0, p.equity);
      e1 = std::max(e1, p.equity);
    }
  std::string out = fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" viewBox="0 0 {} {}" role="img" aria-label="equity curves">)",
                                kW, kH, kW, kH);
  out += "\n";
  if (t0 >= t1) return out + "<text x=\"20\" y=\"40\">no portfolio states to plot</text></svg>\n";
  const double pw = kW - kLeft - kRight, ph = kH - kTop - kBottom;
  const PlotFrame frame(kLeft, kTop, pw, ph, t0, t1, e0, e1);
  auto x = [&](std::int64_t t) { return frame.x(t); };
  out += frame.grid("{:.2f}");
  // Where decisions differ: ticks along the bottom of the plot.
  std::size_t shown = 0;
  for (const auto& row : r.rows) {
    if (++shown > 2000) break;
    const char* color = !row.a.present ? kColorB : !row.b.present ? kColorA : "#d62728";
    out += fmt::format(R"(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="{}" stroke-width="1" opacity="0.6"/>)",
                       x(row.ts_ms), kTop + ph - 10, x(row.ts_ms), kTop + ph, color);
  }
  out += "\n";
  // The two curves, at most ~2000 points each.
  for (const auto* v : {&r.a, &r.b}) {
    std::vector<std::pair<std::int64_t, double>> points;
    for (const auto& p : v->equity) points.emplace_back(p.ts_ms, p.equity);
    out += frame.polyline(points, v == &r.a ? kColorA : kColorB);
  }
  out += fmt::format(R"(<text x="{}" y="{}" font-size="12" fill="{}">&#9632; A</text>)", kLeft, kH - 12, kColorA);
  out += fmt::format(R"(<text x="{}" y="{}" font-size="12" fill="{}">&#9632; B</text>)", kLeft + 50, kH - 12, kColorB);
  out += fmt::format(R"(<text x="{}" y="{}" font-size="12" fill="#555">ticks at the bottom: decisions that differ (red: both acted differently, blue: only A, orange: only B)</text>)",
                     kLeft + 100, kH - 12);
  return out + "\n</svg>\n";
}

std::string stats_row(const char* name, const std::string& a, const std::string& b) {
  return fmt::format("<tr><th>{}</th><td>{}</td><td>{}</td></tr>\n", name, html_escape(a), html_escape(b));
}

}  // namespace

std::string render_diff_html(const DiffReport& r) {
  std::string h = html_head("decision diff", "td.num{text-align:right}.a{color:#1f77b4}.b{color:#ff7f0e}");
  h += "<h1>Decision diff</h1>\n";
  h += fmt::format("<p><span class=\"a\">A</span>: {} ({})<br/><span class=\"b\">B</span>: {} ({})</p>\n",
                   html_escape(r.a.dir), html_escape(decided_by(r.a)), html_escape(r.b.dir), html_escape(decided_by(r.b)));
  if (!r.same_inputs) h += "<p><strong>Warning: the two journals did not see the same inputs.</strong></p>\n";
  h += svg(r);
  h += "<h2>Per version</h2>\n<table>\n<tr><th></th><th class=\"a\">A</th><th class=\"b\">B</th></tr>\n";
  auto money = [](double v, const std::string& q) { return fmt::format("{:.2f} {}", v, q); };
  h += stats_row("fills", std::to_string(r.a.fills), std::to_string(r.b.fills));
  h += stats_row("round trips (trades)", std::to_string(r.a.round_trips), std::to_string(r.b.round_trips));
  h += stats_row("win rate", win_rate_text(r.a), win_rate_text(r.b));
  h += stats_row("gross PnL", money(r.a.gross_pnl, r.a.quote_asset), money(r.b.gross_pnl, r.b.quote_asset));
  h += stats_row("fees", money(r.a.fees, r.a.quote_asset), money(r.b.fees, r.b.quote_asset));
  h += stats_row("net PnL", money(r.a.net_pnl, r.a.quote_asset), money(r.b.net_pnl, r.b.quote_asset));
  h += stats_row("max drawdown", fmt::format("{:.2f}%", r.a.max_drawdown * 100), fmt::format("{:.2f}%", r.b.max_drawdown * 100));
  h += stats_row("Sharpe (hourly returns, x sqrt(8760))", sharpe_text(r.a), sharpe_text(r.b));
  h += stats_row("exposure (share of time in a position)", fmt::format("{:.1f}%", r.a.exposure * 100),
                 fmt::format("{:.1f}%", r.b.exposure * 100));
  h += "</table>\n";
  h += fmt::format("<h2>Decisions</h2>\n<p>same {}, only A {}, only B {}, different {}</p>\n", r.same, r.only_a, r.only_b,
                   r.different);
  h += "<table>\n<tr><th>time (UTC)</th><th>symbol</th><th class=\"a\">A</th><th class=\"b\">B</th></tr>\n";
  std::size_t n = 0;
  for (const auto& row : r.rows) {
    if (++n > 1000) {
      h += fmt::format("<tr><td colspan=\"4\">... {} more (see the text report)</td></tr>\n", r.rows.size() - 1000);
      break;
    }
    h += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n", html_escape(utc_minute(row.ts_ms)),
                     html_escape(row.symbol), html_escape(row.a.present ? row.a.text : "-"), html_escape(row.b.present ? row.b.text : "-"));
  }
  h += "</table>\n</body>\n</html>\n";
  return h;
}

}  // namespace trader::replay
