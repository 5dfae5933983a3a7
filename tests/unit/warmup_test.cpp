// A live session's warm-up: Binance's kline answers read, the kline cache, how far back
// and from which interval a config warms up, and the history fetched page by page from
// exchange-sim over real TLS, then from the cache, then past a damaged cache.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "actors/candle_builder/candle_builder_core.hpp"
#include "actors/core_factory/core_factory.hpp"
#include "actors/node/warmup.hpp"
#include "config/node_config.hpp"
#include "exchange/binance/rest_venue.hpp"
#include "exchange/kline_cache.hpp"
#include "sim_over_tls.hpp"

using namespace trader;

namespace {

const std::string kPaper = std::string(TRADER_SOURCE_DIR) + "/config/paper.toml";

NodeConfig live_config(std::vector<std::string> sets) {
  for (const char* s : {"feed.source=binance", "feed.symbols=[\"BTCUSDC\"]", "feed.url=wss://127.0.0.1:1/stream"})
    sets.emplace_back(s);
  auto c = load_node_config_for_replay(kPaper, sets);
  REQUIRE(c.has_value());
  return *c;
}

std::string temp_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

}  // namespace

TEST_CASE("warm-up: Binance's /api/v3/klines answer becomes history klines, the open one is not closed") {
  const std::string answer =
      R"([[1677628800000,"23143.82","23152.65","23140.02","23152.65","0.26395",1677628859999,"6110.1",12,"0.1","2314.4","0"],)"
      R"([1677628860000,"23152.65","23160","23150","23155.5","1.5",1677628919999,"34733.25",40,"0.7","16208.8","0"]])";
  auto k = binance::parse_klines(answer, "BTCUSDC", 60, 1677628900000);
  REQUIRE(k.has_value());
  REQUIRE(k->size() == 2);
  const Kline& first = (*k)[0];
  CHECK(first.symbol == "BTCUSDC");
  CHECK(first.interval_s == 60);
  CHECK(first.open_time_ms == 1677628800000);
  CHECK(first.close_time_ms == 1677628859999);
  CHECK(first.open == 2314382000000);
  CHECK(first.high == 2315265000000);
  CHECK(first.volume == 26395000);
  CHECK(first.quote_volume == 611010000000);
  CHECK(first.trades == 12);
  CHECK(first.taker_buy_quote_volume == 231440000000);
  CHECK(first.history);
  CHECK(first.closed);
  CHECK_FALSE((*k)[1].closed);  // it closes after the venue's now
  CHECK((*k)[1].history);

  auto bad = binance::parse_klines(R"([[1677628800000,"23143.82","x"]])", "BTCUSDC", 60, 0);
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().message.find("kline 1 of BTCUSDC") != std::string::npos);
  auto backwards = binance::parse_klines(
      R"([[2,"1","1","1","1","1",3,"1",1,"1","1","0"],[1,"1","1","1","1","1",2,"1",1,"1","1","0"]])", "X", 1, 0);
  REQUIRE_FALSE(backwards.has_value());
  CHECK(backwards.error().message.find("out of order") != std::string::npos);
  CHECK(binance::interval_name(60) == "1m");
  CHECK(binance::interval_name(14400) == "4h");
  CHECK(binance::interval_name(120).empty());
}

TEST_CASE("warm-up: the kline cache reads back what it wrote, and names the line it cannot read") {
  const std::string dir = temp_dir("trader_kline_cache_test");
  const std::string path = kline_cache_path(dir, "127.0.0.1:8443", "BTCUSDC", 60);
  CHECK(path == dir + "/127.0.0.1_8443/BTCUSDC-60s.csv");
  auto none = read_kline_cache(path, "BTCUSDC", 60);
  REQUIRE(none.has_value());
  CHECK(none->empty());
  std::vector<Kline> klines;
  for (int i = 0; i < 3; ++i) {
    Kline k;
    k.symbol = "BTCUSDC";
    k.interval_s = 60;
    k.open_time_ms = 1677628800000 + i * 60'000;
    k.close_time_ms = k.open_time_ms + 59'999;
    k.open = 2314382000000 + i;
    k.high = k.open + 5;
    k.low = k.open - 5;
    k.close = k.open + 1;
    k.volume = 26395000;
    k.quote_volume = 611010000000;
    k.trades = 12 + static_cast<std::uint64_t>(i);
    k.taker_buy_volume = 1;
    k.taker_buy_quote_volume = 2;
    k.closed = true;
    k.exchange_ts_ms = k.close_time_ms;
    k.history = true;
    klines.push_back(k);
  }
  REQUIRE(write_kline_cache(path, klines).has_value());
  auto back = read_kline_cache(path, "BTCUSDC", 60);
  REQUIRE(back.has_value());
  CHECK(*back == klines);

  // A damaged line is named, with the file.
  std::stringstream text;
  text << std::ifstream(path).rdbuf();
  std::string s = text.str();
  s.replace(s.find(",12,"), 4, ",x,");
  std::ofstream(path) << s;
  auto damaged = read_kline_cache(path, "BTCUSDC", 60);
  REQUIRE_FALSE(damaged.has_value());
  CHECK(damaged.error().message.find(path + ":2:") != std::string::npos);
  std::ofstream(path) << "something else\n";
  auto foreign = read_kline_cache(path, "BTCUSDC", 60);
  REQUIRE_FALSE(foreign.has_value());
  CHECK(foreign.error().message.find(path + ":1: not a kline cache") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("warm-up: as far back as the cores need, on the longest interval's boundary, from the klines that divide all") {
  // paper.toml: candles 1m, 5m and 1h; the rule waits for slow_ema = 48 candles of 1m.
  const NodeConfig c = live_config({});
  auto cores = make_cores(c);
  REQUIRE(cores.has_value());
  const auto plan = node::plan_warmup(c, *cores);
  CHECK(plan.symbols == std::vector<std::string>{"BTCUSDC"});
  CHECK(plan.interval_s == 60);
  CHECK(plan.align_s == 3600);
  CHECK(plan.span_ms == 48 * 60'000);
  CHECK(plan.venue == "127.0.0.1:1");
  CHECK(plan.resume_ms.empty());

  // Risk's correlation keeps twice its window of returns: it needs more than the rule.
  const NodeConfig corr = live_config({"risk.correlation_window=100"});
  auto corr_cores = make_cores(corr);
  REQUIRE(corr_cores.has_value());
  CHECK(node::plan_warmup(corr, *corr_cores).span_ms == 201 * 60'000);

  // history.days says it instead; candles of 5m and 15m are fetched as 5m klines.
  const NodeConfig days = live_config({"history.days=2", "candles.intervals=[\"5m\", \"15m\"]", "strategy.interval=\"5m\""});
  auto days_cores = make_cores(days);
  REQUIRE(days_cores.has_value());
  const auto p = node::plan_warmup(days, *days_cores);
  CHECK(p.span_ms == 2 * 86'400'000);
  CHECK(p.interval_s == 300);
  CHECK(p.align_s == 900);

  // USDⓈ-M names no klines under 1m: 1m and 5m candles take 1m klines, a 1s candle none (cold).
  auto usdm = [](const char* intervals) {
    auto c = load_node_config_for_replay(
        std::string(TRADER_SOURCE_DIR) + "/config/futures-paper.toml",
        {"feed.source=binance_usdm", "feed.symbols=[\"BTCUSDT@binance_usdm\"]", "feed.url=wss://127.0.0.1:1/stream",
         "feed.files=[]", std::string("candles.intervals=") + intervals, "strategy.interval=\"1m\""});
    REQUIRE(c.has_value());
    auto usdm_cores = make_cores(*c);
    REQUIRE(usdm_cores.has_value());
    return node::plan_warmup(*c, *usdm_cores);
  };
  CHECK(usdm("[\"1m\", \"5m\"]").interval_s == 60);
  CHECK(usdm("[\"1s\", \"1m\"]").interval_s == 0);

  // A resumed session: history starts after what its candles hold.
  auto& builder = static_cast<CandleBuilderCore&>(*cores->at(Actor::candle_builder));
  Outbox out;
  Kline k;
  k.symbol = "BTCUSDC";
  k.interval_s = 60;
  k.open_time_ms = 1677628800000;
  k.close_time_ms = k.open_time_ms + 59'999;
  k.open = k.high = k.low = k.close = 100;
  k.closed = true;
  const Message m = k;
  builder.on(Delivery{1, 0, Actor::market_feed, m}, out);
  const auto resumed = node::plan_warmup(c, *cores);
  REQUIRE(resumed.resume_ms.count("BTCUSDC"));
  CHECK(resumed.resume_ms.at("BTCUSDC") == 1677628860000);  // the next minute: 5m and 1h are open from 00:00
}

TEST_CASE("warm-up against exchange-sim over TLS: paged history, then the cache, then a damaged cache rewritten") {
  sim::SimOptions options;
  options.captures = {std::string(TRADER_TEST_DATA_DIR) + "/btcusdc_kline1m_20230301.gz"};
  options.history_ms = 20 * 3'600'000;  // 00:00-20:00 of the day is history, not streamed
  test::SimOverTls sim("trader_warmup_test", options);
  auto offset = sim.venue().sync_time();
  REQUIRE(offset.has_value());

  node::WarmupPlan plan;
  plan.symbols = {"BTCUSDC"};
  plan.span_ms = 86'400'000;  // a day back: all the history the sim has
  plan.cache_dir = temp_dir("trader_warmup_cache");
  plan.venue = sim.url().substr(8);
  auto now = [&] { return std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch()).count() + *offset; };

  // The capture's klines open from 00:00; its first line is received at 00:01, so its
  // stream starts at 20:01 and the klines of 00:00 to 20:00 are over: 1201, two pages.
  const auto first = node::fetch_history(sim.venue(), plan, "BTCUSDC", now(), nullptr);
  INFO(first.status.detail);
  REQUIRE(first.klines.size() >= 1201);
  CHECK(first.status.kind == FeedStatusKind::history);
  CHECK(first.status.stream == "kline_1m");
  CHECK(first.status.expected_id == 0);  // none from the cache
  CHECK(first.status.received_id == first.klines.size());
  for (std::size_t i = 0; i < first.klines.size(); ++i) {
    CHECK(first.klines[i].history);
    CHECK(first.klines[i].closed);
    if (i > 0) CHECK(first.klines[i].open_time_ms == first.klines[i - 1].open_time_ms + 60'000);
  }
  // The same prices as the capture's first kline (23143.82 ... 23152.65).
  CHECK(first.klines[0].open == 2314382000000);
  CHECK(first.klines[0].close == 2315265000000);

  // A restart reads the cache and asks the venue only for what closed since.
  const auto second = node::fetch_history(sim.venue(), plan, "BTCUSDC", now(), nullptr);
  INFO(second.status.detail);
  CHECK(second.status.expected_id == first.klines.size());
  CHECK(second.status.received_id == second.klines.size() - first.klines.size());
  CHECK(std::equal(first.klines.begin(), first.klines.end(), second.klines.begin()));

  // A cache holding only the first 500 klines: the venue is asked for the rest only.
  const std::string path = kline_cache_path(plan.cache_dir, plan.venue, "BTCUSDC", 60);
  REQUIRE(write_kline_cache(path, std::vector<Kline>(first.klines.begin(), first.klines.begin() + 500)).has_value());
  const auto partial = node::fetch_history(sim.venue(), plan, "BTCUSDC", now(), nullptr);
  INFO(partial.status.detail);
  CHECK(partial.status.expected_id == 500);
  CHECK(partial.status.received_id == partial.klines.size() - 500);
  CHECK(std::equal(first.klines.begin(), first.klines.end(), partial.klines.begin()));

  // A damaged cache is named, fetched past and rewritten.
  { std::ofstream(path, std::ios::app) << "garbage\n"; }
  const auto third = node::fetch_history(sim.venue(), plan, "BTCUSDC", now(), nullptr);
  INFO(third.status.detail);
  CHECK(third.status.detail.find("the cache did not read back") != std::string::npos);
  CHECK(third.status.detail.find(path + ":") != std::string::npos);
  CHECK(third.status.expected_id == 0);
  CHECK(third.klines.size() >= second.klines.size());
  auto reread = read_kline_cache(path, "BTCUSDC", 60);
  REQUIRE(reread.has_value());
  CHECK(reread->size() == third.klines.size());

  // A resumed session asks only for what its candles do not hold.
  plan.resume_ms["BTCUSDC"] = first.klines[1000].open_time_ms;
  plan.cache_dir.clear();
  const auto resumed = node::fetch_history(sim.venue(), plan, "BTCUSDC", now(), nullptr);
  REQUIRE(!resumed.klines.empty());
  CHECK(resumed.klines.front().open_time_ms == first.klines[1000].open_time_ms);

  // A symbol the sim does not trade is refused by the venue, and said so.
  const auto unknown = node::fetch_history(sim.venue(), plan, "NOPEUSDT", now(), nullptr);
  CHECK(unknown.klines.empty());
  CHECK(unknown.status.detail.find("Invalid symbol") != std::string::npos);
  std::filesystem::remove_all(temp_dir("trader_warmup_cache"));
}

TEST_CASE("warm-up against exchange-sim over TLS: a page refused with 429 is asked again after its Retry-After") {
  sim::SimOptions options;
  options.captures = {std::string(TRADER_TEST_DATA_DIR) + "/btcusdc_kline1m_20230301.gz"};
  options.history_ms = 20 * 3'600'000;
  // Every second request starts a burst of three 429s with Retry-After: 1 (the sim counts
  // refused requests too): after the time sync, each of the two pages is refused 3 times.
  options.burst_429_every = 2;
  test::SimOverTls sim("trader_warmup_429_test", options);
  auto offset = sim.venue().sync_time();
  REQUIRE(offset.has_value());
  node::WarmupPlan plan;
  plan.symbols = {"BTCUSDC"};
  plan.span_ms = 86'400'000;
  plan.venue = sim.url().substr(8);  // no cache: every kline from the venue
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count() + *offset;
  const auto h = node::fetch_history(sim.venue(), plan, "BTCUSDC", now, nullptr);
  INFO(h.status.detail);
  REQUIRE(h.klines.size() >= 1200);  // both pages, none missing: from the capture's first kline
  CHECK(h.klines.front().open == 2314382000000);
  CHECK(h.klines.back().close_time_ms + 60'000 >= now);  // to the last that closed before now
  for (std::size_t i = 1; i < h.klines.size(); ++i) CHECK(h.klines[i].open_time_ms == h.klines[i - 1].open_time_ms + 60'000);
  CHECK(h.status.detail.find("asked again 6 time(s) after the venue refused or was unreachable (6 s waited)") !=
        std::string::npos);
  CHECK(h.status.detail.find("stopped answering") == std::string::npos);

  // A node stopping during its warm-up asks nothing more.
  std::atomic<bool> stop{true};
  const auto stopped = node::fetch_history(sim.venue(), plan, "BTCUSDC", now, &stop);
  CHECK(stopped.klines.empty());
}
