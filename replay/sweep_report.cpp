#include "replay/sweep_report.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include <fmt/format.h>

#include "replay/html.hpp"

namespace trader::replay {
namespace {

// The metric as people read it: money and ratios with two decimals, shares as percents
// (drawdown and fees shown positive, though ranked negated).
std::string shown(std::string_view metric, double v) {
  if (metric == "win_rate") return fmt::format("{:.1f}%", 100 * v);
  if (metric == "max_drawdown") return fmt::format("{:.2f}%", -100 * v);
  if (metric == "fees") return fmt::format("{:.2f}", -v);
  return fmt::format("{:.2f}", v);
}

// Each task's position on every axis (the first axis varies slowest, as grid_points makes them).
std::vector<std::size_t> position(std::size_t index, const std::vector<GridAxis>& axes) {
  std::vector<std::size_t> at(axes.size());
  for (std::size_t i = axes.size(); i-- > 0;) {
    at[i] = index % axes[i].values.size();
    index /= axes[i].values.size();
  }
  return at;
}

// Red (worst) through yellow to green (best): the hue of where v falls between lo and hi.
std::string colour(double v, double lo, double hi) {
  const double t = hi > lo ? (v - lo) / (hi - lo) : 0.5;
  return fmt::format("hsl({:.0f},70%,{:.0f}%)", 120 * t, 82 - 10 * t);
}

struct Summary {
  std::optional<double> best;
  double sum = 0;
  std::size_t n = 0;
  void add(double v) {
    best = best ? std::max(*best, v) : v;
    sum += v;
    ++n;
  }
};

std::string ranking(const SweepOptions& o, const std::vector<const TaskResult*>& ranked, std::string_view rank_by) {
  std::string out = "<h2>Ranked by " + html_escape(std::string(rank_by)) + "</h2>\n<table>\n<tr><th>rank</th><th>task</th>";
  for (const auto& axis : o.axes) out += "<th>" + html_escape(axis.key) + "</th>";
  out += "<th>net PnL</th><th>fills</th><th>win rate</th><th>max drawdown</th><th>Sharpe</th><th>decision hash</th></tr>\n";
  for (std::size_t k = 0; k < ranked.size(); ++k) {
    const auto& r = *ranked[k];
    out += fmt::format("<tr><td>{}</td><td>{}</td>", k + 1, r.index + 1);
    for (const auto& kv : r.overrides) out += "<td>" + html_escape(grid_value(kv)) + "</td>";
    out += fmt::format("<td>{}</td><td>{}</td><td>{:.1f}%</td><td>{:.2f}%</td><td>{:.2f}</td><td><code>{}</code></td></tr>\n",
                       html_escape(r.net_pnl), r.stats.fills, 100 * r.stats.win_rate, 100 * r.stats.max_drawdown,
                       r.stats.sharpe, r.decision_hash.substr(0, 12));
  }
  return out + "</table>\n";
}

// The metric against one axis: a dot for the best and one for the mean at each value.
std::string axis_chart(const SweepOptions& o, std::size_t axis, const std::vector<TaskResult>& results,
                       std::string_view rank_by) {
  const auto& values = o.axes[axis].values;
  std::vector<Summary> at(values.size());
  for (const auto& r : results)
    if (r.error.empty()) at[position(r.index, o.axes)[axis]].add(sweep_metric(r, rank_by));
  double lo = std::numeric_limits<double>::max(), hi = std::numeric_limits<double>::lowest();
  for (const auto& s : at)
    if (s.n) {
      lo = std::min(lo, s.sum / static_cast<double>(s.n));
      hi = std::max(hi, *s.best);
    }
  if (lo > hi) return "";
  const double left = 90, top = 10, width = 420, height = 160;
  const PlotFrame frame(left, top, width, height, 0, static_cast<std::int64_t>(values.size() + 1), lo, hi);
  std::string svg = fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}">)", left + width + 20,
                                top + height + 40);
  svg += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="#fafafa" stroke="#ccc"/>)", left, top, width, height);
  for (int i = 0; i <= 4; ++i) {
    const double v = lo + (hi - lo) * i / 4.0;
    svg += fmt::format(R"(<text x="{}" y="{:.1f}" font-size="11" text-anchor="end">{}</text>)", left - 6,
                       frame.y(v) + 4, html_escape(shown(rank_by, v)));
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double x = frame.x(static_cast<std::int64_t>(i + 1));
    svg += fmt::format(R"(<text x="{:.1f}" y="{}" font-size="11" text-anchor="middle">{}</text>)", x, top + height + 16,
                       html_escape(values[i]));
    if (!at[i].n) continue;
    svg += fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="5" fill="#1f77b4"><title>best {}</title></circle>)", x,
                       frame.y(*at[i].best), html_escape(shown(rank_by, *at[i].best)));
    const double mean = at[i].sum / static_cast<double>(at[i].n);
    svg += fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="4" fill="none" stroke="#ff7f0e" stroke-width="2"><title>mean {}</title></circle>)",
                       x, frame.y(mean), html_escape(shown(rank_by, mean)));
  }
  svg += fmt::format(R"(<text x="{}" y="{}" font-size="12" text-anchor="middle">{}</text></svg>)", left + width / 2,
                     top + height + 34, html_escape(o.axes[axis].key));
  return "<div class=\"chart\">" + svg + "</div>\n";
}

// Two axes as a grid of cells, each the best metric over the other axes.
std::string heatmap(const SweepOptions& o, std::size_t a, std::size_t b, const std::vector<TaskResult>& results,
                    std::string_view rank_by) {
  const auto& va = o.axes[a].values;
  const auto& vb = o.axes[b].values;
  std::vector<std::vector<Summary>> cell(va.size(), std::vector<Summary>(vb.size()));
  double lo = std::numeric_limits<double>::max(), hi = std::numeric_limits<double>::lowest();
  for (const auto& r : results) {
    if (!r.error.empty()) continue;
    const auto at = position(r.index, o.axes);
    const double m = sweep_metric(r, rank_by);
    cell[at[a]][at[b]].add(m);
    lo = std::min(lo, m);
    hi = std::max(hi, m);
  }
  std::string out = fmt::format("<table class=\"heat\"><tr><th>{} \\ {}</th>", html_escape(o.axes[a].key),
                                html_escape(o.axes[b].key));
  for (const auto& v : vb) out += "<th>" + html_escape(v) + "</th>";
  out += "</tr>\n";
  for (std::size_t i = 0; i < va.size(); ++i) {
    out += "<tr><th>" + html_escape(va[i]) + "</th>";
    for (std::size_t j = 0; j < vb.size(); ++j) {
      const auto& c = cell[i][j];
      if (!c.best) out += "<td class=\"none\">-</td>";
      else out += fmt::format(R"(<td style="background:{}">{}</td>)", colour(*c.best, lo, hi), html_escape(shown(rank_by, *c.best)));
    }
    out += "</tr>\n";
  }
  return out + "</table>\n";
}

// How the best task's grid neighbours rank among all tasks.
std::string neighbours(const SweepOptions& o, const std::vector<const TaskResult*>& ranked, std::string_view rank_by) {
  if (ranked.empty()) return "";
  const auto best = position(ranked.front()->index, o.axes);
  std::vector<std::string> seen;
  std::size_t beaten_median = 0, n = 0;
  for (std::size_t k = 1; k < ranked.size(); ++k) {
    const auto at = position(ranked[k]->index, o.axes);
    std::size_t steps = 0, moved = 0;
    for (std::size_t i = 0; i < at.size(); ++i)
      if (at[i] != best[i]) {
        ++moved;
        steps += at[i] > best[i] ? at[i] - best[i] : best[i] - at[i];
      }
    if (moved != 1 || steps != 1) continue;
    seen.push_back(fmt::format("task {} (rank {}, {})", ranked[k]->index + 1, k + 1,
                               html_escape(shown(rank_by, sweep_metric(*ranked[k], rank_by)))));
    ++n;
    if (k < ranked.size() / 2) ++beaten_median;
  }
  std::string out = fmt::format("<h2>Is the best a plateau or a peak?</h2>\n<p>The best, task {} ({}), has {} grid "
                                "neighbour(s), one step along one axis: ",
                                ranked.front()->index + 1, html_escape(shown(rank_by, sweep_metric(*ranked.front(), rank_by))), n);
  for (std::size_t i = 0; i < seen.size(); ++i) out += (i ? ", " : "") + seen[i];
  out += fmt::format(". {} of them rank in the top half of the {} tasks.", beaten_median, ranked.size());
  out += " These figures are in sample: the same data chose the configuration and judged it.</p>\n";
  return out;
}

}  // namespace

std::string sweep_report_html(const SweepOptions& o, const std::vector<TaskResult>& results, std::string_view rank_by) {
  const std::vector<const TaskResult*> ranked = ranked_tasks(results, rank_by);
  std::string out = html_head("sweep of " + o.source_dir,
                              ".chart{display:inline-block;margin:0 16px 16px 0}.heat td{text-align:right;min-width:70px}"
                              ".heat td.none{color:#999;text-align:center}code{font-size:12px}");
  out += fmt::format("<h1>Sweep: {} task(s), {} failed</h1>\n<p>Inputs <code>{}</code>, config <code>{}</code>; "
                     "ranked by <b>{}</b>.</p>\n",
                     results.size(), results.size() - ranked.size(), html_escape(o.source_dir), html_escape(o.config_path),
                     html_escape(std::string(rank_by)));
  out += neighbours(o, ranked, rank_by);
  out += "<h2>The metric against each parameter</h2>\n<p>Filled: the best over the other parameters; ring: their mean.</p>\n";
  for (std::size_t i = 0; i < o.axes.size(); ++i) out += axis_chart(o, i, results, rank_by);
  if (o.axes.size() >= 2) {
    out += "<h2>Pairs of parameters</h2>\n<p>Each cell: the best over the other parameters.</p>\n";
    for (std::size_t a = 0; a < o.axes.size(); ++a)
      for (std::size_t b = a + 1; b < o.axes.size(); ++b) out += heatmap(o, a, b, results, rank_by);
  }
  out += ranking(o, ranked, rank_by);
  return out + "</body>\n</html>\n";
}

}  // namespace trader::replay
