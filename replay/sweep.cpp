#include "replay/sweep.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "base/csv.hpp"
#include "base/file_write.hpp"
#include "exchange/binance/frame_parser.hpp"
#include "messages/fixed_point.hpp"
#include "messages/message_json.hpp"
#include "replay/sweep_report.hpp"

namespace trader::replay {
namespace fs = std::filesystem;
namespace {

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// What a grid value is, for telling two of an axis apart: 1 and 1.0 are one number, and
// "0.10" and "0.1" one amount (amounts are written as strings); other text is itself.
std::string value_identity(const toml::node& v, const std::string& text) {
  if (const auto* i = v.as_integer()) return fmt::format("n{}", i->get());
  if (const auto* d = v.as_floating_point()) {
    const double x = d->get();
    if (x == std::trunc(x) && std::abs(x) < 9.0e18) return fmt::format("n{}", static_cast<std::int64_t>(x));
    return "n" + text;
  }
  if (const auto* str = v.as_string())
    if (const auto fixed = parse_fixed(str->get())) return fmt::format("f{}", *fixed);
  return "t" + text;
}

}  // namespace

std::string grid_value(const std::string& override_kv) { return override_kv.substr(override_kv.find('=') + 1); }

Result<GridAxis> parse_grid_axis(std::string_view arg) {
  const auto eq = arg.find('=');
  const std::string shown(arg);
  if (eq == std::string_view::npos || eq == 0)
    return fail(fmt::format("--grid {}: expected KEY=[VALUE, ...], e.g. 'risk.stop_loss_pct=[1, 2, 3]'", shown));
  GridAxis axis{std::string(arg.substr(0, eq)), {}};
  try {
    const toml::table t = toml::parse("v = " + std::string(arg.substr(eq + 1)));
    const auto* list = t["v"].as_array();
    if (!list || list->empty())
      return fail(fmt::format("--grid {}: expected a non-empty TOML array of values after '='", shown));
    std::vector<std::string> identities;  // of axis.values, one each
    for (const auto& v : *list) {
      std::string text;
      if (const auto* d = v.as_floating_point()) {
        // The shortest text that reads back as the same double: 0.1, not 0.10000000000000001.
        text = fmt::format("{}", d->get());
        if (text.find_first_of(".eEn") == std::string::npos) text += ".0";
      } else {
        std::ostringstream out;
        v.visit([&](const auto& n) { out << n; });
        text = out.str();
      }
      // Each point of the grid runs once: a value given twice would run twice and rank twice.
      std::string identity = value_identity(v, text);
      if (const auto it = std::find(identities.begin(), identities.end(), identity); it != identities.end()) {
        const std::string& first = axis.values[static_cast<std::size_t>(it - identities.begin())];
        return fail(fmt::format("--grid {}: {} appears twice{}; each value runs once", shown, text,
                                first == text ? "" : fmt::format(" (as {})", first)));
      }
      identities.push_back(std::move(identity));
      axis.values.push_back(std::move(text));
    }
  } catch (const toml::parse_error& e) {
    return fail(fmt::format("--grid {}: the values are not a TOML array: {}", shown, e.description()));
  }
  return axis;
}

std::vector<std::vector<std::string>> grid_points(const std::vector<GridAxis>& axes) {
  std::vector<std::vector<std::string>> points{{}};
  for (const auto& axis : axes) {
    std::vector<std::vector<std::string>> next;
    for (const auto& p : points)
      for (const auto& v : axis.values) {
        auto q = p;
        q.push_back(axis.key + "=" + v);
        next.push_back(std::move(q));
      }
    points = std::move(next);
  }
  return points;
}

std::vector<std::size_t> random_points(std::size_t grid_size, std::size_t n, std::uint64_t seed) {
  std::vector<std::size_t> all(grid_size);
  for (std::size_t i = 0; i < grid_size; ++i) all[i] = i;
  if (n >= grid_size) return all;
  // A partial Fisher-Yates shuffle with an unbiased draw: the same points on every build.
  std::uint64_t state = seed;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t m = grid_size - i;
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % m;
    std::uint64_t x = splitmix64(state);
    while (x >= limit) x = splitmix64(state);
    std::swap(all[i], all[i + x % m]);
  }
  all.resize(n);
  std::sort(all.begin(), all.end());
  return all;
}

std::string_view window_name(Window w) {
  switch (w) {
    case Window::whole: return "all";
    case Window::in_sample: return "in";
    case Window::out_of_sample: return "out";
  }
  return "?";
}

Result<WalkForward> parse_walk_forward(std::string_view arg) {
  const std::string shown(arg);
  auto bad = [&] {
    return fail(fmt::format("--walk-forward {}: expected TRAIN:TEST:STEP, three durations like 3d:1d:1d "
                            "(s, m, h, d or w)", shown));
  };
  std::array<std::int64_t, 3> ns{};
  std::size_t at = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    const auto colon = arg.find(':', at);
    if ((i < 2) != (colon != std::string_view::npos)) return bad();
    const auto part = arg.substr(at, i < 2 ? colon - at : std::string_view::npos);
    if (part.empty() || part.back() == 'M') return bad();  // months differ in length
    const std::uint32_t s = binance::interval_seconds(part);
    if (s == 0) return bad();
    ns[i] = static_cast<std::int64_t>(s) * 1'000'000'000;
    at = colon + 1;
  }
  return WalkForward{ns[0], ns[1], ns[2]};
}

std::vector<Fold> walk_forward_folds(const WalkForward& wf, std::int64_t first_ns, std::int64_t last_ns) {
  std::int64_t unit = 1'000'000'000;
  for (std::int64_t u : {86'400'000'000'000LL, 3'600'000'000'000LL, 60'000'000'000LL})
    if (wf.train_ns % u == 0 && wf.test_ns % u == 0 && wf.step_ns % u == 0) {
      unit = u;
      break;
    }
  const std::int64_t start = first_ns - ((first_ns % unit) + unit) % unit;
  std::vector<Fold> folds;
  for (std::int64_t from = start;; from += wf.step_ns) {
    const Fold f{folds.size() + 1, from, from + wf.train_ns, from + wf.train_ns + wf.test_ns};
    if (f.test_to_ns > last_ns + 1) break;
    folds.push_back(f);
  }
  return folds;
}

std::optional<double> sweep_metric(const TaskResult& r, std::string_view name) {
  const auto& s = r.stats;
  if (name == "net_pnl") return s.net_pnl;
  if (name == "sharpe") return sharpe_of(s);
  if (name == "win_rate") return win_rate_of(s);
  if (name == "max_drawdown") return -s.max_drawdown;  // smaller is better
  return -s.fees;
}

std::vector<const TaskResult*> ranked_tasks(const std::vector<TaskResult>& results, std::string_view metric) {
  std::vector<const TaskResult*> ranked;
  for (const auto& r : results)
    if (r.error.empty()) ranked.push_back(&r);
  std::stable_sort(ranked.begin(), ranked.end(), [&](const auto* x, const auto* y) {
    const auto a = sweep_metric(*x, metric), b = sweep_metric(*y, metric);
    return a && (!b || *a > *b);  // a figure before none
  });
  return ranked;
}

std::vector<ConfigAcrossFolds> across_folds(const SweepResults& results, std::string_view metric) {
  const std::size_t folds = results.folds.size();
  std::vector<ConfigAcrossFolds> configs;
  std::map<std::size_t, std::size_t> at;  // point -> configs index, in task order
  for (const auto& r : results.tasks) {
    if (r.fold == 0 || r.fold > folds) continue;
    auto [it, added] = at.try_emplace(r.point, configs.size());
    if (added) {
      ConfigAcrossFolds c;
      c.point = r.point;
      c.overrides = r.overrides;
      c.in_sample.resize(folds);
      c.out_of_sample.resize(folds);
      c.out_net_pnl_units = 0;
      configs.push_back(std::move(c));
    }
    auto& c = configs[it->second];
    if (r.window == Window::out_of_sample)  // a failed window leaves no total that would mislead
      c.out_net_pnl_units = c.out_net_pnl_units && r.error.empty() && r.net_pnl_units
                                ? add_checked(*c.out_net_pnl_units, *r.net_pnl_units)
                                : std::nullopt;
    if (r.error.empty())
      (r.window == Window::in_sample ? c.in_sample : c.out_of_sample)[r.fold - 1] = sweep_metric(r, metric);
  }
  for (auto& c : configs) {
    double in = 0, out = 0;
    for (std::size_t f = 0; f < folds; ++f)
      if (c.in_sample[f] && c.out_of_sample[f]) {
        in += *c.in_sample[f];
        out += *c.out_of_sample[f];
        ++c.folds_ran;
      }
    if (c.folds_ran) {
      c.in_mean = in / static_cast<double>(c.folds_ran);
      c.out_mean = out / static_cast<double>(c.folds_ran);
    }
  }
  return configs;
}

std::vector<const ConfigAcrossFolds*> ranked_configs(const std::vector<ConfigAcrossFolds>& configs) {
  std::vector<const ConfigAcrossFolds*> ranked;
  for (const auto& c : configs)
    if (c.folds_ran) ranked.push_back(&c);
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto* x, const auto* y) { return x->out_mean > y->out_mean; });
  return ranked;
}

std::vector<FoldVerdict> fold_verdicts(const std::vector<ConfigAcrossFolds>& configs, std::size_t folds) {
  std::vector<FoldVerdict> verdicts;
  for (std::size_t f = 0; f < folds; ++f) {
    FoldVerdict v;
    v.fold = f + 1;
    std::vector<const ConfigAcrossFolds*> ran;
    for (const auto& c : configs)
      if (c.in_sample[f] && c.out_of_sample[f]) ran.push_back(&c);
    for (const auto* c : ran)  // the first best in sample wins ties, as in task order
      if (!v.best_in_sample || *c->in_sample[f] > *v.best_in_sample->in_sample[f]) v.best_in_sample = c;
    if (v.best_in_sample) {
      v.ranked = ran.size();
      v.out_rank = 1;
      for (const auto* c : ran)
        if (*c->out_of_sample[f] > *v.best_in_sample->out_of_sample[f]) ++v.out_rank;
    }
    verdicts.push_back(v);
  }
  return verdicts;
}

Status write_sweep_results(const SweepOptions& o, const SweepResults& results) {
  const bool wf = o.walk_forward.has_value();
  std::string csv = wf ? "task,fold,window" : "task";
  for (const auto& axis : o.axes) csv += "," + csv_field(axis.key);
  csv += wf ? ",model_id" : "";
  csv += ",status,decision_hash,decisions,fills,round_trips,win_rate,net_pnl,fees,max_drawdown,sharpe\n";
  std::string json = "[";
  for (const auto& r : results.tasks) {
    csv += std::to_string(r.index + 1);
    if (wf) csv += fmt::format(",{},{}", r.fold, window_name(r.window));
    for (const auto& kv : r.overrides) csv += "," + csv_field(grid_value(kv));
    if (wf) csv += "," + r.model_id;
    const auto& s = r.stats;
    // No win rate without a round trip, no Sharpe without returns that vary: an empty
    // field, and null in the JSON, never a 0 that reads as a figure.
    const auto figure = [](std::optional<double> v) { return v ? fmt::format("{:.4f}", *v) : std::string(); };
    const auto win_rate = figure(win_rate_of(s)), sharpe = figure(sharpe_of(s));
    csv += fmt::format(",{},{},{},{},{},{},{},{:.8f},{:.6f},{}\n", r.error.empty() ? "ok" : "failed",
                       r.decision_hash, r.decisions, s.fills, s.round_trips, win_rate, r.net_pnl, s.fees,
                       s.max_drawdown, sharpe);
    json += fmt::format("{}{{\"task\":{},", r.index == 0 ? "" : ",", r.index + 1);
    if (wf) json += fmt::format("\"fold\":{},\"window\":\"{}\",\"model_id\":\"{}\",", r.fold, window_name(r.window), r.model_id);
    json += "\"values\":{";
    for (std::size_t i = 0; i < r.overrides.size(); ++i) {
      json += i == 0 ? "" : ",";
      append_json_string(json, o.axes[i].key);
      json += ":";
      append_json_string(json, grid_value(r.overrides[i]));
    }
    json += "},\"status\":";
    append_json_string(json, r.error.empty() ? "ok" : "failed");
    if (!r.error.empty()) {
      json += ",\"error\":";
      append_json_string(json, r.error);
    }
    json += fmt::format(",\"decision_hash\":\"{}\",\"decisions\":{},\"fills\":{},\"round_trips\":{},\"win_rate\":{},"
                        "\"net_pnl\":\"{}\",\"fees\":{:.8f},\"max_drawdown\":{:.6f},\"sharpe\":{}}}",
                        r.decision_hash, r.decisions, s.fills, s.round_trips, win_rate.empty() ? "null" : win_rate,
                        r.net_pnl, s.fees, s.max_drawdown, sharpe.empty() ? "null" : sharpe);
  }
  json += "]\n";
  if (auto st = write_file_atomically((fs::path(o.out_dir) / "results.csv").string(), csv); !st) return st;
  if (auto st = write_file_atomically((fs::path(o.out_dir) / "results.json").string(), json); !st) return st;
  return write_file_atomically((fs::path(o.out_dir) / "report.html").string(), sweep_report_html(o, results, o.rank_by));
}

}  // namespace trader::replay
