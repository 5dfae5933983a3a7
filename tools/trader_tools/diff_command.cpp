#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "base/file_write.hpp"
#include "base/time_format.hpp"
#include "config/node_config.hpp"
#include "journal/journal.hpp"
#include "messages/fixed_point.hpp"
#include "messages/fixed_point_display.hpp"
#include "messages/message_json.hpp"
#include "model/journal_training.hpp"
#include "replay/diff.hpp"
#include "replay/replay.hpp"
#include "tools/trader_tools/commands.hpp"
#include "tools/trader_tools/output_path.hpp"

namespace trader::tools {
namespace {

struct DiffArgs {
  std::string dir_a, dir_b, model_a, model_b, config, work, html;
  std::vector<std::string> overrides;
  std::size_t limit = 20;
};

// The config of the journal's first node session, for diffs that name only models.
Result<std::string> session_config(const std::string& dir) {
  auto reader = journal::Reader::open(dir);
  if (!reader) return tl::unexpected(reader.error());
  auto meta = (*reader)->meta();
  if (!meta) return tl::unexpected(meta.error());
  auto sessions = (*reader)->sessions();
  if (!sessions) return tl::unexpected(sessions.error());
  for (const auto& s : *sessions)
    if (auto it = meta->find(replay::session_config_key(s.id)); it != meta->end()) return it->second;
  return fail(fmt::format("journal {} has no node session to take a config from; pass --config", dir));
}

Result<std::string> run_model(const DiffArgs& a, const std::string& model, const std::string& out) {
  // Each model reads the columns its metadata names (two versions may differ in them);
  // a --set of strategy.features comes after, and wins.
  std::vector<std::string> overrides;
  auto names = model::model_feature_names(model);
  if (!names) return tl::unexpected(names.error());
  if (*names) {
    std::string list;
    for (const auto& n : **names) list += (list.empty() ? "" : ", ") + to_json_string(n);
    overrides.push_back("strategy.features=[" + list + "]");
  }
  overrides.insert(overrides.end(), a.overrides.begin(), a.overrides.end());
  overrides.push_back("strategy.kind=xgboost");
  overrides.push_back("strategy.model=" + model);
  Result<NodeConfig> config = tl::unexpected(Error{});
  if (!a.config.empty()) {
    config = load_node_config_for_what_if(a.config, overrides);
  } else {
    auto text = session_config(a.dir_a);
    if (!text) return tl::unexpected(text.error());
    config = parse_node_config(*text, a.dir_a + " session config", overrides, ConfigUse::replay);
  }
  if (!config) return tl::unexpected(config.error());
  auto report = replay::what_if(a.dir_a, {}, *config, out);
  if (!report) return tl::unexpected(report.error());
  fmt::print("what-if with {}: {} records, decision hash {}\n", model, report->records, report->decision_hash);
  return out;
}

void print_version_table(const replay::DiffReport& r) {
  auto row = [](const char* name, const std::string& a, const std::string& b) {
    fmt::print("  {:<40} {:>22} {:>22}\n", name, a, b);
  };
  row("", "A", "B");
  row("fills", std::to_string(r.a.fills), std::to_string(r.b.fills));
  row("round trips (trades)", std::to_string(r.a.round_trips), std::to_string(r.b.round_trips));
  row("win rate", win_rate_text(r.a), win_rate_text(r.b));
  row("gross PnL", fmt::format("{:.2f}", r.a.gross_pnl), fmt::format("{:.2f}", r.b.gross_pnl));
  row("fees", fmt::format("{:.2f}", r.a.fees), fmt::format("{:.2f}", r.b.fees));
  row("net PnL", fmt::format("{:.2f}", r.a.net_pnl), fmt::format("{:.2f}", r.b.net_pnl));
  row("max drawdown", fmt::format("{:.2f}%", r.a.max_drawdown * 100), fmt::format("{:.2f}%", r.b.max_drawdown * 100));
  row("Sharpe (hourly returns, x sqrt(8760))", sharpe_text(r.a), sharpe_text(r.b));
  row("exposure (time in a position)", fmt::format("{:.1f}%", r.a.exposure * 100), fmt::format("{:.1f}%", r.b.exposure * 100));
  if (r.strategies_a.empty() && r.strategies_b.empty()) return;
  // Each strategy's part: the net PnL of the positions it opened (signals, fills).
  std::vector<std::string> names;
  for (const auto* list : {&r.strategies_a, &r.strategies_b})
    for (const auto& st : *list)
      if (std::find(names.begin(), names.end(), st.strategy) == names.end()) names.push_back(st.strategy);
  auto part = [](const std::vector<replay::StrategyResult>& list, const std::string& name) -> std::string {
    for (const auto& st : list)
      if (st.strategy == name) return fmt::format("{} ({}, {})", format_checked(st.net()), st.signals, st.fills);
    return "-";
  };
  fmt::print("by strategy: net PnL of the positions it opened (signals, fills)\n");
  for (const auto& name : names)
    fmt::print("  {:<34} {:>28} {:>28}\n", name, part(r.strategies_a, name), part(r.strategies_b, name));
}

int run_diff(const DiffArgs& a) {
  const bool by_models = !a.model_a.empty() || !a.model_b.empty();
  if (by_models && (a.model_a.empty() || a.model_b.empty() || !a.dir_b.empty())) {
    fmt::print(stderr, "error: expected either 'diff DIR_A DIR_B' or 'diff DIR --model-a M1 --model-b M2'\n");
    return kExitError;
  }
  if (!by_models && a.dir_b.empty()) {
    fmt::print(stderr, "error: expected a second journal (diff DIR_A DIR_B) or --model-a and --model-b\n");
    return kExitError;
  }
  if (!a.html.empty())
    if (auto can = check_output_path(a.html); !can) {
      fmt::print(stderr, "error: --html: {}\n", can.error().message);
      return kExitError;
    }
  std::string dir_a = a.dir_a, dir_b = a.dir_b;
  std::filesystem::path work;
  bool remove_work = false;
  if (by_models) {
    std::error_code ec;
    if (a.work.empty()) {
      std::string tmpl = (std::filesystem::temp_directory_path() / "trader-diff-XXXXXX").string();
      if (!::mkdtemp(tmpl.data())) {
        fmt::print(stderr, "error: cannot create a work directory\n");
        return kExitError;
      }
      work = tmpl;
      remove_work = true;
    } else {
      work = a.work;
      std::filesystem::create_directories(work, ec);
    }
    auto ra = run_model(a, a.model_a, (work / "a").string());
    auto rb = ra ? run_model(a, a.model_b, (work / "b").string()) : ra;
    if (!ra || !rb) {
      fmt::print(stderr, "error: {}\n", (!ra ? ra : rb).error().message);
      if (remove_work) std::filesystem::remove_all(work, ec);
      return kExitError;
    }
    dir_a = *ra;
    dir_b = *rb;
  }
  auto report = replay::diff_journals(dir_a, dir_b);
  std::error_code ec;
  if (!report) {
    fmt::print(stderr, "error: {}\n", report.error().message);
    if (remove_work) std::filesystem::remove_all(work, ec);
    return kExitFailed;
  }
  if (by_models) {  // name the versions by their models: the what-if journals may be temporary
    report->a.dir = a.model_a + (remove_work ? "" : " -> " + dir_a);
    report->b.dir = a.model_b + (remove_work ? "" : " -> " + dir_b);
  }
  const auto& r = *report;
  fmt::print("A: {} ({})\nB: {} ({})\n", r.a.dir, replay::decided_by(r.a), r.b.dir, replay::decided_by(r.b));
  if (!r.same_inputs) fmt::print("warning: the two journals did not see the same inputs\n");
  fmt::print("decisions: same {}, only A {}, only B {}, different {} (of {} decision points)\n", r.same, r.only_a,
             r.only_b, r.different, r.same + r.only_a + r.only_b + r.different);
  print_version_table(r);
  if (!r.rows.empty()) {
    fmt::print("differences{}:\n", a.limit && r.rows.size() > a.limit ? fmt::format(" (first {} of {})", a.limit, r.rows.size()) : "");
    std::size_t n = 0;
    for (const auto& row : r.rows) {
      if (a.limit && n++ >= a.limit) break;
      fmt::print("  {} {:<9} A: {:<48} B: {}\n", format_utc_ns(row.ts_ms * 1'000'000).substr(0, 16), row.symbol,
                 row.a.present ? row.a.text : "-", row.b.present ? row.b.text : "-");
    }
  }
  if (!a.html.empty()) {
    if (auto written = write_file_atomically(a.html, replay::render_diff_html(r)); !written) {
      fmt::print(stderr, "error: {}\n", written.error().message);
      if (remove_work) std::filesystem::remove_all(work, ec);
      return kExitError;
    }
    fmt::print("report: {}\n", a.html);
  }
  if (remove_work) std::filesystem::remove_all(work, ec);
  return kExitOk;
}

}  // namespace

void add_diff_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<DiffArgs>();
  auto* cmd = app.add_subcommand("diff", "Compare the decisions of two journals of the same inputs, or of two models over one journal");
  cmd->add_option("dir_a", args->dir_a, "journal A (or the journal whose inputs both models replay)")->required();
  cmd->add_option("dir_b", args->dir_b, "journal B");
  cmd->add_option("--model-a", args->model_a, "model file for version A (runs a what-if)");
  cmd->add_option("--model-b", args->model_b, "model file for version B (runs a what-if)");
  cmd->add_option("--config", args->config, "with models: the config to run (default: the journal's session config)");
  cmd->add_option("--set", args->overrides, "with models: override a config key, key=value");
  cmd->add_option("--work", args->work, "with models: keep the two what-if journals here (default: a temporary directory)");
  cmd->add_option("--html", args->html, "write a self-contained HTML report with both equity curves");
  cmd->add_option("--limit", args->limit, "differences to list (0: all)");
  cmd->callback([args, &exit_code] { exit_code = run_diff(*args); });
}

}  // namespace trader::tools
