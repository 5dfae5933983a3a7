#include "replay/sweep_report.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include <fmt/format.h>

#include "base/time_format.hpp"
#include "messages/fixed_point_display.hpp"
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

// A configuration and the figure it is judged by: a task's metric, or for a walk-forward a
// configuration's mean out-of-sample metric over the folds. Best first.
struct Scored {
  std::size_t point = 0;
  std::string label;  // "task 4", "configuration 4"
  double value = 0;
};

std::string values_cells(const std::vector<std::string>& overrides) {
  std::string out;
  for (const auto& kv : overrides) out += "<td>" + html_escape(grid_value(kv)) + "</td>";
  return out;
}

// The tasks in the order given (`title` says which), with their values and figures.
std::string task_table(const SweepOptions& o, const std::vector<const TaskResult*>& ranked, const std::string& title) {
  const bool wf = o.walk_forward.has_value();
  std::string out = "<h2>" + html_escape(title) + "</h2>\n<table>\n<tr><th>#</th><th>task</th>";
  if (wf) out += "<th>fold</th><th>window</th>";
  for (const auto& axis : o.axes) out += "<th>" + html_escape(axis.key) + "</th>";
  out += "<th>net PnL</th><th>fills</th><th>win rate</th><th>max drawdown</th><th>Sharpe</th><th>decision hash</th></tr>\n";
  for (std::size_t k = 0; k < ranked.size(); ++k) {
    const auto& r = *ranked[k];
    out += fmt::format("<tr><td>{}</td><td>{}</td>", k + 1, r.index + 1);
    if (wf) out += fmt::format("<td>{}</td><td>{}</td>", r.fold, r.window == Window::in_sample ? "in sample" : "out of sample");
    out += values_cells(r.overrides);
    out += fmt::format("<td>{}</td><td>{}</td><td>{}</td><td>{:.2f}%</td><td>{}</td><td><code>{}</code></td></tr>\n",
                       html_escape(r.net_pnl), r.stats.fills, win_rate_text(r.stats), 100 * r.stats.max_drawdown,
                       sharpe_text(r.stats), r.decision_hash.substr(0, 12));
  }
  return out + "</table>\n";
}

// The metric against one axis: a dot for the best and one for the mean at each value.
std::string axis_chart(const SweepOptions& o, std::size_t axis, const std::vector<Scored>& scored,
                       std::string_view rank_by) {
  const auto& values = o.axes[axis].values;
  std::vector<Summary> at(values.size());
  for (const auto& c : scored) at[position(c.point, o.axes)[axis]].add(c.value);
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
std::string heatmap(const SweepOptions& o, std::size_t a, std::size_t b, const std::vector<Scored>& scored,
                    std::string_view rank_by) {
  const auto& va = o.axes[a].values;
  const auto& vb = o.axes[b].values;
  std::vector<std::vector<Summary>> cell(va.size(), std::vector<Summary>(vb.size()));
  double lo = std::numeric_limits<double>::max(), hi = std::numeric_limits<double>::lowest();
  for (const auto& c : scored) {
    const auto at = position(c.point, o.axes);
    const double m = c.value;
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

// How the best configuration's grid neighbours rank among all of them.
std::string neighbours(const SweepOptions& o, const std::vector<Scored>& ranked, std::string_view rank_by,
                       std::string_view judged) {
  if (ranked.empty()) return "";
  const auto best = position(ranked.front().point, o.axes);
  std::vector<std::string> seen;
  std::size_t beaten_median = 0, n = 0;
  for (std::size_t k = 1; k < ranked.size(); ++k) {
    const auto at = position(ranked[k].point, o.axes);
    std::size_t steps = 0, moved = 0;
    for (std::size_t i = 0; i < at.size(); ++i)
      if (at[i] != best[i]) {
        ++moved;
        steps += at[i] > best[i] ? at[i] - best[i] : best[i] - at[i];
      }
    if (moved != 1 || steps != 1) continue;
    seen.push_back(fmt::format("{} (rank {}, {})", ranked[k].label, k + 1, html_escape(shown(rank_by, ranked[k].value))));
    ++n;
    if (k < ranked.size() / 2) ++beaten_median;
  }
  std::string out = fmt::format("<h2>Is the best a plateau or a peak?</h2>\n<p>The best, {} ({}), has {} grid "
                                "neighbour(s) that ran, one step along one axis: ",
                                ranked.front().label, html_escape(shown(rank_by, ranked.front().value)), n);
  for (std::size_t i = 0; i < seen.size(); ++i) out += (i ? ", " : "") + seen[i];
  out += fmt::format(". {} of them rank in the top half of the {}. {}</p>\n", beaten_median, ranked.size(), judged);
  return out;
}

std::string shown_or_dash(std::string_view metric, const std::optional<double>& v) {
  return v ? html_escape(shown(metric, *v)) : "-";
}

// Walk-forward: the folds, each fold's verdict, and every configuration in and out of sample.
std::string in_against_out(const SweepOptions& o, const SweepResults& results,
                           const std::vector<ConfigAcrossFolds>& configs, std::string_view rank_by) {
  const auto verdicts = fold_verdicts(configs, results.folds.size());
  std::size_t lower_half = 0, judged = 0;
  std::string out = "<h2>In sample against out of sample</h2>\n<p>Each fold's model was trained on its training "
                    "window; every configuration then ran on that window (in sample) and on the test window after "
                    "it (out of sample), each from a fresh portfolio. The guard against overfitting: where the "
                    "configuration best in sample ranks out of sample.</p>\n<table>\n<tr><th>fold</th><th>training "
                    "window</th><th>test window</th><th>model</th><th>best in sample</th><th>in sample</th><th>out of "
                    "sample</th><th>its rank out of sample</th></tr>\n";
  for (std::size_t f = 0; f < results.folds.size(); ++f) {
    const auto& fr = results.folds[f];
    const auto& v = verdicts[f];
    out += fmt::format("<tr><td>{}</td><td>{} to {}</td><td>{} to {}</td><td><code>{}</code></td>", fr.fold.number,
                       format_utc_minute(fr.fold.train_from_ns), format_utc_minute(fr.fold.test_from_ns),
                       format_utc_minute(fr.fold.test_from_ns), format_utc_minute(fr.fold.test_to_ns),
                       fr.error.empty() ? fr.model_id.substr(0, 12) : "not trained: " + html_escape(fr.error));
    if (!v.best_in_sample) {
      out += "<td colspan=\"4\">no configuration ran</td></tr>\n";
      continue;
    }
    ++judged;
    if (v.lower_half()) ++lower_half;
    out += fmt::format("<td>configuration {}</td><td>{}</td><td>{}</td><td>{} of {}</td></tr>\n",
                       v.best_in_sample->point + 1, shown_or_dash(rank_by, v.best_in_sample->in_sample[f]),
                       shown_or_dash(rank_by, v.best_in_sample->out_of_sample[f]), v.out_rank, v.ranked);
  }
  out += fmt::format("</table>\n<p><b>The configuration best in sample ranked in the lower half out of sample in {} of "
                     "{} fold(s).</b> Near half would mean that choosing in sample is no better than chance here.</p>\n",
                     lower_half, judged);
  out += "<table>\n<tr><th>configuration</th>";
  for (const auto& axis : o.axes) out += "<th>" + html_escape(axis.key) + "</th>";
  for (const auto& fr : results.folds) out += fmt::format("<th>fold {} in</th><th>fold {} out</th>", fr.fold.number, fr.fold.number);
  out += "<th>mean in</th><th>mean out</th><th>net PnL out, all folds</th></tr>\n";
  for (const auto& c : configs) {
    out += fmt::format("<tr><td>{}</td>", c.point + 1) + values_cells(c.overrides);
    for (std::size_t f = 0; f < results.folds.size(); ++f)
      out += fmt::format("<td>{}</td><td>{}</td>", shown_or_dash(rank_by, c.in_sample[f]), shown_or_dash(rank_by, c.out_of_sample[f]));
    out += fmt::format("<td>{}</td><td>{}</td><td>{}</td></tr>\n", c.folds_ran ? html_escape(shown(rank_by, c.in_mean)) : "-",
                       c.folds_ran ? html_escape(shown(rank_by, c.out_mean)) : "-",
                       c.out_net_pnl_units ? html_escape(format_checked(c.out_net_pnl_units)) : "-");
  }
  return out + "</table>\n";
}

}  // namespace

std::string sweep_report_html(const SweepOptions& o, const SweepResults& results, std::string_view rank_by) {
  const bool wf = o.walk_forward.has_value();
  const std::vector<const TaskResult*> ran = ranked_tasks(results.tasks, rank_by);
  // What the charts judge: each task, or each configuration out of sample across the folds.
  std::vector<Scored> scored;
  std::vector<ConfigAcrossFolds> configs;
  if (wf) {
    configs = across_folds(results, rank_by);
    for (const auto* c : ranked_configs(configs))
      scored.push_back({c->point, fmt::format("configuration {}", c->point + 1), c->out_mean});
  } else {
    for (const auto* r : ran)  // those with the figure (ranked first)
      if (const auto v = sweep_metric(*r, rank_by)) scored.push_back({r->point, fmt::format("task {}", r->index + 1), *v});
  }
  std::string out = html_head("sweep of " + o.source_dir,
                              ".chart{display:inline-block;margin:0 16px 16px 0}.heat td{text-align:right;min-width:70px}"
                              ".heat td.none{color:#999;text-align:center}code{font-size:12px}");
  out += fmt::format("<h1>Sweep: {} task(s), {} failed</h1>\n<p>Inputs <code>{}</code>, config <code>{}</code>; "
                     "ranked by <b>{}</b>{}.</p>\n",
                     results.tasks.size(), results.tasks.size() - ran.size(), html_escape(o.source_dir),
                     html_escape(o.config_path), html_escape(std::string(rank_by)),
                     wf ? fmt::format(", walk-forward over {} fold(s): each configuration judged by its mean out of "
                                      "sample", results.folds.size())
                        : "");
  if (wf) out += in_against_out(o, results, configs, rank_by);
  out += neighbours(o, scored, rank_by,
                    wf ? "These figures are out of sample: each fold's test window played no part in its model."
                       : "These figures are in sample: the same data chose the configuration and judged it.");
  out += fmt::format("<h2>The metric against each parameter{}</h2>\n<p>Filled: the best over the other parameters; "
                     "ring: their mean.</p>\n", wf ? ", out of sample" : "");
  for (std::size_t i = 0; i < o.axes.size(); ++i) out += axis_chart(o, i, scored, rank_by);
  if (o.axes.size() >= 2) {
    out += "<h2>Pairs of parameters</h2>\n<p>Each cell: the best over the other parameters.</p>\n";
    for (std::size_t a = 0; a < o.axes.size(); ++a)
      for (std::size_t b = a + 1; b < o.axes.size(); ++b) out += heatmap(o, a, b, scored, rank_by);
  }
  if (wf) {
    std::vector<const TaskResult*> in_order;
    for (const auto& r : results.tasks)
      if (r.error.empty()) in_order.push_back(&r);
    out += task_table(o, in_order, "Every task that ran, in task order");
  } else {
    out += task_table(o, ran, "Ranked by " + std::string(rank_by));
  }
  return out + "</body>\n</html>\n";
}

}  // namespace trader::replay
