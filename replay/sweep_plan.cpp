// Planning a sweep: every check before anything is written, the models and tasks it runs,
// and the plan file that lets another process (a Slurm array element, --resume) plan the
// very same sweep again.
#include <filesystem>
#include <map>

#include <fmt/format.h>
#include <simdjson.h>

#include "base/file_write.hpp"
#include "base/time_format.hpp"
#include "config/model_training.hpp"
#include "exchange/binance/frame_parser.hpp"
#include "journal/journal.hpp"
#include "messages/message_json.hpp"
#include "model/xgb_model.hpp"
#include "replay/sweep.hpp"
#include "replay/sweep_config.hpp"

namespace trader::replay {
namespace fs = std::filesystem;
namespace {

constexpr std::int64_t kPlanFormat = 1;
constexpr const char* kPlanFile = "sweep.json";

// What a fold's model is trained from, beyond the fold (training_for): the candle interval
// and how candles are built, and the round-trip cost. Configurations that agree on it
// share one model.
std::string training_key(const NodeConfig& c) {
  const auto t = training_for(c);
  return fmt::format("{}|{}|{}|{}|{}|{}", t.interval_s, fmt::join(t.candles.intervals_s, ","), t.candles.use_agg_trades,
                     t.candles.close_grace_ms, t.candles.max_flat_candles, t.cost);
}

// The records received in [from_ns, to_ns), as a seq range; empty (from > to) when none were.
Result<std::pair<std::uint64_t, std::uint64_t>> received_between(journal::Reader& reader, std::int64_t from_ns,
                                                                  std::int64_t to_ns) {
  journal::Filter f;
  f.from_ts_ns = from_ns;
  f.to_ts_ns = to_ns - 1;
  auto cursor = reader.scan(f);
  if (!cursor) return tl::unexpected(cursor.error());
  std::pair<std::uint64_t, std::uint64_t> r{1, 0};
  for (bool first = true;; first = false) {
    auto rec = cursor->next();
    if (!rec) return tl::unexpected(rec.error());
    if (*rec == nullptr) return r;
    if (first) r.first = (*rec)->header.seq;
    r.second = (*rec)->header.seq;
  }
}

// The receive times of the journal's first and last records.
Result<std::pair<std::int64_t, std::int64_t>> received_span(journal::Reader& reader, const journal::Summary& summary) {
  if (summary.records == 0) return fail(fmt::format("journal {} has no records", reader.dir()));
  std::pair<std::int64_t, std::int64_t> span;
  for (auto [seq, into] : {std::pair{summary.first_seq, &span.first}, std::pair{summary.last_seq, &span.second}}) {
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

std::string absolute(const std::string& path) { return fs::absolute(path).lexically_normal().string(); }

}  // namespace

std::vector<std::string> overrides_of(const SweepOptions& o, const std::vector<std::string>& point) {
  std::vector<std::string> all = o.base_overrides;
  all.insert(all.end(), point.begin(), point.end());
  return all;
}

std::string model_override(const std::string& path) { return "strategy.model=" + to_json_string(path); }

model::JournalTraining training_of(const SweepOptions& o, const NodeConfig& c, const Fold& f) {
  model::JournalTraining t = training_for(c);
  t.journal_dir = o.source_dir;
  t.horizon = o.train_horizon;
  t.horizon_s = binance::interval_seconds(o.train_horizon);
  t.since_ns = f.train_from_ns;
  t.until_ns = f.test_from_ns;
  t.params.rounds = o.train_rounds;
  t.params.seed = o.train_seed;
  return t;
}

Result<SweepPlan> plan_sweep(const SweepOptions& given) {
  // One axis per key, and no key both swept and fixed: the later override would win, and
  // the results would name values that never ran.
  for (std::size_t a = 0; a < given.axes.size(); ++a) {
    const auto& key = given.axes[a].key;
    for (std::size_t b = 0; b < a; ++b)
      if (given.axes[b].key == key)
        return fail(fmt::format("--grid {} is given twice: one --grid per key, with all its values", key));
    for (const auto& kv : given.base_overrides)
      if (kv.substr(0, kv.find('=')) == key)
        return fail(fmt::format("{} is in --set and in --grid: the grid's values would replace the fixed one", key));
  }
  SweepPlan plan;
  plan.options = given;
  SweepOptions& o = plan.options;
  o.source_dir = absolute(o.source_dir);
  o.config_path = absolute(o.config_path);
  o.out_dir = absolute(o.out_dir);
  plan.cwd = fs::current_path().string();
  auto reader = journal::Reader::open(o.source_dir);
  if (!reader) return tl::unexpected(reader.error());
  auto summary = (*reader)->summary();
  if (!summary) return tl::unexpected(summary.error());
  plan.journal_head = journal::to_hex(summary->chain_head);
  auto config_bytes = model::read_file(o.config_path);
  if (!config_bytes) return tl::unexpected(config_bytes.error());
  plan.config_sha256 = model::sha256_hex(*config_bytes);

  const auto grid = grid_points(o.axes);
  plan.points = random_points(grid.size(), o.random.value_or(grid.size()), o.seed);
  if (o.walk_forward) {
    for (const auto& kv : o.base_overrides)
      if (kv.rfind("strategy.model=", 0) == 0)
        return fail("--walk-forward trains each fold's model: strategy.model cannot be set");
    for (const auto& axis : o.axes)
      if (axis.key == "strategy.model") return fail("--walk-forward trains each fold's model: strategy.model cannot be swept");
    if (!model::horizon_candles(binance::interval_seconds(o.train_horizon), 1))
      return fail(fmt::format("--train-horizon {}: expected a duration like 15m", o.train_horizon));
    // One model per fold stands in for strategy.model: a config of several strategies has
    // none (and several models would each need their own training).
    if (auto base = load_node_config_for_what_if(o.config_path, o.base_overrides); base && !base->strategies.empty())
      return fail(fmt::format("--walk-forward trains one model per fold for strategy.model, and {} has {} "
                              "[[strategies]]: not supported yet (sweep it without --walk-forward, or train its "
                              "models with trader-tools train)",
                              o.config_path, base->strategies.size()));
    auto span = received_span(**reader, *summary);
    if (!span) return tl::unexpected(span.error());
    plan.folds = walk_forward_folds(*o.walk_forward, span->first, span->second);
    if (plan.folds.empty())
      return fail(fmt::format("--walk-forward: the journal's data, received {} to {}, is shorter than one fold's "
                              "TRAIN + TEST", format_utc_ns(span->first), format_utc_ns(span->second)));
  }
  // Each configuration's config, checked. A walk-forward's models do not exist yet: the
  // config file stands in for the model file here, and each model is checked when a task
  // loads it.
  for (const std::size_t p : plan.points) {
    auto overrides = overrides_of(o, grid[p]);
    if (o.walk_forward) overrides.push_back(model_override(o.config_path));
    auto c = load_node_config_for_what_if(o.config_path, overrides);
    if (!c) return fail(fmt::format("task with {}: {}", fmt::join(grid[p], " "), c.error().message));
    if (o.walk_forward && c->strategy_kind != StrategyKind::xgboost)
      return fail(fmt::format("--walk-forward trains an XGBoost model per fold: the task with {} has strategy.kind "
                              "\"{}\" (set strategy.kind = \"xgboost\")",
                              fmt::join(grid[p], " "), c->strategy_kind == StrategyKind::rule ? "rule" : "?"));
    if (o.walk_forward)
      if (auto t = training_of(o, *c, plan.folds.front()); !model::horizon_candles(t.horizon_s, t.interval_s))
        return fail(fmt::format("--train-horizon {}: expected a multiple of strategy.interval ({} s)", o.train_horizon,
                                t.interval_s));
    plan.configs.push_back(std::move(*c));
  }

  auto add_task = [&](std::size_t k, std::size_t fold, Window window, std::optional<std::size_t> model,
                      std::pair<std::uint64_t, std::uint64_t> range) {
    TaskStep t;
    t.task.index = plan.tasks.size();
    t.task.point = plan.points[k];
    t.task.overrides = grid[plan.points[k]];
    t.task.fold = fold;
    t.task.window = window;
    t.model = model;
    t.from_seq = range.first;
    t.to_seq = range.second;
    plan.tasks.push_back(std::move(t));
  };
  if (!o.walk_forward) {
    for (std::size_t k = 0; k < plan.points.size(); ++k) add_task(k, 0, Window::whole, std::nullopt, {1, UINT64_MAX});
    return plan;
  }
  for (const Fold& f : plan.folds) {
    auto in = received_between(**reader, f.train_from_ns, f.test_from_ns);
    if (!in) return tl::unexpected(in.error());
    auto out = received_between(**reader, f.test_from_ns, f.test_to_ns);
    if (!out) return tl::unexpected(out.error());
    std::map<std::string, std::size_t> by_key;  // training key -> model step
    for (std::size_t k = 0; k < plan.points.size(); ++k) {
      auto [it, added] = by_key.try_emplace(training_key(plan.configs[k]), plan.models.size());
      if (added) {
        const std::string name = by_key.size() == 1 ? fmt::format("fold-{:02}.json", f.number)
                                                    : fmt::format("fold-{:02}-{}.json", f.number, by_key.size());
        plan.models.push_back({f, k, (fs::path(o.out_dir) / "models" / name).string()});
      }
      add_task(k, f.number, Window::in_sample, it->second, *in);
      add_task(k, f.number, Window::out_of_sample, it->second, *out);
    }
  }
  return plan;
}

Status write_plan_file(const SweepPlan& plan) {
  const SweepOptions& o = plan.options;
  std::string j = fmt::format("{{\"format\":{},\"cwd\":", kPlanFormat);
  append_json_string(j, plan.cwd);
  j += fmt::format(",\"config_sha256\":\"{}\",\"journal_head\":\"{}\",\"source_dir\":", plan.config_sha256, plan.journal_head);
  append_json_string(j, o.source_dir);
  j += ",\"config_path\":";
  append_json_string(j, o.config_path);
  j += ",\"set\":[";
  for (std::size_t i = 0; i < o.base_overrides.size(); ++i) {
    if (i) j += ",";
    append_json_string(j, o.base_overrides[i]);
  }
  j += "],\"grid\":[";
  for (std::size_t a = 0; a < o.axes.size(); ++a) {
    j += a ? ",{\"key\":" : "{\"key\":";
    append_json_string(j, o.axes[a].key);
    j += ",\"values\":[";
    for (std::size_t v = 0; v < o.axes[a].values.size(); ++v) {
      if (v) j += ",";
      append_json_string(j, o.axes[a].values[v]);
    }
    j += "]}";
  }
  j += fmt::format("],\"keep\":\"{}\",\"rank_by\":", o.keep == Keep::journal ? "journal" : "summary");
  append_json_string(j, o.rank_by);
  j += o.random ? fmt::format(",\"random\":{}", *o.random) : std::string(",\"random\":null");
  j += fmt::format(",\"seed\":{}", o.seed);
  j += o.walk_forward ? fmt::format(",\"walk_forward\":[{},{},{}]", o.walk_forward->train_ns, o.walk_forward->test_ns,
                                    o.walk_forward->step_ns)
                      : std::string(",\"walk_forward\":null");
  j += ",\"train_horizon\":";
  append_json_string(j, o.train_horizon);
  j += fmt::format(",\"train_rounds\":{},\"train_seed\":{}}}\n", o.train_rounds, o.train_seed);
  return write_file_atomically((fs::path(o.out_dir) / kPlanFile).string(), j);
}

Result<PlanFile> read_plan_file(const std::string& out_dir) {
  const std::string path = (fs::path(out_dir) / kPlanFile).string();
  PlanFile f;
  SweepOptions& o = f.options;
  try {
    simdjson::dom::parser parser;
    simdjson::padded_string text;
    if (simdjson::padded_string::load(path).get(text) != simdjson::SUCCESS)
      return fail(fmt::format("{}: no sweep planned there (cannot read {})", out_dir, path));
    const simdjson::dom::object doc = parser.parse(text).get_object();
    if (std::int64_t(doc["format"]) != kPlanFormat)
      return fail(fmt::format("{}: a plan of format {}, this build reads {}", path, std::int64_t(doc["format"]), kPlanFormat));
    f.cwd = std::string(std::string_view(doc["cwd"]));
    f.config_sha256 = std::string(std::string_view(doc["config_sha256"]));
    f.journal_head = std::string(std::string_view(doc["journal_head"]));
    o.source_dir = std::string(std::string_view(doc["source_dir"]));
    o.config_path = std::string(std::string_view(doc["config_path"]));
    for (std::string_view kv : simdjson::dom::array(doc["set"])) o.base_overrides.emplace_back(kv);
    for (simdjson::dom::object axis : simdjson::dom::array(doc["grid"])) {
      GridAxis a{std::string(std::string_view(axis["key"])), {}};
      for (std::string_view v : simdjson::dom::array(axis["values"])) a.values.emplace_back(v);
      o.axes.push_back(std::move(a));
    }
    o.keep = std::string_view(doc["keep"]) == "journal" ? Keep::journal : Keep::summary;
    o.rank_by = std::string(std::string_view(doc["rank_by"]));
    if (!doc["random"].is_null()) o.random = std::uint64_t(doc["random"]);
    o.seed = doc["seed"];
    if (!doc["walk_forward"].is_null()) {
      const simdjson::dom::array wf = doc["walk_forward"];
      o.walk_forward = WalkForward{wf.at(0), wf.at(1), wf.at(2)};
    }
    o.train_horizon = std::string(std::string_view(doc["train_horizon"]));
    o.train_rounds = static_cast<int>(std::int64_t(doc["train_rounds"]));
    o.train_seed = doc["train_seed"];
  } catch (const simdjson::simdjson_error& e) {
    return fail(fmt::format("{}: not a plan this build wrote: {}", path, e.what()));
  }
  o.out_dir = absolute(out_dir);  // where it is now, if it was moved
  return f;
}

Result<SweepPlan> replan(const PlanFile& file) {
  auto plan = plan_sweep(file.options);
  if (!plan) return tl::unexpected(plan.error());
  if (plan->config_sha256 != file.config_sha256)
    return fail(fmt::format("{} changed since the sweep in {} was planned: its results would not be one sweep's "
                            "(start a new sweep)", plan->options.config_path, plan->options.out_dir));
  if (plan->journal_head != file.journal_head)
    return fail(fmt::format("journal {} changed since the sweep in {} was planned (its chain head differs): start a "
                            "new sweep", plan->options.source_dir, plan->options.out_dir));
  return plan;
}

}  // namespace trader::replay
