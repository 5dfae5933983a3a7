#include <filesystem>
#include <memory>
#include <tuple>

#include <fmt/format.h>

#include "base/progress.hpp"
#include "base/time_format.hpp"
#include "config/model_training.hpp"
#include "config/node_config.hpp"
#include "exchange/binance/frame_parser.hpp"
#include "journal/directory.hpp"
#include "model/journal_training.hpp"
#include "model/xgb_model.hpp"
#include "tools/trader_tools/commands.hpp"

namespace trader::tools {
namespace {

struct TrainArgs {
  std::string dir, config, out, horizon = "15m", since, until;
  std::vector<std::string> overrides;
  std::uint64_t seed = 7;
  int rounds = 150;
  bool replace = false;
};

int run_train(const TrainArgs& a) {
  // The user's settings for a model to trade with: the paper fees its labels net out are
  // those its venue's fills pay (a venue's first tier where nothing sets them).
  auto config = load_node_config_for_what_if(a.config, a.overrides);
  if (!config) {
    fmt::print(stderr, "error: {}\n", config.error().message);
    return kExitError;
  }
  model::JournalTraining t = training_for(*config);
  t.journal_dir = a.dir;
  t.horizon = a.horizon;
  t.horizon_s = binance::interval_seconds(a.horizon);
  if (!model::horizon_candles(t.horizon_s, t.interval_s)) {
    fmt::print(stderr, "error: --horizon {}: expected a duration like 15m that is a multiple of strategy.interval ({} s)\n",
               a.horizon, t.interval_s);
    return kExitError;
  }
  for (const auto& [flag, text, into] : {std::tuple{"--since", &a.since, &t.since_ns}, std::tuple{"--until", &a.until, &t.until_ns}}) {
    if (text->empty()) continue;
    const auto ns = parse_time_ns(*text);
    if (!ns) {
      fmt::print(stderr, "error: {} {}: expected nanoseconds or an ISO time like 2023-03-15T00:00:00Z\n", flag, *text);
      return kExitError;
    }
    *into = *ns;
  }
  if (t.since_ns && t.until_ns && *t.since_ns >= *t.until_ns) {
    fmt::print(stderr, "error: --since {} is not before --until {}\n", a.since, a.until);
    return kExitError;
  }
  // Training takes a while: an output that cannot be written is refused first (a missing
  // directory is made), and never half of the pair: the model and its metadata.
  for (const std::string& path : {a.out, a.out + ".meta.json"}) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      fmt::print(stderr, "error: --out: cannot write {}: it is a directory\n", path);
      return kExitError;
    }
    if (auto own = journal::refuse_own_file(path); !own) {
      fmt::print(stderr, "error: --out: {}\n", own.error().message);
      return kExitError;
    }
  }
  // A journal holds its model's id, not the model: the bytes of a model a session was
  // recorded with are what replays it, so one is never overwritten by accident.
  if (std::error_code ec; std::filesystem::exists(a.out, ec) && !a.replace) {
    auto bytes = model::read_file(a.out);
    fmt::print(stderr,
               "error: --out {} holds a model already{}: a session recorded with it replays only with those bytes; "
               "write the new model under another name, or give --replace to overwrite it\n",
               a.out, bytes ? fmt::format(" (id {})", model::sha256_hex(*bytes)) : "");
    return kExitError;
  }
  t.params.seed = a.seed;
  t.params.rounds = a.rounds;
  Progress bar("train", static_cast<std::uint64_t>(t.params.rounds), "rounds");
  auto trained = model::train_on_journal(t, [&bar](int round) { bar.update(static_cast<std::uint64_t>(round)); });
  bar.clear();
  if (!trained) {
    fmt::print(stderr, "error: {}\n", trained.error().message);
    return kExitFailed;
  }
  if (auto st = model::write_model_files(a.out, t, *trained); !st) {
    fmt::print(stderr, "error: {}\n", st.error().message);
    return kExitError;
  }
  const auto& r = trained->result;
  fmt::print("trained on {} samples ({} train, {} validation, time-ordered split), {} symbol(s), horizon {} ({} candles)\n",
             trained->samples, r.train_rows, r.validation_rows, trained->symbols, a.horizon, trained->horizon_candles);
  fmt::print("  label: forward return > {:.4f} (round-trip fees + slippage); positive rate in training {:.3f}\n", t.cost,
             r.train_positive_rate);
  fmt::print("  validation: accuracy {:.4f}, AUC {:.4f}, log loss {:.4f}\n", r.accuracy, r.auc, r.log_loss);
  fmt::print("  model {} ({} bytes), id {}\n  metadata {}.meta.json\n", a.out, r.model.size(), trained->model_id, a.out);
  return kExitOk;
}

}  // namespace

void add_train_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<TrainArgs>();
  auto* cmd = app.add_subcommand("train", "Train an XGBoost model on a journal's candles (reproducible: one thread, fixed seed)");
  cmd->add_option("dir", args->dir, "journal directory")->required();
  cmd->add_option("--config", args->config, "config giving the candle interval, fees and slippage")->required();
  cmd->add_option("--set", args->overrides, "override a config key, key=value");
  cmd->add_option("--out", args->out, "model file to write (JSON); metadata goes to OUT.meta.json")->required();
  cmd->add_option("--horizon", args->horizon, "label horizon: how far ahead the return is taken (e.g. 15m, 1h)");
  cmd->add_option("--since", args->since, "train only on candles from this time on (ns or ISO 8601 UTC)");
  cmd->add_option("--until", args->until,
                  "train only on data before this time (ns or ISO 8601 UTC), leaving the rest out of sample");
  cmd->add_option("--seed", args->seed, "training seed");
  cmd->add_option("--rounds", args->rounds, "boosting rounds")->check(CLI::Range(1, 100000));
  cmd->add_flag("--replace", args->replace,
                "overwrite a model already at --out (refused without it: sessions recorded with that model replay only "
                "with its bytes)");
  cmd->callback([args, &exit_code] { exit_code = run_train(*args); });
}

}  // namespace trader::tools
