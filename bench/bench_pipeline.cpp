// Import, replay and live latency benchmarks.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include "actors/node/node_runtime.hpp"
#include "bench/bench_common.hpp"
#include "config/node_config.hpp"
#include "exchange/capture_file.hpp"
#include "exchange/capture_stream.hpp"
#include "journal/journal.hpp"
#include "model/journal_candles.hpp"
#include "model/trainer.hpp"
#include "replay/replay.hpp"
#include "tools/trader_tools/capture_import.hpp"

namespace trader::bench {
namespace fs = std::filesystem;
namespace {

// A bare simdjson parse of every line: every field of the frame and of its data visited.
double simdjson_lines_per_s(const std::string& file, std::size_t* lines_out) {
  auto f = CaptureFile::open(file);
  if (!f) return 0;
  simdjson::ondemand::parser parser;
  CaptureLine line;
  std::size_t lines = 0, fields = 0;
  const auto t0 = std::chrono::steady_clock::now();
  while (true) {
    auto more = (*f)->next(line);
    if (!more || !*more) break;
    ++lines;
    simdjson::ondemand::document doc;
    if (parser.iterate(line.frame, line.frame_len, line.frame_capacity).get(doc)) continue;
    simdjson::ondemand::object obj;
    if (doc.get_object().get(obj)) continue;
    for (auto field : obj) {
      ++fields;
      simdjson::ondemand::object data;
      if (field.value().get_object().get(data) == simdjson::SUCCESS) {
        for (auto inner : data) {
          std::string_view raw;
          if (inner.value().raw_json_token().get(raw) == simdjson::SUCCESS) fields += raw.size() > 0;
        }
      }
    }
  }
  const double secs = seconds_since(t0);
  *lines_out = lines + (fields == 0);
  return static_cast<double>(lines) / secs;
}

// What the import's reading does alone: the capture read into messages (JSON, exact
// decimals; gunzip on a thread of its own, as the import does), nothing journaled.
double capture_read_lines_per_s(const std::string& file) {
  auto stream = CaptureStream::open({file}, "", VenueId::binance, CaptureFile::Gunzip::ahead);
  if (!stream) return 0;
  CaptureItem item;
  std::size_t items = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (;;) {
    auto more = (*stream)->next(item);
    if (!more || !*more) break;
    items += item.kind == CaptureItem::Kind::message;
  }
  const double secs = seconds_since(t0);
  return items ? static_cast<double>((*stream)->lines_read()) / secs : 0;
}

double import_lines_per_s(const Options& o, const std::string& file) {
  const std::string dir = fresh_dir(o, "import");
  journal::Options opts;
  opts.durability = journal::Durability::nosync;
  auto w = journal::Writer::open(dir, opts);
  if (!w) return 0;
  ImportOptions io;
  io.files = {file};
  const auto t0 = std::chrono::steady_clock::now();
  auto r = import_captures(**w, io);
  const double secs = seconds_since(t0);
  return r ? static_cast<double>(r->lines) / secs : 0;
}

}  // namespace

Result<NodeConfig> bench_config(const std::vector<std::string>& overrides, ConfigUse use) {
  static const char* kBase = R"(
[candles]
intervals = ["1m", "5m", "1h"]
[portfolio]
quote_asset = "USDC"
[journal]
durability = "nosync"
snapshot_every = 100000
[logging]
level = "off"
)";
  return parse_node_config(kBase, "bench config", overrides, use);
}

// The 3-week kline file, repeated `rounds` times back to back (times shifted), as an import.
Result<std::string> repeated_klines(const Options& o, int rounds, std::size_t limit) {
  const std::string dir = fresh_dir(o, "klines");
  auto w = journal::Writer::open(dir, journal::Options{journal::Durability::nosync, std::size_t{1} << 30, 4096});
  if (!w) return tl::unexpected(w.error());
  std::vector<std::pair<std::int64_t, Kline>> base;
  auto stream = CaptureStream::open({data_file(o, "btcusdc_kline1m_")});
  if (!stream) return tl::unexpected(stream.error());
  CaptureItem item;
  while (base.size() < limit) {
    auto more = (*stream)->next(item);
    if (!more) return tl::unexpected(more.error());
    if (!*more) break;
    if (auto* k = std::get_if<Kline>(&item.message)) base.emplace_back(item.recv_ts_ns, *k);
  }
  if (base.empty()) return fail("no klines in the shared data");
  const std::int64_t span_ms = base.back().second.close_time_ms + 1 - base.front().second.open_time_ms;
  for (int r = 0; r < rounds; ++r) {
    for (auto [recv, k] : base) {
      const std::int64_t shift = span_ms * r;
      k.open_time_ms += shift;
      k.close_time_ms += shift;
      k.exchange_ts_ms += shift;
      (*w)->append(EnvelopeHeader{0, recv + shift * 1'000'000, Actor::market_feed, Actor::none, 0, 0, 1}, k);
      if ((*w)->batch_full())
        if (auto c = (*w)->commit(); !c) return tl::unexpected(c.error());
    }
  }
  if (auto c = (*w)->commit(); !c) return tl::unexpected(c.error());
  return dir;
}

void bench_import(const Options& o, Results& r) {
  const std::string file = data_file(o, "btcusdt_20240808");
  std::size_t lines = 0;
  double ours = 0, bare = 0, read = 0;
  // Five short rounds (~50 ms each), the best of each side: the import runs on two
  // threads, and this VM's second core comes and goes.
  for (int round = 0; round < (o.smoke ? 1 : 5); ++round) {
    bare = std::max(bare, simdjson_lines_per_s(file, &lines));
    ours = std::max(ours, import_lines_per_s(o, file));
    read = std::max(read, capture_read_lines_per_s(file));
  }
  r["import_lines_per_s"] = ours;
  r["capture_read_lines_per_s"] = read;
  r["simdjson_parse_lines_per_s"] = bare;
  r["import_ratio"] = bare > 0 ? ours / bare : 0;
}

void bench_replay(const Options& o, Results& r) {
  auto klines = repeated_klines(o, o.smoke ? 1 : 10, o.smoke ? 3000 : 1'000'000);
  if (!klines) {
    std::fprintf(stderr, "replay bench: %s\n", klines.error().message.c_str());
    return;
  }
  // A model trained on the first three weeks, as `trader-tools train` would.
  auto cfg = bench_config({});
  auto candles = model::journal_candles(*klines, {60}, cfg->candles);
  if (!candles) return;
  auto samples = model::build_samples(candles->by_symbol, 60, {}, 15, 0.0024);
  if (samples.size() > 30000) samples.resize(30000);
  model::TrainParams params;
  params.rounds = o.smoke ? 10 : 100;
  auto trained = model::train(samples, params);
  if (!trained) {
    std::fprintf(stderr, "replay bench: %s\n", trained.error().message.c_str());
    return;
  }
  const std::string model_path = (fs::path(o.work_dir) / "bench-model.json").string();
  if (std::FILE* f = std::fopen(model_path.c_str(), "wb")) {
    std::fwrite(trained->model.data(), 1, trained->model.size(), f);
    std::fclose(f);
  }
  for (const bool xgb : {true, false}) {
    auto config = bench_config(xgb ? std::vector<std::string>{"strategy.kind=xgboost", "strategy.model=" + model_path}
                                   : std::vector<std::string>{});
    if (!config) return;
    const std::string out = (fs::path(o.work_dir) / (xgb ? "whatif-xgb" : "whatif-rule")).string();
    fs::remove_all(out);
    auto w = replay::what_if(*klines, {}, *config, out);
    if (!w) {
      std::fprintf(stderr, "replay bench: %s\n", w.error().message.c_str());
      return;
    }
    auto v = replay::verify(out, {});
    if (!v || v->divergence) {
      std::fprintf(stderr, "replay bench: verify failed\n");
      return;
    }
    const double per_s = static_cast<double>(v->messages) / v->seconds;
    if (xgb) {
      r["replay_events_per_s"] = per_s;
      r["replay_events"] = static_cast<double>(v->messages);
      r["what_if_events_per_s"] = static_cast<double>(w->records) / w->seconds;
      r["replay_model_predictions"] = static_cast<double>(candles->by_symbol.begin()->second.size());
    } else {
      r["replay_events_per_s_rule_strategy"] = per_s;
    }
  }
}

void bench_node_vs_replay(const Options& o, Results& r) {
  // The same config and the same data through the live CAF node (capture in, journal out)
  // and through what-if (that journal's inputs in, a new journal out): the actor shell's
  // cost over the sequencer's own.
  const std::string capture = data_file(o, "btcusdc_kline1m_");
  const std::string node_dir = fresh_dir(o, "node-vs-replay");
  auto node_config = bench_config({"feed.files=[\"" + capture + "\"]", "journal.path=" + node_dir,
                                   "journal.if_exists=\"replace\""},
                                  ConfigUse::node);
  auto replay_config = bench_config({});
  if (!node_config || !replay_config) return;
  spdlog::set_level(spdlog::level::off);
  double node_best = 0, replay_best = 0, records = 0, deliveries = 0, round_trips = 0;
  for (int round = 0; round < (o.smoke ? 1 : 5); ++round) {  // alternating; the best run of each
    std::atomic<bool> stop{false};
    auto summary = node::run_node(*node_config, stop);
    if (!summary) {
      std::fprintf(stderr, "node vs replay bench: %s\n", summary.error().message.c_str());
      return;
    }
    records = static_cast<double>(summary->last_seq - summary->first_seq + 1);
    deliveries = static_cast<double>(summary->deliveries);
    round_trips = static_cast<double>(summary->round_trips);
    node_best = std::max(node_best, records / summary->wall_seconds);
    const std::string out = fresh_dir(o, "node-vs-replay-whatif");
    fs::remove_all(out);
    auto w = replay::what_if(node_dir, {}, *replay_config, out);
    if (!w) {
      std::fprintf(stderr, "node vs replay bench: %s\n", w.error().message.c_str());
      return;
    }
    replay_best = std::max(replay_best, static_cast<double>(w->records) / w->seconds);
  }
  r["node_events_per_s"] = node_best;
  r["node_vs_replay_events"] = records;
  r["what_if_same_data_events_per_s"] = replay_best;
  r["node_vs_replay_ratio"] = replay_best > 0 ? node_best / replay_best : 0;
  // The best any shell could do that waits for as many answers, each a CAF message and
  // the answer's (as the node delivers): what-if's own work per record plus that many bare
  // round trips. Quiet deliveries (ActorCore::quiet) ride along in those messages and cost
  // no round trip. The same round trip as a CAF request and its response, beside it, is
  // what the node paid per awaited delivery before 2026-12-06.
  const double rtt_us = caf_round_trip_us(o.smoke ? 2'000 : 300'000);
  const double trips_per_record = records > 0 ? round_trips / records : 0;
  r["node_deliveries_per_record"] = records > 0 ? deliveries / records : 0;
  r["node_round_trips_per_record"] = trips_per_record;
  r["caf_round_trip_us"] = rtt_us;
  r["caf_request_round_trip_us"] = caf_request_round_trip_us(o.smoke ? 2'000 : 300'000);
  r["node_vs_replay_ceiling"] = 1.0 / (1.0 + replay_best * trips_per_record * rtt_us * 1e-6);
}

namespace {
struct Latency {
  std::vector<std::int64_t> ns;
  double input_per_s = 0;
  std::uint32_t hops = 0;  // the median order's deliveries between its input and itself
};

Result<Latency> run_latency(const Options& o, const std::string& capture, bool busy_poll, bool sync = false) {
  const std::string journal = (fs::path(o.work_dir) / "latency-journal").string();
  const std::string text = std::string("[node]\nclock_tick_ms = 100\nbusy_poll = ") + (busy_poll ? "true" : "false") + "\n"
                           "[journal]\ndurability = \"" + std::string(sync ? "sync" : "nosync") + "\"\nif_exists = \"replace\"\nsnapshot_every = 0\n"
                           "[feed]\nspeed = " + std::string(o.smoke ? "20" : "30") + "\n"
                           "[candles]\nintervals = [\"1s\"]\nclose_grace_ms = 500\n"
                           "[market]\nlot_step = \"0.00001\"\nmin_notional = \"1\"\n"
                           "[strategy]\ninterval = \"1s\"\nfast_ema = 2\nslow_ema = 3\nmomentum_candles = 1\n"
                           "entry_momentum_bps = 1.0\nreentry_cooldown_candles = 0\nposition_fraction = 0.0005\n"
                           "[risk]\nmax_orders_per_minute = 100000\nmax_trades_per_day = 10000000\n"
                           "max_daily_loss = \"10000000\"\nmax_drawdown = 1.0\nstop_loss = \"off\"\ntake_profit = \"off\"\n"
                           "max_position_equity = 1.0\nmax_position_notional = \"10000000\"\n"
                           "[portfolio]\nstarting_cash = \"100000\"\n"
                           "[order]\nlatency_ms = 0\nmarket_timeout_ms = 5000\n"
                           "[logging]\nlevel = \"off\"\n";
  auto config = parse_node_config(text, "latency bench config",
                                  {"feed.files=[\"" + capture + "\"]", "journal.path=" + journal}, ConfigUse::node);
  if (!config) return tl::unexpected(config.error());
  std::atomic<bool> stop{false};
  spdlog::set_level(spdlog::level::from_str(config->log_level));  // the bench's stdout is its report
  auto summary = node::run_node(*config, stop);
  if (!summary) return tl::unexpected(summary.error());
  if (summary->tick_to_order_ns.empty()) return fail("no orders");
  Latency l{summary->tick_to_order_ns, static_cast<double>(summary->feed_items) / summary->wall_seconds};
  std::sort(l.ns.begin(), l.ns.end());
  auto hops = summary->tick_to_order_hops;
  std::nth_element(hops.begin(), hops.begin() + static_cast<std::ptrdiff_t>(hops.size() / 2), hops.end());
  l.hops = hops[hops.size() / 2];
  return l;
}

double percentile_us(const std::vector<std::int64_t>& sorted, double q) {
  const auto i = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size()))) - 1;
  return static_cast<double>(sorted[std::min(i, sorted.size() - 1)]) / 1000.0;
}
}  // namespace

void bench_latency(const Options& o, Results& r) {
  // A sustained synthetic stream: 50 trades a second, the price alternating between 101
  // and 99 each second, so the 1-second strategy changes its mind on every candle and
  // nearly every candle ends in an order.
  const int seconds = o.smoke ? 20 : 600;
  const std::string capture = (fs::path(o.work_dir) / "synthetic.txt").string();
  if (std::FILE* f = std::fopen(capture.c_str(), "w")) {
    const std::int64_t t0_ms = 1'700'000'000'000;
    std::uint64_t id = 1;
    for (int s = 0; s < seconds; ++s) {
      for (int k = 0; k < 50; ++k) {
        const std::int64_t t = t0_ms + s * 1000 + k * 20;
        std::fprintf(f,
                     "%lld {\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"trade\",\"E\":%lld,\"s\":\"BTCUSDT\",\"t\":%llu,"
                     "\"p\":\"%s\",\"q\":\"0.50000000\",\"T\":%lld,\"m\":%s,\"M\":true}}\n",
                     static_cast<long long>(t) * 1'000'000, static_cast<long long>(t), static_cast<unsigned long long>(id++),
                     s % 2 ? "99.00000000" : "101.00000000", static_cast<long long>(t), k % 2 ? "true" : "false");
      }
    }
    std::fclose(f);
  }
  // Production setting for latency: busy polling; the default scheduler for comparison.
  for (const bool busy : {true, false}) {
    auto l = run_latency(o, capture, busy);
    if (!l) {
      std::fprintf(stderr, "latency bench: %s\n", l.error().message.c_str());
      return;
    }
    if (busy) {
      r["tick_to_order_p50_us"] = percentile_us(l->ns, 0.50);
      r["tick_to_order_p99_us"] = percentile_us(l->ns, 0.99);
      r["tick_to_order_p999_us"] = percentile_us(l->ns, 0.999);
      r["tick_to_order_max_us"] = static_cast<double>(l->ns.back()) / 1000.0;
      r["tick_to_order_samples"] = static_cast<double>(l->ns.size());
      r["tick_to_order_input_per_s"] = l->input_per_s;
      r["tick_to_order_hops"] = l->hops;
      r["tick_to_order_p50_us_per_hop"] = percentile_us(l->ns, 0.50) / std::max<std::uint32_t>(l->hops, 1);
    } else {
      r["tick_to_order_p50_us_default_scheduler"] = percentile_us(l->ns, 0.50);
      r["tick_to_order_p99_us_default_scheduler"] = percentile_us(l->ns, 0.99);
    }
  }
  // What the machine adds to work that comes after idle time, at the gaps of this stream:
  // a trade every 670 us (of wall time, at 30x), a 1-second candle every 33 ms.
  const int samples = o.smoke ? 5 : 60;
  const double warm = codec_after_idle_ns(std::chrono::nanoseconds(0), samples * 10);
  r["idle_codec_ns_warm"] = warm;
  r["idle_codec_ns_after_670us"] = codec_after_idle_ns(std::chrono::microseconds(670), samples);
  r["idle_codec_ns_after_33ms"] = codec_after_idle_ns(std::chrono::milliseconds(33), samples);
  r["idle_penalty_33ms"] = warm > 0 ? r["idle_codec_ns_after_33ms"] / warm : 0;
  // What testnet and live pay: every commit fsynced (journal.durability = "sync").
  if (auto l = run_latency(o, capture, true, /*sync=*/true); l) {
    r["tick_to_order_p50_us_sync"] = percentile_us(l->ns, 0.50);
    r["tick_to_order_p99_us_sync"] = percentile_us(l->ns, 0.99);
  } else {
    std::fprintf(stderr, "latency bench (sync): %s\n", l.error().message.c_str());
  }
}

}  // namespace trader::bench
