#include "replay/sweep.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <atomic>
#include <filesystem>
#include <mutex>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "base/csv.hpp"
#include "base/time_format.hpp"
#include "base/file_write.hpp"
#include "config/node_config.hpp"
#include "exchange/binance/frame_parser.hpp"
#include "messages/fixed_point.hpp"
#include "messages/fixed_point_display.hpp"
#include "messages/message_json.hpp"
#include "model/journal_training.hpp"
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

// A task as it is run: its configuration, and for a walk-forward its model and window.
struct TaskPlan {
  std::string model_path;
  Range range;
};

void run_task(const SweepOptions& o, const TaskPlan& plan, TaskResult& r) {
  if (plan.range.from_seq > plan.range.to_seq) {
    r.error = "no records were received in this window";
    return;
  }
  auto overrides = overrides_of(o, r.overrides);
  if (!plan.model_path.empty()) overrides.push_back("strategy.model=" + to_json_string(plan.model_path));
  auto config = load_node_config_for_replay(o.config_path, overrides);
  if (!config) {
    r.error = config.error().message;
    return;
  }
  const std::string dir = task_dir(o, r.index);
  fs::create_directories(dir);
  const std::string journal = (fs::path(dir) / "journal").string();
  auto w = what_if(o.source_dir, plan.range, *config, journal);
  if (!w) {
    r.error = w.error().message;
    return;
  }
  r.decision_hash = w->decision_hash;
  r.decisions = w->decisions;
  r.records = w->records;
  r.model_id = w->model_id;
  auto report = build_report(journal);
  if (!report) {
    r.error = report.error().message;
    return;
  }
  r.stats = report->stats;
  r.net_pnl_units = narrow_checked(static_cast<__int128>(report->last.equity) - report->last.starting_cash);
  r.net_pnl = format_checked(r.net_pnl_units);
  if (o.keep == Keep::summary) {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
}

// What a fold's model is trained from, beyond the fold: the candle interval and how candles
// are built, and the round-trip cost. Configurations that agree on it share one model.
std::string training_key(const NodeConfig& c) {
  return fmt::format("{}|{}|{}|{}|{}|{}|{}", c.strategy.interval_s, fmt::join(c.candles.intervals_s, ","),
                     c.candles.use_agg_trades, c.candles.close_grace_ms, c.candles.max_flat_candles,
                     c.paper.taker_fee_bps, c.paper.slippage_bps);
}

model::JournalTraining training_of(const SweepOptions& o, const NodeConfig& c, const Fold& f) {
  model::JournalTraining t;
  t.journal_dir = o.source_dir;
  t.interval_s = c.strategy.interval_s;
  t.candles = c.candles;
  t.horizon = o.train_horizon;
  t.horizon_s = binance::interval_seconds(o.train_horizon);
  t.cost = model::round_trip_cost(c.paper.taker_fee_bps, c.paper.slippage_bps);
  t.since_ns = f.train_from_ns;
  t.until_ns = f.test_from_ns;
  t.params.rounds = o.train_rounds;
  t.params.seed = o.train_seed;
  return t;
}

// The records received in [from_ns, to_ns), as a seq range; empty (from > to) when none were.
Result<Range> received_between(journal::Reader& reader, std::int64_t from_ns, std::int64_t to_ns) {
  journal::Filter f;
  f.from_ts_ns = from_ns;
  f.to_ts_ns = to_ns - 1;
  auto cursor = reader.scan(f);
  if (!cursor) return tl::unexpected(cursor.error());
  Range r{1, 0};
  for (bool first = true;; first = false) {
    auto rec = cursor->next();
    if (!rec) return tl::unexpected(rec.error());
    if (*rec == nullptr) return r;
    if (first) r.from_seq = (*rec)->header.seq;
    r.to_seq = (*rec)->header.seq;
  }
}

// The receive times of the journal's first and last records.
Result<std::pair<std::int64_t, std::int64_t>> received_span(journal::Reader& reader) {
  auto summary = reader.summary();
  if (!summary) return tl::unexpected(summary.error());
  if (summary->records == 0) return fail(fmt::format("journal {} has no records", reader.dir()));
  std::pair<std::int64_t, std::int64_t> span;
  for (auto [seq, into] : {std::pair{summary->first_seq, &span.first}, std::pair{summary->last_seq, &span.second}}) {
    journal::Filter f;
    f.from_seq = f.to_seq = seq;
    auto cursor = reader.scan(f);
    if (!cursor) return tl::unexpected(cursor.error());
    auto rec = cursor->next();
    if (!rec) return tl::unexpected(rec.error());
    if (*rec == nullptr) return fail(fmt::format("journal {}: seq {} is missing", reader.dir(), seq));
    *into = (*rec)->header.recv_ts_ns;
  }
  return span;
}

// Runs `jobs` (0..n-1) on `workers` threads, each index once, and reports each as it ends.
void run_pool(std::size_t n, unsigned workers, const std::function<void(std::size_t)>& job,
              const std::function<void()>& on_done) {
  std::atomic<std::size_t> next{0};
  std::mutex done_mutex;
  auto worker = [&] {
    for (std::size_t i = next++; i < n; i = next++) {
      job(i);
      std::lock_guard lock(done_mutex);
      on_done();
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < std::max(1u, workers); ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
}

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
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

Result<SweepResults> run_sweep(const SweepOptions& o, const std::function<void(std::size_t, std::size_t)>& on_done) {
  // Everything is checked before anything is written.
  if (std::error_code ec; fs::exists(o.out_dir, ec) && !(fs::is_directory(o.out_dir, ec) && fs::is_empty(o.out_dir, ec)))
    return fail(fmt::format("--out {} already holds something: a sweep writes into a new or empty directory", o.out_dir));
  auto reader = journal::Reader::open(o.source_dir);
  if (!reader) return tl::unexpected(reader.error());
  const auto grid = grid_points(o.axes);
  const auto chosen = o.random ? random_points(grid.size(), *o.random, o.seed) : random_points(grid.size(), grid.size(), 0);
  std::vector<Fold> folds;
  if (o.walk_forward) {
    for (const auto& kv : o.base_overrides)
      if (kv.rfind("strategy.model=", 0) == 0)
        return fail("--walk-forward trains each fold's model: strategy.model cannot be set");
    for (const auto& axis : o.axes)
      if (axis.key == "strategy.model") return fail("--walk-forward trains each fold's model: strategy.model cannot be swept");
    if (!model::horizon_candles(binance::interval_seconds(o.train_horizon), 1))
      return fail(fmt::format("--train-horizon {}: expected a duration like 15m", o.train_horizon));
    auto span = received_span(**reader);
    if (!span) return tl::unexpected(span.error());
    folds = walk_forward_folds(*o.walk_forward, span->first, span->second);
    if (folds.empty())
      return fail(fmt::format("--walk-forward: the journal's data, received {} to {}, is shorter than one fold's "
                              "TRAIN + TEST", format_utc_ns(span->first), format_utc_ns(span->second)));
  }
  // Each configuration's config, checked. A walk-forward's models do not exist yet: the
  // config file stands in for the model file here, and each model is checked when a task
  // loads it.
  std::vector<NodeConfig> configs;
  for (const std::size_t p : chosen) {
    auto overrides = overrides_of(o, grid[p]);
    if (o.walk_forward) overrides.push_back("strategy.model=" + to_json_string(o.config_path));
    auto c = load_node_config_for_replay(o.config_path, overrides);
    if (!c) return fail(fmt::format("task with {}: {}", fmt::join(grid[p], " "), c.error().message));
    if (o.walk_forward && c->strategy_kind != StrategyKind::xgboost)
      return fail(fmt::format("--walk-forward trains an XGBoost model per fold: the task with {} has strategy.kind "
                              "\"{}\" (set strategy.kind = \"xgboost\")",
                              fmt::join(grid[p], " "), c->strategy_kind == StrategyKind::rule ? "rule" : "?"));
    if (o.walk_forward)
      if (auto t = training_of(o, *c, folds.front()); !model::horizon_candles(t.horizon_s, t.interval_s))
        return fail(fmt::format("--train-horizon {}: expected a multiple of strategy.interval ({} s)", o.train_horizon,
                                t.interval_s));
    configs.push_back(std::move(*c));
  }

  SweepResults out;
  std::vector<TaskPlan> plans;
  auto add_task = [&](std::size_t k, std::size_t fold, Window window, TaskPlan plan) {
    TaskResult r;
    r.index = out.tasks.size();
    r.point = chosen[k];
    r.overrides = grid[chosen[k]];
    r.fold = fold;
    r.window = window;
    out.tasks.push_back(std::move(r));
    plans.push_back(std::move(plan));
  };
  // A walk-forward: the models to train (one per fold and training key), and each task's.
  struct ModelJob {
    std::size_t fold_index = 0;
    model::JournalTraining training;
    std::string path, error, model_id;
  };
  std::vector<ModelJob> models;
  if (!o.walk_forward) {
    for (std::size_t k = 0; k < chosen.size(); ++k) add_task(k, 0, Window::whole, {});
  } else {
    for (std::size_t fi = 0; fi < folds.size(); ++fi) {
      const Fold& f = folds[fi];
      auto in = received_between(**reader, f.train_from_ns, f.test_from_ns);
      if (!in) return tl::unexpected(in.error());
      auto oos = received_between(**reader, f.test_from_ns, f.test_to_ns);
      if (!oos) return tl::unexpected(oos.error());
      std::map<std::string, std::size_t> by_key;  // training key -> model job
      for (std::size_t k = 0; k < chosen.size(); ++k) {
        const std::string key = training_key(configs[k]);
        auto [it, added] = by_key.try_emplace(key, models.size());
        if (added) {
          const std::string name = by_key.size() == 1 ? fmt::format("fold-{:02}.json", f.number)
                                                      : fmt::format("fold-{:02}-{}.json", f.number, by_key.size());
          models.push_back({fi, training_of(o, configs[k], f), (fs::path(o.out_dir) / "models" / name).string(), {}, {}});
        }
        add_task(k, f.number, Window::in_sample, {models[it->second].path, *in});
        add_task(k, f.number, Window::out_of_sample, {models[it->second].path, *oos});
      }
    }
  }
  reader->reset();  // the tasks open the journal themselves

  fs::create_directories(o.out_dir);
  const std::size_t total = models.size() + out.tasks.size();
  std::size_t finished = 0;
  auto step_done = [&] {
    ++finished;
    if (on_done) on_done(finished, total);
  };
  if (on_done) on_done(0, total);
  run_pool(models.size(), o.workers, [&](std::size_t i) {
    auto& m = models[i];
    auto trained = model::train_on_journal(m.training);
    if (!trained) {
      m.error = trained.error().message;
      return;
    }
    m.model_id = trained->model_id;
    if (auto st = model::write_model_files(m.path, m.training, *trained); !st) m.error = st.error().message;
  }, step_done);
  for (const auto& m : models) {
    FoldResult fr{folds[m.fold_index], m.path, m.model_id, m.error};
    // One row per fold: a fold with several models (training keys) lists the first.
    if (out.folds.size() <= m.fold_index) out.folds.push_back(std::move(fr));
  }
  std::map<std::string, std::string> failed_models;
  for (const auto& m : models)
    if (!m.error.empty()) failed_models[m.path] = m.error;
  run_pool(out.tasks.size(), o.workers, [&](std::size_t i) {
    if (auto it = failed_models.find(plans[i].model_path); it != failed_models.end()) {
      out.tasks[i].error = "the fold's model was not trained: " + it->second;
      return;
    }
    run_task(o, plans[i], out.tasks[i]);
  }, step_done);
  return out;
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

std::vector<ConfigAcrossFolds> across_folds(const SweepResults& results, std::size_t folds, std::string_view metric) {
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
    if (!r.error.empty()) continue;
    auto& c = configs[it->second];
    (r.window == Window::in_sample ? c.in_sample : c.out_of_sample)[r.fold - 1] = sweep_metric(r, metric);
  }
  for (const auto& r : results.tasks) {
    if (r.fold == 0 || r.fold > folds || r.window != Window::out_of_sample) continue;
    auto& c = configs[at[r.point]];
    c.out_net_pnl_units = c.out_net_pnl_units && r.error.empty() && r.net_pnl_units
                              ? add_checked(*c.out_net_pnl_units, *r.net_pnl_units)
                              : std::nullopt;
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
    csv += fmt::format(",{},{},{},{},{},{:.4f},{},{:.8f},{:.6f},{:.4f}\n", r.error.empty() ? "ok" : "failed",
                       r.decision_hash, r.decisions, s.fills, s.round_trips, s.win_rate, r.net_pnl, s.fees,
                       s.max_drawdown, s.sharpe);
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
