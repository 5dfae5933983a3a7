#include "replay/sweep.hpp"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <mutex>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "base/csv.hpp"
#include "base/file_write.hpp"
#include "config/node_config.hpp"
#include "messages/fixed_point.hpp"
#include "messages/fixed_point_display.hpp"
#include "messages/message_json.hpp"
#include "replay/replay.hpp"
#include "replay/report.hpp"
#include "replay/sweep_report.hpp"

namespace trader::replay {
namespace fs = std::filesystem;
namespace {

std::string task_dir(const SweepOptions& o, std::size_t index) {
  return (fs::path(o.out_dir) / fmt::format("task-{:04}", index + 1)).string();
}

std::vector<std::string> overrides_of(const SweepOptions& o, const std::vector<std::string>& point) {
  std::vector<std::string> all = o.base_overrides;
  all.insert(all.end(), point.begin(), point.end());
  return all;
}

void run_task(const SweepOptions& o, TaskResult& r) {
  auto config = load_node_config_for_replay(o.config_path, overrides_of(o, r.overrides));
  if (!config) {
    r.error = config.error().message;
    return;
  }
  const std::string dir = task_dir(o, r.index);
  fs::create_directories(dir);
  const std::string journal = (fs::path(dir) / "journal").string();
  auto w = what_if(o.source_dir, {}, *config, journal);
  if (!w) {
    r.error = w.error().message;
    return;
  }
  r.decision_hash = w->decision_hash;
  r.decisions = w->decisions;
  r.records = w->records;
  auto report = build_report(journal);
  if (!report) {
    r.error = report.error().message;
    return;
  }
  r.stats = report->stats;
  r.net_pnl = format_checked(narrow_checked(static_cast<__int128>(report->last.equity) - report->last.starting_cash));
  if (o.keep == Keep::summary) {
    std::error_code ec;
    fs::remove_all(journal, ec);
  }
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

Result<std::vector<TaskResult>> run_sweep(const SweepOptions& o,
                                          const std::function<void(std::size_t, std::size_t)>& on_done) {
  // Everything is checked before anything is written.
  if (std::error_code ec; fs::exists(o.out_dir, ec) && !(fs::is_directory(o.out_dir, ec) && fs::is_empty(o.out_dir, ec)))
    return fail(fmt::format("--out {} already holds something: a sweep writes into a new or empty directory", o.out_dir));
  if (auto r = journal::Reader::open(o.source_dir); !r) return tl::unexpected(r.error());
  const auto points = grid_points(o.axes);
  for (const auto& point : points)
    if (auto c = load_node_config_for_replay(o.config_path, overrides_of(o, point)); !c)
      return fail(fmt::format("task with {}: {}", fmt::join(point, " "), c.error().message));

  std::vector<TaskResult> results(points.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    results[i].index = i;
    results[i].overrides = points[i];
  }
  fs::create_directories(o.out_dir);
  std::atomic<std::size_t> next{0};
  std::mutex done_mutex;
  std::size_t finished = 0;
  auto worker = [&] {
    for (std::size_t i = next++; i < results.size(); i = next++) {
      run_task(o, results[i]);
      std::lock_guard lock(done_mutex);
      ++finished;
      if (on_done) on_done(finished, results.size());
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < std::max(1u, o.workers); ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  return results;
}

double sweep_metric(const TaskResult& r, std::string_view name) {
  const auto& s = r.stats;
  if (name == "net_pnl") return s.net_pnl;
  if (name == "sharpe") return s.sharpe;
  if (name == "win_rate") return s.win_rate;
  if (name == "max_drawdown") return -s.max_drawdown;  // smaller is better
  return -s.fees;
}

std::vector<const TaskResult*> ranked_tasks(const std::vector<TaskResult>& results, std::string_view metric) {
  std::vector<const TaskResult*> ranked;
  for (const auto& r : results)
    if (r.error.empty()) ranked.push_back(&r);
  std::stable_sort(ranked.begin(), ranked.end(),
                   [&](const auto* x, const auto* y) { return sweep_metric(*x, metric) > sweep_metric(*y, metric); });
  return ranked;
}

Status write_sweep_results(const SweepOptions& o, const std::vector<TaskResult>& results) {
  std::string csv = "task";
  for (const auto& axis : o.axes) csv += "," + csv_field(axis.key);
  csv += ",status,decision_hash,decisions,fills,round_trips,win_rate,net_pnl,fees,max_drawdown,sharpe\n";
  std::string json = "[";
  for (const auto& r : results) {
    csv += std::to_string(r.index + 1);
    for (const auto& kv : r.overrides) csv += "," + csv_field(grid_value(kv));
    const auto& s = r.stats;
    csv += fmt::format(",{},{},{},{},{},{:.4f},{},{:.8f},{:.6f},{:.4f}\n", r.error.empty() ? "ok" : "failed",
                       r.decision_hash, r.decisions, s.fills, s.round_trips, s.win_rate, r.net_pnl, s.fees,
                       s.max_drawdown, s.sharpe);
    json += fmt::format("{}{{\"task\":{},\"values\":{{", r.index == 0 ? "" : ",", r.index + 1);
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
    json += fmt::format(",\"decision_hash\":\"{}\",\"decisions\":{},\"fills\":{},\"round_trips\":{},\"win_rate\":{:.4f},"
                        "\"net_pnl\":\"{}\",\"fees\":{:.8f},\"max_drawdown\":{:.6f},\"sharpe\":{:.4f}}}",
                        r.decision_hash, r.decisions, s.fills, s.round_trips, s.win_rate, r.net_pnl, s.fees,
                        s.max_drawdown, s.sharpe);
  }
  json += "]\n";
  if (auto st = write_file_atomically((fs::path(o.out_dir) / "results.csv").string(), csv); !st) return st;
  if (auto st = write_file_atomically((fs::path(o.out_dir) / "results.json").string(), json); !st) return st;
  return write_file_atomically((fs::path(o.out_dir) / "report.html").string(), sweep_report_html(o, results, o.rank_by));
}

}  // namespace trader::replay
