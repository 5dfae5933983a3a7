// A sweep's steps: each model and each task runs alone and leaves a result file, and the
// results are read back from those files, wherever the steps ran (this machine's pool, a
// Slurm array, an earlier run that --resume completes).
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <limits>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <simdjson.h>

#include "actors/portfolio/portfolio_core.hpp"
#include "base/file_write.hpp"
#include "messages/fixed_point.hpp"
#include "messages/fixed_point_display.hpp"
#include "messages/message_json.hpp"
#include "model/journal_training.hpp"
#include "replay/replay.hpp"
#include "replay/report.hpp"
#include "replay/sweep.hpp"
#include "replay/sweep_config.hpp"

namespace trader::replay {
namespace fs = std::filesystem;
namespace {

std::string task_dir(const SweepOptions& o, std::size_t index) {
  return (fs::path(o.out_dir) / fmt::format("task-{:04}", index + 1)).string();
}
std::string task_result_path(const SweepOptions& o, std::size_t index) {
  return (fs::path(task_dir(o, index)) / "result.json").string();
}
std::string model_status_path(const ModelStep& m) { return m.path + ".status.json"; }

// ---- result files -----------------------------------------------------------------------
// Numbers as the shortest text that reads back as the same double, so results read back
// from a file are the results that were written, to the bit.

std::string task_result_json(const TaskResult& r) {
  const auto& s = r.stats;
  std::string j = "{\"status\":";
  append_json_string(j, r.error.empty() ? "ok" : "failed");
  j += ",\"error\":";
  append_json_string(j, r.error);
  j += fmt::format(",\"decision_hash\":\"{}\",\"decisions\":{},\"records\":{},\"model_id\":", r.decision_hash,
                   r.decisions, r.records);
  append_json_string(j, r.model_id);
  j += ",\"net_pnl\":";
  append_json_string(j, r.net_pnl);
  j += r.net_pnl_units ? fmt::format(",\"net_pnl_units\":{}", *r.net_pnl_units) : std::string(",\"net_pnl_units\":null");
  j += fmt::format(",\"stats\":{{\"fills\":{},\"round_trips\":{},\"wins\":{}", s.fills, s.round_trips, s.wins);
  // null where there is no such figure (win_rate_of, sharpe_of).
  const double none = std::numeric_limits<double>::quiet_NaN();
  for (auto [name, v] : {std::pair{"win_rate", win_rate_of(s).value_or(none)}, {"gross_pnl", s.gross_pnl},
                         {"net_pnl", s.net_pnl}, {"fees", s.fees}, {"max_drawdown", s.max_drawdown},
                         {"sharpe", sharpe_of(s).value_or(none)}, {"exposure", s.exposure}}) {
    j += fmt::format(",\"{}\":", name);
    append_json_number(j, v);
  }
  j += ",\"quote_asset\":";
  append_json_string(j, s.quote_asset);
  return j + "}}\n";
}

double number(simdjson::dom::element e) { return e.is_null() ? std::numeric_limits<double>::quiet_NaN() : double(e); }

// Fills what the file says of a task into `r` (its identity comes from the plan).
Status read_task_result(const std::string& path, TaskResult& r) {
  try {
    simdjson::dom::parser parser;
    simdjson::padded_string text;
    if (simdjson::padded_string::load(path).get(text) != simdjson::SUCCESS) return fail("no result");
    const simdjson::dom::object d = parser.parse(text).get_object();
    r.error = std::string(std::string_view(d["error"]));
    if (std::string_view(d["status"]) != "ok" && r.error.empty()) r.error = "failed";
    r.decision_hash = std::string(std::string_view(d["decision_hash"]));
    r.decisions = d["decisions"];
    r.records = d["records"];
    r.model_id = std::string(std::string_view(d["model_id"]));
    r.net_pnl = std::string(std::string_view(d["net_pnl"]));
    if (!d["net_pnl_units"].is_null()) r.net_pnl_units = std::int64_t(d["net_pnl_units"]);
    const simdjson::dom::object s = d["stats"];
    r.stats.fills = s["fills"];
    r.stats.round_trips = s["round_trips"];
    r.stats.wins = s["wins"];
    r.stats.win_rate = s["win_rate"].is_null() ? 0 : number(s["win_rate"]);  // null: no round trip
    r.stats.gross_pnl = number(s["gross_pnl"]);
    r.stats.net_pnl = number(s["net_pnl"]);
    r.stats.fees = number(s["fees"]);
    r.stats.max_drawdown = number(s["max_drawdown"]);
    // null: no Sharpe (a result of a build before wrote 0 there, and reads as defined).
    r.stats.sharpe_defined = !s["sharpe"].is_null();
    r.stats.sharpe = r.stats.sharpe_defined ? number(s["sharpe"]) : 0;
    r.stats.exposure = number(s["exposure"]);
    r.stats.quote_asset = std::string(std::string_view(s["quote_asset"]));
  } catch (const simdjson::simdjson_error& e) {
    return fail(fmt::format("{} is not a result this build wrote: {}", path, e.what()));
  }
  return {};
}

struct ModelStatus {
  std::string model_id, error;
};

std::string model_status_json(const ModelStatus& m) {
  std::string j = "{\"status\":";
  append_json_string(j, m.error.empty() ? "ok" : "failed");
  j += ",\"model_id\":";
  append_json_string(j, m.model_id);
  j += ",\"error\":";
  append_json_string(j, m.error);
  return j + "}\n";
}

Result<ModelStatus> read_model_status(const ModelStep& m) {
  try {
    simdjson::dom::parser parser;
    simdjson::padded_string text;
    if (simdjson::padded_string::load(model_status_path(m)).get(text) != simdjson::SUCCESS)
      return fail("its training did not finish");
    const simdjson::dom::object d = parser.parse(text).get_object();
    ModelStatus s{std::string(std::string_view(d["model_id"])), std::string(std::string_view(d["error"]))};
    if (std::string_view(d["status"]) != "ok" && s.error.empty()) s.error = "failed";
    return s;
  } catch (const simdjson::simdjson_error& e) {
    return fail(fmt::format("{} is not a status this build wrote: {}", model_status_path(m), e.what()));
  }
}

// ---- running a step ---------------------------------------------------------------------

Status run_model(const SweepPlan& plan, const ModelStep& m) {
  const auto training = training_of(plan.options, plan.configs[m.config], m.fold);
  ModelStatus status;
  if (auto trained = model::train_on_journal(training); !trained) {
    status.error = trained.error().message;
  } else if (auto st = model::write_model_files(m.path, training, *trained); !st) {
    status.error = st.error().message;
  } else {
    status.model_id = trained->model_id;
  }
  if (auto st = write_file_atomically(model_status_path(m), model_status_json(status)); !st) return st;
  if (!status.error.empty()) return fail(status.error);
  return {};
}

void run_task(const SweepPlan& plan, const TaskStep& step, TaskResult& r) {
  const SweepOptions& o = plan.options;
  if (step.from_seq > step.to_seq) {
    r.error = "no records were received in this window";
    return;
  }
  auto overrides = overrides_of(o, r.overrides);
  if (step.model) {
    const ModelStep& m = plan.models[*step.model];
    auto status = read_model_status(m);
    if (!status || !status->error.empty()) {
      r.error = "the fold's model was not trained: " + (status ? status->error : status.error().message);
      return;
    }
    overrides.push_back(model_override(m.path));
  }
  auto config = load_node_config_for_what_if(o.config_path, overrides);
  if (!config) {
    r.error = config.error().message;
    return;
  }
  const std::string journal = (fs::path(task_dir(o, r.index)) / "journal").string();
  auto w = what_if(o.source_dir, Range{step.from_seq, step.to_seq}, *config, journal);
  if (!w) {
    r.error = w.error().message;
    return;
  }
  if (!w->lost_book.empty()) {  // halted on a book that lost what the venue did: no result for this setting
    r.error = PortfolioCore::lost_book_failure(w->lost_book.size(), w->lost_book.front());
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
  r.stats.equity.clear();  // the curve stays in the journal; a result is its figures
  r.net_pnl_units = narrow_checked(static_cast<__int128>(report->last.equity) - report->last.starting_cash);
  r.net_pnl = format_checked(r.net_pnl_units);
  if (o.keep == Keep::summary) {
    std::error_code ec;
    fs::remove_all(journal, ec);
  }
}

// Runs `n` jobs on `workers` threads, each index once, and reports each as it ends.
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

}  // namespace

Status run_step(const SweepPlan& plan, StepKind kind, std::size_t index) {
  if (kind == StepKind::model) {
    if (index >= plan.models.size()) return fail(fmt::format("the sweep has {} model(s), not {}", plan.models.size(), index + 1));
    return run_model(plan, plan.models[index]);
  }
  if (index >= plan.tasks.size()) return fail(fmt::format("the sweep has {} task(s), not {}", plan.tasks.size(), index + 1));
  const TaskStep& step = plan.tasks[index];
  const std::string dir = task_dir(plan.options, index);
  std::error_code ec;
  fs::remove_all(fs::path(dir) / "journal", ec);  // what an earlier, interrupted run left
  fs::create_directories(dir, ec);
  TaskResult r = step.task;
  run_task(plan, step, r);
  if (auto st = write_file_atomically(task_result_path(plan.options, index), task_result_json(r)); !st) return st;
  if (!r.error.empty()) return fail(r.error);
  return {};
}

std::vector<std::size_t> pending_steps(const SweepPlan& plan, StepKind kind) {
  std::vector<std::size_t> pending;
  if (kind == StepKind::model) {
    for (std::size_t i = 0; i < plan.models.size(); ++i)
      if (auto s = read_model_status(plan.models[i]); !s || !s->error.empty()) pending.push_back(i);
    return pending;
  }
  for (std::size_t i = 0; i < plan.tasks.size(); ++i) {
    TaskResult r;
    if (!read_task_result(task_result_path(plan.options, i), r) || !r.error.empty()) pending.push_back(i);
  }
  return pending;
}

SweepResults collect_results(const SweepPlan& plan) {
  SweepResults out;
  for (std::size_t i = 0; i < plan.tasks.size(); ++i) {
    TaskResult r = plan.tasks[i].task;
    if (auto st = read_task_result(task_result_path(plan.options, i), r); !st)
      r.error = st.error().message == "no result" ? "no result: the task did not finish" : st.error().message;
    out.tasks.push_back(std::move(r));
  }
  for (const auto& m : plan.models) {
    if (!out.folds.empty() && out.folds.back().fold.number == m.fold.number) continue;  // a fold's first model
    FoldResult f{m.fold, m.path, {}, {}};
    if (auto s = read_model_status(m)) {
      f.model_id = s->model_id;
      f.error = s->error;
    } else {
      f.error = s.error().message;
    }
    out.folds.push_back(std::move(f));
  }
  return out;
}

void run_steps_locally(const SweepPlan& plan, unsigned workers, const StepProgress& on_done) {
  const auto models = pending_steps(plan, StepKind::model);
  const auto tasks = pending_steps(plan, StepKind::task);
  const std::size_t total = models.size() + tasks.size();
  std::size_t finished = 0;
  auto step_done = [&] {
    ++finished;
    if (on_done) on_done(finished, total);
  };
  if (on_done) on_done(0, total);
  // A failed step has written its error into its result file, where collect_results reads it.
  run_pool(models.size(), workers, [&](std::size_t i) { (void)run_step(plan, StepKind::model, models[i]); }, step_done);
  run_pool(tasks.size(), workers, [&](std::size_t i) { (void)run_step(plan, StepKind::task, tasks[i]); }, step_done);
}

Result<SweepPlan> start_sweep(const SweepOptions& options) {
  // Everything is checked before anything is written.
  if (std::error_code ec; fs::exists(options.out_dir, ec) &&
                          !(fs::is_directory(options.out_dir, ec) && fs::is_empty(options.out_dir, ec)))
    return fail(fmt::format("--out {} already holds something: a sweep writes into a new or empty directory "
                            "(--resume --out {} completes a sweep planned there)", options.out_dir, options.out_dir));
  auto plan = plan_sweep(options);
  if (!plan) return tl::unexpected(plan.error());
  std::error_code ec;
  fs::create_directories(plan->options.out_dir, ec);
  if (ec) return fail(fmt::format("cannot create {}: {}", plan->options.out_dir, ec.message()));
  if (auto st = write_plan_file(*plan); !st) return tl::unexpected(st.error());
  return plan;
}

Result<SweepResults> run_sweep(const SweepOptions& options, const StepProgress& on_done) {
  auto plan = start_sweep(options);
  if (!plan) return tl::unexpected(plan.error());
  run_steps_locally(*plan, options.workers, on_done);
  return collect_results(*plan);
}

}  // namespace trader::replay
