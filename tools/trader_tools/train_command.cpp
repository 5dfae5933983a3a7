#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "base/progress.hpp"
#include "base/time_format.hpp"
#include "config/node_config.hpp"
#include "exchange/binance/frame_parser.hpp"
#include "messages/message_json.hpp"
#include "model/journal_candles.hpp"
#include "model/trainer.hpp"
#include "model/xgb_model.hpp"
#include "tools/trader_tools/commands.hpp"

namespace trader::tools {
namespace {

struct TrainArgs {
  std::string dir, config, out, horizon = "15m", until;
  std::vector<std::string> overrides;
  std::uint64_t seed = 7;
  int rounds = 150;
};

// Writes the model file, making its directory first (`--out models/m.json` on a fresh checkout).
Status write_file(const std::string& path, const void* data, std::size_t n) {
  std::error_code ec;
  if (const auto parent = std::filesystem::path(path).parent_path(); !parent.empty())
    std::filesystem::create_directories(parent, ec);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return fail(fmt::format("cannot write {}: {}", path, std::strerror(errno)));
  const bool ok = std::fwrite(data, 1, n, f) == n;
  if (std::fclose(f) != 0 || !ok) return fail(fmt::format("cannot write {}", path));
  return {};
}

int run_train(const TrainArgs& a) {
  auto config = load_node_config_for_replay(a.config, a.overrides);
  if (!config) {
    fmt::print(stderr, "error: {}\n", config.error().message);
    return kExitError;
  }
  const std::uint32_t horizon_s = binance::interval_seconds(a.horizon);
  const std::uint32_t interval_s = config->strategy.interval_s;
  if (horizon_s == 0 || horizon_s % interval_s != 0) {
    fmt::print(stderr, "error: --horizon {}: expected a duration like 15m that is a multiple of strategy.interval ({} s)\n",
               a.horizon, interval_s);
    return kExitError;
  }
  const std::uint32_t horizon = horizon_s / interval_s;
  const double cost = 2.0 * (config->paper.taker_fee_bps + config->paper.slippage_bps) / 1e4;

  auto candles = model::journal_candles(a.dir, interval_s, config->candles);
  if (!candles) {
    fmt::print(stderr, "error: {}\n", candles.error().message);
    return kExitError;
  }
  auto samples = model::build_samples(candles->by_symbol, horizon, cost);
  if (!a.until.empty()) {
    const auto until = parse_time_ns(a.until);
    if (!until) {
      fmt::print(stderr, "error: --until {}: expected nanoseconds or an ISO time like 2023-03-15T00:00:00Z\n", a.until);
      return kExitError;
    }
    // Keep only samples whose label is known before the cut-off: nothing after it leaks in.
    const std::int64_t cut_ms = *until / 1'000'000 - static_cast<std::int64_t>(horizon_s) * 1000;
    std::erase_if(samples, [&](const model::Sample& s) { return s.ts_ms >= cut_ms; });
  }
  model::TrainParams params;
  params.seed = a.seed;
  params.rounds = a.rounds;
  const auto n_samples = samples.size();
  const std::int64_t first_ts = samples.empty() ? 0 : samples.front().ts_ms;
  const std::int64_t last_ts = samples.empty() ? 0 : samples.back().ts_ms;
  Progress bar("train", static_cast<std::uint64_t>(params.rounds), "rounds");
  auto result = model::train(std::move(samples), params, [&bar](int round) { bar.update(static_cast<std::uint64_t>(round)); });
  bar.clear();
  if (!result) {
    fmt::print(stderr, "error: {}\n", result.error().message);
    return kExitFailed;
  }
  const auto& r = *result;
  if (auto st = write_file(a.out, r.model.data(), r.model.size()); !st) {
    fmt::print(stderr, "error: {}\n", st.error().message);
    return kExitError;
  }
  const std::string model_id = model::sha256_hex(r.model);

  std::string features;
  for (auto name : model::feature_names()) features += (features.empty() ? "\"" : ",\"") + std::string(name) + "\"";
  std::string meta = "{\n";
  meta += fmt::format("  \"model_id\": \"{}\",\n  \"features\": [{}],\n", model_id, features);
  meta += fmt::format("  \"interval_s\": {},\n  \"horizon\": \"{}\",\n  \"horizon_candles\": {},\n", interval_s, a.horizon, horizon);
  meta += fmt::format("  \"label\": \"close {} candles ahead / close - 1 > round-trip cost\",\n  \"round_trip_cost\": {},\n",
                      horizon, cost);
  meta += "  \"journal\": {\"dir\": ";
  append_json_string(meta, a.dir);
  meta += fmt::format(", \"first_seq\": {}, \"last_seq\": {}, \"chain_head\": \"{}\", \"candles_built_from_market_data\": {}}},\n",
                      candles->first_seq, candles->last_seq, candles->chain_head, candles->built ? "true" : "false");
  meta += fmt::format("  \"samples\": {{\"total\": {}, \"train\": {}, \"validation\": {}, \"first_ts_ms\": {}, \"last_ts_ms\": {}, \"until\": \"{}\"}},\n",
                      n_samples, r.train_rows, r.validation_rows, first_ts, last_ts, a.until);
  meta += fmt::format("  \"params\": {{\"objective\": \"binary:logistic\", \"tree_method\": \"hist\", \"nthread\": 1, "
                      "\"rounds\": {}, \"max_depth\": {}, \"eta\": {}, \"subsample\": {}, \"colsample_bytree\": {}, "
                      "\"min_child_weight\": {}, \"seed\": {}, \"validation_fraction\": {}}},\n",
                      params.rounds, params.max_depth, params.eta, params.subsample, params.colsample_bytree,
                      params.min_child_weight, params.seed, params.validation_fraction);
  meta += fmt::format("  \"validation\": {{\"accuracy\": {:.6f}, \"auc\": {:.6f}, \"log_loss\": {:.6f}, "
                      "\"train_positive_rate\": {:.6f}}}\n}}\n",
                      r.accuracy, r.auc, r.log_loss, r.train_positive_rate);
  const std::string meta_path = a.out + ".meta.json";
  if (auto st = write_file(meta_path, meta.data(), meta.size()); !st) {
    fmt::print(stderr, "error: {}\n", st.error().message);
    return kExitError;
  }
  fmt::print("trained on {} samples ({} train, {} validation, time-ordered split), {} symbol(s), horizon {} ({} candles)\n",
             n_samples, r.train_rows, r.validation_rows, candles->by_symbol.size(), a.horizon, horizon);
  fmt::print("  label: forward return > {:.4f} (round-trip fees + slippage); positive rate in training {:.3f}\n", cost,
             r.train_positive_rate);
  fmt::print("  validation: accuracy {:.4f}, AUC {:.4f}, log loss {:.4f}\n", r.accuracy, r.auc, r.log_loss);
  fmt::print("  model {} ({} bytes), id {}\n  metadata {}\n", a.out, r.model.size(), model_id, meta_path);
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
  cmd->add_option("--until", args->until,
                  "train only on data before this time (ns or ISO 8601 UTC), leaving the rest out of sample");
  cmd->add_option("--seed", args->seed, "training seed");
  cmd->add_option("--rounds", args->rounds, "boosting rounds")->check(CLI::Range(1, 100000));
  cmd->callback([args, &exit_code] { exit_code = run_train(*args); });
}

}  // namespace trader::tools
