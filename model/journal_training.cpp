#include "model/journal_training.hpp"

#include <filesystem>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <simdjson.h>

#include "base/file_write.hpp"
#include "base/time_format.hpp"
#include "messages/message_json.hpp"
#include "model/journal_candles.hpp"
#include "model/xgb_model.hpp"

namespace trader::model {
namespace {

std::string time_or_empty(const std::optional<std::int64_t>& ns) { return ns ? format_utc_ns(*ns) : std::string(); }

}  // namespace

std::optional<std::uint32_t> horizon_candles(std::uint32_t horizon_s, std::uint32_t interval_s) {
  if (interval_s == 0 || horizon_s == 0 || horizon_s % interval_s != 0) return std::nullopt;
  return horizon_s / interval_s;
}

double round_trip_cost(double taker_fee_bps, double slippage_bps) { return 2.0 * (taker_fee_bps + slippage_bps) / 1e4; }

Result<TrainedModel> train_on_journal(const JournalTraining& t, const std::function<void(int round)>& on_round) {
  const auto horizon = horizon_candles(t.horizon_s, t.interval_s);
  if (!horizon)
    return fail(fmt::format("horizon {}: expected a duration like 15m that is a multiple of strategy.interval ({} s)",
                            t.horizon, t.interval_s));
  TrainedModel m;
  m.horizon_candles = *horizon;
  auto candles = journal_candles(t.journal_dir, column_intervals(t.interval_s, t.features), t.candles);
  if (!candles) return tl::unexpected(candles.error());
  auto samples = build_samples(candles->by_symbol, t.interval_s, t.features, m.horizon_candles, t.cost);
  // A sample's label is the close horizon_s after it: it is known before `until` only when
  // the sample is at least horizon_s before it.
  if (t.until_ns) {
    const std::int64_t cut_ms = *t.until_ns / 1'000'000 - static_cast<std::int64_t>(t.horizon_s) * 1000;
    std::erase_if(samples, [&](const Sample& s) { return s.ts_ms >= cut_ms; });
  }
  if (t.since_ns) {
    const std::int64_t from_ms = *t.since_ns / 1'000'000;
    std::erase_if(samples, [&](const Sample& s) { return s.ts_ms < from_ms; });
  }
  m.samples = samples.size();
  m.symbols = candles->by_symbol.size();
  m.first_ts_ms = samples.empty() ? 0 : samples.front().ts_ms;
  m.last_ts_ms = samples.empty() ? 0 : samples.back().ts_ms;
  m.first_seq = candles->first_seq;
  m.last_seq = candles->last_seq;
  m.chain_head = candles->chain_head;
  m.candles_built = candles->built;
  auto result = train(std::move(samples), t.params, on_round);
  if (!result) return tl::unexpected(result.error());
  m.result = std::move(*result);
  m.model_id = sha256_hex(m.result.model);
  return m;
}

Status write_model_files(const std::string& path, const JournalTraining& t, const TrainedModel& m) {
  std::error_code ec;
  if (const auto parent = std::filesystem::path(path).parent_path(); !parent.empty())
    std::filesystem::create_directories(parent, ec);
  const auto& r = m.result;
  const auto& p = t.params;
  std::string features;
  for (const auto& c : columns_or_default(t.interval_s, t.features))
    features += (features.empty() ? "" : ",") + to_json_string(c.name);
  std::string meta = "{\n";
  meta += fmt::format("  \"model_id\": \"{}\",\n  \"features\": [{}],\n", m.model_id, features);
  meta += fmt::format("  \"interval_s\": {},\n  \"horizon\": {},\n  \"horizon_candles\": {},\n", t.interval_s,
                      to_json_string(t.horizon), m.horizon_candles);
  meta += fmt::format("  \"label\": \"close {} candles ahead / close - 1 > round-trip cost\",\n  \"round_trip_cost\": {},\n",
                      m.horizon_candles, t.cost);
  meta += fmt::format("  \"journal\": {{\"dir\": {}, \"first_seq\": {}, \"last_seq\": {}, \"chain_head\": \"{}\", "
                      "\"candles_built_from_market_data\": {}}},\n",
                      to_json_string(t.journal_dir), m.first_seq, m.last_seq, m.chain_head, m.candles_built);
  meta += fmt::format("  \"samples\": {{\"total\": {}, \"train\": {}, \"validation\": {}, \"first_ts_ms\": {}, "
                      "\"last_ts_ms\": {}, \"since\": \"{}\", \"until\": \"{}\"}},\n",
                      m.samples, r.train_rows, r.validation_rows, m.first_ts_ms, m.last_ts_ms, time_or_empty(t.since_ns),
                      time_or_empty(t.until_ns));
  meta += fmt::format("  \"params\": {{\"objective\": \"binary:logistic\", \"tree_method\": \"hist\", \"nthread\": 1, "
                      "\"rounds\": {}, \"max_depth\": {}, \"eta\": {}, \"subsample\": {}, \"colsample_bytree\": {}, "
                      "\"min_child_weight\": {}, \"seed\": {}, \"validation_fraction\": {}}},\n",
                      p.rounds, p.max_depth, p.eta, p.subsample, p.colsample_bytree, p.min_child_weight, p.seed,
                      p.validation_fraction);
  meta += fmt::format("  \"validation\": {{\"accuracy\": {:.6f}, \"auc\": {:.6f}, \"log_loss\": {:.6f}, "
                      "\"train_positive_rate\": {:.6f}}}\n}}\n",
                      r.accuracy, r.auc, r.log_loss, r.train_positive_rate);
  const std::string_view bytes(reinterpret_cast<const char*>(r.model.data()), r.model.size());
  if (auto st = write_file_atomically(path, bytes); !st) return st;
  return write_file_atomically(path + ".meta.json", meta);
}

Result<std::optional<std::vector<std::string>>> model_feature_names(const std::string& path) {
  const std::string meta_path = path + ".meta.json";
  std::error_code ec;
  if (!std::filesystem::exists(meta_path, ec)) return std::optional<std::vector<std::string>>{};
  auto bytes = read_file(meta_path);
  if (!bytes) return tl::unexpected(bytes.error());
  std::vector<std::string> trained;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::array names;
  auto error = parser.parse(reinterpret_cast<const char*>(bytes->data()), bytes->size()).get(doc);
  if (!error) error = doc["features"].get(names);
  if (error) return fail(fmt::format("{}: no \"features\" list: {}", meta_path, simdjson::error_message(error)));
  for (auto n : names) {
    std::string_view name;
    if (n.get(name)) return fail(fmt::format("{}: \"features\" holds a value that is not a name", meta_path));
    trained.emplace_back(name);
  }
  // The metadata names the model it describes: one left from another training (a model
  // replaced without it, or a write that failed between the two) describes other features.
  std::string_view described;
  if (doc["model_id"].get(described) == simdjson::SUCCESS) {
    auto model = read_file(path);
    if (!model) return tl::unexpected(model.error());
    if (const auto actual = sha256_hex(*model); actual != described)
      return fail(fmt::format("{} describes model {}, but {} is model {}: the two do not belong together (train "
                              "again, or put back the model's own metadata)",
                              meta_path, described, path, actual));
  }
  return std::optional<std::vector<std::string>>(std::move(trained));
}

Status check_model_columns(const std::string& path, const std::vector<FeatureColumn>& columns) {
  auto names = model_feature_names(path);
  if (!names) return tl::unexpected(names.error());
  if (!*names) return {};
  const auto& trained = **names;
  const std::string meta_path = path + ".meta.json";
  std::vector<std::string> wanted;
  for (const auto& c : columns) wanted.push_back(c.name);
  if (trained != wanted)
    return fail(fmt::format("the model was trained on features [{}] ({}), the strategy reads [{}]: train it with "
                            "the strategy's features, or set them to the model's",
                            fmt::join(trained, ", "), meta_path, fmt::join(wanted, ", ")));
  return {};
}

}  // namespace trader::model
