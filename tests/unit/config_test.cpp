// The config loader's defaults against what config/paper.toml documents, key by key,
// driven by the loader's own table of keys (a new key cannot skip this test).
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include <sys/stat.h>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "config/node_config.hpp"
#include "exchange/binance/stream_url.hpp"
#include "core_harness.hpp"
#include "test_support.hpp"

using namespace trader;

namespace {

const std::string kPaper = std::string(TRADER_SOURCE_DIR) + "/config/paper.toml";

std::map<std::string, ConfigKey> by_key(const NodeConfig& c) {
  std::map<std::string, ConfigKey> m;
  for (const auto& k : c.keys) m[k.key] = k;
  return m;
}

// "section.key" -> the TOML text of the default its comment documents ("(default: X)"),
// or, without such a note, the value written on the line.
std::map<std::string, std::string> documented_defaults(const std::string& path) {
  std::ifstream in(path);
  std::map<std::string, std::string> out;
  const auto file = toml::parse_file(path);
  // A key is documented on a line of its own, or, where setting it would change what its
  // absence means (paper fees: each venue's first tier), on a line "#key = example ...
  // (default: X)" that leaves it unset.
  const std::regex section(R"(^\[([a-z_]+)\])"), key(R"(^#?([a-z_.]+)\s*=)"), note(R"(\(default: (.*?)\))");
  std::string line, sec;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, section)) {
      sec = m[1];
      continue;
    }
    if (!std::regex_search(line, m, key)) continue;
    const std::string dotted = sec + "." + std::string(m[1]);
    const bool unset = line[0] == '#';
    if (unset && !std::regex_search(line, note)) continue;
    if (std::regex_search(line, m, note)) {
      out[dotted] = m[1];
    } else {
      std::ostringstream v;
      file.at_path(dotted).node()->visit([&](const auto& n) { v << n; });
      out[dotted] = v.str();
    }
  }
  return out;
}

}  // namespace

TEST_CASE("config: every key's default is the one config/paper.toml documents") {
  auto defaults = parse_node_config("", "empty.toml", {}, ConfigUse::replay);
  REQUIRE(defaults);
  const auto effective = by_key(*defaults);
  const auto documented = documented_defaults(kPaper);
  CHECK(effective.size() > 60);
  for (const auto& [key, k] : effective) {
    CAPTURE(key);
    CHECK(k.source == "default");
    auto doc = documented.find(key);
    REQUIRE_MESSAGE(doc != documented.end(), "config/paper.toml does not document " << key);
    // The documented value, read by the same loader, must come out as the default does.
    auto with_doc = parse_node_config("", "empty.toml", {key + "=" + doc->second}, ConfigUse::replay);
    REQUIRE_MESSAGE(with_doc, key << " = " << doc->second << ": " << with_doc.error().message);
    CHECK_MESSAGE(by_key(*with_doc).at(key).value == k.value,
                  key << ": paper.toml documents " << doc->second << ", the loader's default is " << k.value);
  }
  for (const auto& [key, text] : documented) {
    CAPTURE(key);
    CHECK_MESSAGE(effective.count(key), "config/paper.toml documents " << key << ", which the loader does not read");
  }
}

TEST_CASE("config: stop-loss and take-profit percents mean the same whether written or defaulted") {
  auto defaults = parse_node_config("", "empty.toml", {}, ConfigUse::replay);
  REQUIRE(defaults);
  CHECK(defaults->risk.stop_loss_ppm == 20'000);  // 2 %
  CHECK(defaults->risk.take_profit_ppm == 40'000);  // 4 %
  auto written = parse_node_config("[risk]\nstop_loss_pct = 2.0\ntake_profit_pct = 4\n", "x.toml", {}, ConfigUse::replay);
  REQUIRE(written);
  CHECK(written->risk.stop_loss_ppm == 20'000);
  CHECK(written->risk.take_profit_ppm == 40'000);
  auto small = parse_node_config("", "x.toml", {"risk.stop_loss_pct=0.25"}, ConfigUse::replay);
  REQUIRE(small);
  CHECK(small->risk.stop_loss_ppm == 2'500);
}

TEST_CASE("config: each effective value says where it came from") {
  auto c = load_node_config_for_replay(kPaper, {"risk.max_open_positions=5"});
  REQUIRE(c);
  const auto keys = by_key(*c);
  CHECK(keys.at("risk.max_open_positions").source == "--set");
  CHECK(keys.at("risk.max_open_positions").value == "5");
  CHECK(keys.at("portfolio.quote_asset").value == "\"USDC\"");
  CHECK(keys.at("portfolio.quote_asset").source.find("paper.toml:") != std::string::npos);
  auto bare = parse_node_config("[node]\nid = \"x\"\n", "bare.toml", {}, ConfigUse::replay);
  REQUIRE(bare);
  CHECK(by_key(*bare).at("node.id").source == "bare.toml:2");
  CHECK(by_key(*bare).at("risk.stop_loss_pct").source == "default");
  CHECK(by_key(*bare).at("risk.stop_loss_pct").value == "2.0");
  // The rendering is TOML the loader reads back to the same values.
  const auto text = render_effective_config(*c);
  auto again = parse_node_config(text, "printed.toml", {}, ConfigUse::replay);
  REQUIRE_MESSAGE(again, again.error().message);
  for (const auto& k : again->keys) {
    CAPTURE(k.key);
    CHECK(keys.at(k.key).value == k.value);
  }
}

TEST_CASE("config: testnet and live journal with fsync, an explicit nosync is refused, naming the key") {
  auto paper = parse_node_config("", "x.toml", {}, ConfigUse::replay);
  REQUIRE(paper);
  CHECK(paper->durability == journal::Durability::nosync);
  auto testnet = parse_node_config("[order]\nmode = \"testnet\"\n", "x.toml", {}, ConfigUse::replay);
  REQUIRE(testnet);
  CHECK(testnet->durability == journal::Durability::sync);
  CHECK(by_key(*testnet).at("journal.durability").value == "\"sync\"");
  auto refused = parse_node_config("[journal]\ndurability = \"nosync\"\n[order]\nmode = \"live\"\n", "x.toml", {},
                                   ConfigUse::replay);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find("x.toml:2: journal.durability") != std::string::npos);
}

TEST_CASE("config: [market.SYMBOL] gives a symbol its own lot, minimum and tick, each defaulting to [market]'s") {
  const std::string text = R"([feed]
symbols = ["BTCUSDT", "DOGEUSDT"]

[market]
tick_size = "0.01"

[market.DOGEUSDT]
lot_step = "1"
tick_size = "0.00001"
)";
  auto c = parse_node_config(text, "x.toml", {}, ConfigUse::replay);
  REQUIRE(c);
  for (const MarketRuleBook* book : {&c->strategy.market, &c->xgb.market, &c->risk.market, &c->paper.market,
                                     &c->portfolio.market}) {
    CHECK(book->of("BTCUSDT") == MarketRules{});  // [market]: lot 0.00001, minimum 5, tick 0.01
    CHECK(book->of("DOGEUSDT") == MarketRules{test::px(1), test::px(5), test::px(0.00001)});  // minimum: [market]'s
  }
  const auto keys = by_key(*c);
  REQUIRE(keys.count("market.DOGEUSDT.min_notional"));
  CHECK(keys.at("market.DOGEUSDT.min_notional").value == "\"5\"");
  CHECK(keys.at("market.DOGEUSDT.min_notional").source == "default via [market]");
  CHECK(keys.at("market.DOGEUSDT.tick_size").value == "\"0.00001\"");
  CHECK(keys.at("market.DOGEUSDT.tick_size").source == "x.toml:9");

  // A symbol the session does not trade, a key that is not a rule, a tick of 0: each named at its line.
  const auto bad = parse_node_config(R"([feed]
symbols = ["BTCUSDT"]

[market.ETHUSDT]
lot_step = "0.001"

[market.BTCUSDT]
tick = "0.1"
tick_size = "0"
)", "x.toml", {}, ConfigUse::replay);
  REQUIRE_FALSE(bad);
  const std::string& m = bad.error().message;
  CHECK(m.find("x.toml:4: market.ETHUSDT: ETHUSDT is not a symbol this session trades (BTCUSDT)") != std::string::npos);
  CHECK(m.find("x.toml:8: market.BTCUSDT.tick: unknown key") != std::string::npos);
  CHECK(m.find("x.toml:9: market.BTCUSDT.tick_size: must be positive") != std::string::npos);

  // With every symbol of a capture (feed.symbols empty), any instrument may have rules, but
  // it must be one. What --print-config shows (and the journal keeps) reads back the same.
  auto any = parse_node_config("[market.\"BTC-USD@coinbase\"]\nlot_step = \"0.001\"\n", "x.toml", {},
                               ConfigUse::replay);
  REQUIRE(any);
  CHECK(any->risk.market.of("BTC-USD@coinbase").lot_step == test::px(0.001));
  const auto printed = render_effective_config(*any);
  CHECK(printed.find("\"BTC-USD@coinbase\".lot_step = \"0.001\"") != std::string::npos);
  auto again = parse_node_config(printed, "printed", {}, ConfigUse::replay);
  REQUIRE(again);
  CHECK(again->risk.market == any->risk.market);
  const auto odd = parse_node_config("[market.ethusdt]\nlot_step = \"0.001\"\n", "x.toml", {}, ConfigUse::replay);
  REQUIRE_FALSE(odd);
  CHECK(odd.error().message.find("x.toml:1: market.ethusdt: not an instrument") != std::string::npos);
}

TEST_CASE("config: portfolio.quote_asset names an asset as venues write it, else it is named at its line") {
  auto usdc = parse_node_config("[portfolio]\nquote_asset = \"USDC\"\n", "x.toml", {}, ConfigUse::replay);
  REQUIRE(usdc);
  CHECK(usdc->portfolio.quote_asset == "USDC");
  CHECK(usdc->risk.quote_asset == "USDC");
  // Empty, it turned risk's one-cash-asset check off; in lower case, it refused every entry.
  for (const char* bad : {"", "usdt", "US DT"}) {
    CAPTURE(bad);
    auto refused = parse_node_config(fmt::format("[portfolio]\n\nquote_asset = \"{}\"\n", bad), "x.toml", {},
                                     ConfigUse::replay);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message.find(fmt::format("x.toml:3: portfolio.quote_asset: \"{}\" is not an asset", bad)) !=
          std::string::npos);
  }
}

TEST_CASE("config: a zero that would keep the node from ever trading is refused at its line, naming what it does") {
  const std::string files = fmt::format("feed.files=[\"{}/btcusdc_kline1m_20230301.gz\"]", TRADER_TEST_DATA_DIR);
  // Each ran a whole session with no fill (or halted at its first update), exit 0.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[risk]\nmax_drawdown = 0\n", "x.toml:2: risk.max_drawdown: 0 halts trading at the first portfolio update"},
      {"[risk]\nmax_daily_loss = \"0\"\n", "x.toml:2: risk.max_daily_loss: \"0\" puts risk in REDUCING"},
      {"[risk]\nstop_loss_pct = 0\n",
       "x.toml:2: risk.stop_loss_pct: 0 is no stop_loss at all, while risk.stop_loss = \"percent\" says there is one"},
      {"[risk]\ntake_profit = \"volatility\"\ntake_profit_atr = 0\n",
       "x.toml:3: risk.take_profit_atr: 0 is no take_profit at all, while risk.take_profit = \"volatility\""},
      {"[strategy]\nposition_fraction = 0\n", "x.toml:2: strategy.position_fraction: 0 sizes every entry to nothing"},
      {"[sizing]\npolicy = \"fixed_fraction\"\nfraction = 0\n", "x.toml:3: sizing.fraction: 0 sizes every entry to nothing"},
      {"[sizing]\npolicy = \"risk_per_trade\"\nmax_fraction = 0\n",
       "x.toml:3: sizing.max_fraction: 0 caps every entry at nothing (sizing.policy = \"risk_per_trade\")"},
      {"[sizing]\npolicy = \"kelly\"\nkelly_fraction = 0\n", "x.toml:3: sizing.kelly_fraction: 0 sizes every entry"},
      {"[order]\nkline_participation = 0\n", "x.toml:2: order.kline_participation: 0 fills no paper order on kline data"},
  };
  for (const auto& [text, expected] : cases) {
    auto refused = parse_node_config(text, "x.toml", {files}, ConfigUse::node);
    REQUIRE_MESSAGE(!refused, text);
    CHECK_MESSAGE(refused.error().message.find(expected) != std::string::npos, refused.error().message);
    // A what-if (or a sweep's or a diff's run) over a user's file is held to the same:
    // its result would read as that setting's, and the node would refuse the file.
    auto what_if = parse_node_config(text, "x.toml", {}, ConfigUse::what_if);
    REQUIRE_MESSAGE(!what_if, text);
    CHECK_MESSAGE(what_if.error().message.find(expected) != std::string::npos, what_if.error().message);
    // A recorded config replays as it was.
    CHECK_MESSAGE(parse_node_config(text, "x.toml", {files}, ConfigUse::replay), text);
  }
  // Where the zero is not used, or means what it says, it stands.
  for (const std::string text : {"[risk]\nstop_loss = \"off\"\nstop_loss_pct = 0\n",
                                 "[sizing]\npolicy = \"fixed_fraction\"\n[strategy]\nposition_fraction = 0\n",
                                 "[risk]\nmax_total_exposure = 0\nmax_open_positions = 1\n",
                                 "[strategy]\nmin_fraction = 0\nmax_fraction = 0\n"}) {  // a rule strategy's
    CHECK_MESSAGE(parse_node_config(text, "x.toml", {files}, ConfigUse::node), text);
    CHECK_MESSAGE(parse_node_config(text, "x.toml", {}, ConfigUse::what_if), text);
  }
}

TEST_CASE("config: a paper account needs cash to start with, and a directory is no config file") {
  const std::string files = fmt::format("feed.files=[\"{}/btcusdc_kline1m_20230301.gz\"]", TRADER_TEST_DATA_DIR);
  // With none, the node ran the whole session sizing every entry to nothing, exit 0.
  auto none = parse_node_config("[portfolio]\n\nstarting_cash = \"0\"\n", "x.toml", {files}, ConfigUse::node);
  REQUIRE_FALSE(none);
  CHECK(none.error().message.find("x.toml:3: portfolio.starting_cash: a paper account starts with this cash") !=
        std::string::npos);
  CHECK(parse_node_config("[portfolio]\nstarting_cash = \"0.01\"\n", "x.toml", {files}, ConfigUse::node));
  CHECK_FALSE(parse_node_config("[portfolio]\nstarting_cash = \"0\"\n", "x.toml", {}, ConfigUse::what_if));
  // A venue's account is what the venue holds; a recorded config is replayed as it was.
  CHECK(parse_node_config("[portfolio]\nstarting_cash = \"0\"\n", "x.toml", {}, ConfigUse::replay));
  // A directory read as a file is an empty config: its first complaint would have been the capture files.
  auto dir = load_node_config(std::string(TRADER_SOURCE_DIR) + "/config", {});
  REQUIRE_FALSE(dir);
  CHECK(dir.error().message.find("/config is a directory; expected a TOML file") != std::string::npos);
  CHECK(load_node_config_for_replay(std::string(TRADER_SOURCE_DIR) + "/config", {}).error().message.find(
            "is a directory") != std::string::npos);
}

TEST_CASE("config: a config read from a pipe, as --config <(envsubst < node.toml) gives it, and a device is no config") {
  test::TempDir dir;
  const std::string fifo = dir.sub("node.toml");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::ifstream paper(kPaper);
  std::stringstream text;
  text << paper.rdbuf();
  // The writer blocks in its open until the config is opened for reading.
  std::thread writer([&] { std::ofstream(fifo) << text.str(); });
  auto piped = load_node_config(  // from any working directory
      fifo, {fmt::format("feed.files=[\"{}/btcusdc_kline1m_20230301-07.gz\"]", TRADER_TEST_DATA_DIR)});
  writer.join();
  REQUIRE_MESSAGE(piped.has_value(), (piped ? "" : piped.error().message));  // was "File could not be opened for reading"
  CHECK(piped->node_id == "paper-1");
  // An endless device was read as an empty config, blamed on feed.files.
  auto zero = load_node_config("/dev/zero", {});
  REQUIRE_FALSE(zero);
  CHECK(zero.error().message == "config file /dev/zero goes on past 4 MiB: not a config (a device?)");
}

TEST_CASE("config: a new paper session pays each venue's first fee tier where nothing sets its rates, and journals them") {
  const std::string coinbase = "[feed]\ncapture_venue = \"coinbase\"\n[portfolio]\nquote_asset = \"USD\"\n";
  const auto fees_of = [](const NodeConfig& c, VenueId v) {
    const auto it = c.paper.venue_fees.find(v);
    return it == c.paper.venue_fees.end() ? c.paper.fees : it->second;
  };
  const std::string files = fmt::format("feed.files=[\"{}/coinbase_btcusd_20240808.gz\"]", TRADER_TEST_DATA_DIR);
  const std::string spot_files = fmt::format("feed.files=[\"{}/btcusdc_kline1m_20230301.gz\"]", TRADER_TEST_DATA_DIR);
  for (const ConfigUse use : {ConfigUse::node, ConfigUse::what_if}) {
    // Coinbase paid Binance spot's 10 and 10 bps, flattering every PnL made there.
    auto c = parse_node_config(coinbase, "x.toml", {files}, use);
    REQUIRE_MESSAGE(c, (c ? "" : c.error().message));
    CHECK(fees_of(*c, VenueId::coinbase) == FeeRates{6000, 4000});
    CHECK(paper_fee_warnings(*c).empty());
    // The journaled config says so: read back as a recorded config (no venue default),
    // it pays the same.
    auto recorded = parse_node_config(c->effective_toml, "journaled", {}, ConfigUse::replay);
    REQUIRE_MESSAGE(recorded, (recorded ? "" : recorded.error().message));
    CHECK(fees_of(*recorded, VenueId::coinbase) == FeeRates{6000, 4000});
    CHECK(recorded->effective_toml == c->effective_toml);
    // Each venue its own tier; Binance and KuCoin spot keep [order]'s 10 and 10 (and the
    // config is journaled as given).
    auto usdm = parse_node_config("[feed]\ncapture_venue = \"binance_usdm\"\n", "x.toml", {spot_files}, use);
    REQUIRE(usdm);
    CHECK(fees_of(*usdm, VenueId::binance_usdm) == FeeRates{500, 200});
    auto spot = parse_node_config("", "x.toml", {spot_files}, use);
    REQUIRE(spot);
    CHECK(fees_of(*spot, VenueId::binance) == FeeRates{1000, 1000});
    CHECK(spot->effective_toml.find("fees") == std::string::npos);
    // A rate set in the venue's entry, or in [order], is the one paid; a key the entry
    // leaves out is the venue's tier unless [order] sets it.
    auto own = parse_node_config(coinbase + "[order]\nfees.coinbase = {taker_bps = 25}\n", "x.toml", {files}, use);
    REQUIRE(own);
    CHECK(fees_of(*own, VenueId::coinbase) == FeeRates{2500, 4000});
    CHECK(paper_fee_warnings(*own).empty());
    auto order = parse_node_config(coinbase + "[order]\ntaker_fee_bps = 7.5\n", "x.toml", {files}, use);
    REQUIRE(order);
    CHECK(fees_of(*order, VenueId::coinbase) == FeeRates{750, 4000});
    auto recorded_order = parse_node_config(order->effective_toml, "journaled", {}, ConfigUse::replay);
    REQUIRE(recorded_order);
    CHECK(fees_of(*recorded_order, VenueId::coinbase) == FeeRates{750, 4000});
    // ...which is worth a word: [order]'s rate is not Coinbase's tier.
    const auto warnings = paper_fee_warnings(*order);
    REQUIRE(warnings.size() == 1);
    CHECK(warnings.front().find("paper fills on coinbase pay [order]'s 7.5 bps taker (its first tier: 60)") == 0);
  }
  // A config journaled before these defaults replays as it paid: [order]'s rates.
  auto old = parse_node_config(coinbase, "journaled", {}, ConfigUse::replay);
  REQUIRE(old);
  CHECK(fees_of(*old, VenueId::coinbase) == FeeRates{1000, 1000});
}

TEST_CASE("config: sizing policies, those that size on the stop need percent stops, named at their line") {
  auto kelly = parse_node_config("[sizing]\npolicy = \"kelly\"\nkelly_fraction = 0.25\nmax_fraction = 0.1\n", "x.toml",
                                 {}, ConfigUse::replay);
  REQUIRE(kelly);
  CHECK(kelly->strategy.sizing.policy == SizingPolicy::kelly);
  CHECK(kelly->strategy.sizing.kelly_fraction_ppm == 250'000);
  CHECK(kelly->strategy.sizing.max_fraction_ppm == 100'000);
  CHECK(kelly->strategy.sizing.stop_loss_ppm == kelly->risk.stop_loss_ppm);  // risk's own stop, not a copy of its own
  CHECK(kelly->strategy.sizing.take_profit_ppm == kelly->risk.take_profit_ppm);
  CHECK(kelly->xgb.sizing.policy == SizingPolicy::kelly);  // the XGBoost strategy sizes the same way

  auto atr = parse_node_config("[risk]\nstop_loss = \"volatility\"\n[sizing]\npolicy = \"risk_per_trade\"\n", "x.toml",
                               {}, ConfigUse::replay);
  REQUIRE_FALSE(atr);
  CHECK(atr.error().message.find("x.toml:4: sizing.policy") != std::string::npos);
  CHECK(atr.error().message.find("risk.stop_loss = \"percent\"") != std::string::npos);

  auto unknown = parse_node_config("[sizing]\npolicy = \"martingale\"\n", "x.toml", {}, ConfigUse::replay);
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().message.find("\"kelly\"") != std::string::npos);  // the known names are listed
}

TEST_CASE("config: [[strategies]] entries, each with its kind's keys, [strategy] keeps what they share, [combine]") {
  const std::string text = R"([candles]
intervals = ["1m", "5m"]
[strategy]
reentry_cooldown_candles = 4
[combine]
policy = "k_of_n"
k = 2
[[strategies]]
id = "ema-1m"
fast_ema = 6
slow_ema = 24
[[strategies]]
id = "ema-5m"
kind = "rule"
interval = "5m"
symbols = ["BTCUSDC"]
weight = 2.5
)";
  auto c = parse_node_config(text, "m.toml", {}, ConfigUse::replay);
  REQUIRE_MESSAGE(c, c.error().message);
  REQUIRE(c->strategies.size() == 2);
  CHECK(c->strategies[0].id == "ema-1m");
  CHECK(c->strategies[0].rule.fast_ema == 6);
  CHECK(c->strategies[0].rule.interval_s == 60);
  CHECK(c->strategies[1].rule.interval_s == 300);
  CHECK(c->strategies[1].rule.symbols == std::vector<std::string>{"BTCUSDC"});
  CHECK(c->strategies[1].weight_ppm == 2'500'000);
  CHECK(c->strategy.reentry_cooldown_candles == 4);
  CHECK(c->strategy.interval_s == 60);  // risk's candles: the shortest interval
  CHECK(c->combine.policy == CombinePolicy::k_of_n);
  CHECK(c->combine.k == 2);
  // --set reaches an entry by its index; --print-config shows the entries as [[strategies]].
  auto set = parse_node_config(text, "m.toml", {"strategies[1].weight=4", "strategies[0].slow_ema=30"}, ConfigUse::replay);
  REQUIRE_MESSAGE(set, set.error().message);
  CHECK(set->strategies[1].weight_ppm == 4'000'000);
  CHECK(set->strategies[0].rule.slow_ema == 30);
  const auto printed = render_effective_config(*set);
  CHECK(printed.find("[[strategies]]\nid = \"ema-1m\"") != std::string::npos);
  CHECK(printed.find("weight = 4.0") != std::string::npos);
  auto beyond = parse_node_config(text, "m.toml", {"strategies[2].weight=4"}, ConfigUse::replay);
  REQUIRE_FALSE(beyond);
  CHECK(beyond.error().message.find("the config has no entry 2 in [[strategies]]") != std::string::npos);
}

TEST_CASE("config: a wrong [[strategies]] entry is named with its line, and every error is reported") {
  const std::string text = R"([strategy]
fast_ema = 5
[combine]
policy = "k_of_n"
k = 3
[[strategies]]
id = "a"
[[strategies]]
id = "a"
kind = "xgboost"
fast_ema = 3
[[strategies]]
kind = "rule"
)";
  auto c = parse_node_config(text, "m.toml", {}, ConfigUse::replay);
  REQUIRE_FALSE(c);
  const auto& m = c.error().message;
  CAPTURE(m);
  CHECK(m.find("m.toml:2: strategy.fast_ema: with [[strategies]], [strategy] holds only what they share") != std::string::npos);
  CHECK(m.find("m.toml:9: strategies[1].id: \"a\" names another [[strategies]] entry too") != std::string::npos);
  CHECK(m.find("m.toml:10: strategies[1].model: strategies[1].kind = \"xgboost\" needs strategies[1].model = PATH") != std::string::npos);
  CHECK(m.find("m.toml:11: strategies[1].fast_ema: unknown key") != std::string::npos);  // a rule's key on a model
  CHECK(m.find("strategies[2].id: each [[strategies]] entry needs an id") != std::string::npos);
  CHECK(m.find("combine.k") == std::string::npos);  // 3 of 3 entries is a consensus of all
  auto k = parse_node_config("[combine]\npolicy = \"k_of_n\"\nk = 2\n", "k.toml", {}, ConfigUse::replay);
  REQUIRE_FALSE(k);
  CHECK(k.error().message.find("k.toml:3: combine.k: 2 is more than the 1 strategy configured") != std::string::npos);
}

TEST_CASE("config: a model's features name (interval, feature) columns, a wrong one is named at its line") {
  auto c = parse_node_config(R"([candles]
intervals = ["1m", "5m", "1h"]
[strategy]
features = ["ret_1", "vol_15@1m", "rsi_14@1h", "macd@5m"]
)", "f.toml", {}, ConfigUse::replay);
  REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.error().message));
  const auto& f = c->xgb.features;
  REQUIRE(f.size() == 4);
  CHECK(f[0] == model::FeatureColumn{60, 0, "ret_1"});
  CHECK(f[1] == model::FeatureColumn{60, 4, "vol_15"});  // its own interval: the plain name
  CHECK(f[2] == model::FeatureColumn{3600, 6, "rsi_14@1h"});
  CHECK(f[3] == model::FeatureColumn{300, 7, "macd@5m"});
  CHECK(by_key(*c).at("strategy.features").value == R"(["ret_1", "vol_15", "rsi_14@1h", "macd@5m"])");
  auto plain = parse_node_config("", "p.toml", {}, ConfigUse::replay);
  REQUIRE(plain.has_value());
  CHECK(plain->xgb.features.empty());  // every feature of the strategy's interval

  for (const auto& [line, says] : std::vector<std::pair<std::string, std::string>>{
           {R"(features = ["rsi_14@4h"])", "f.toml:2: strategy.features: \"rsi_14@4h\": 4h is not one of candles.intervals"},
           {R"(features = ["rsi_14@2x"])", "f.toml:2: strategy.features: \"rsi_14@2x\": \"2x\" is not an interval"},
           {R"(features = ["rsi_15"])", "f.toml:2: strategy.features: \"rsi_15\" is not a feature; they are ret_1, ret_5"},
           {R"(features = ["ret_1", "ret_1@1m"])", "f.toml:2: strategy.features: \"ret_1\" is listed twice"},
           {R"(features = "ret_1")", "f.toml:2: strategy.features:"}}) {
    auto bad = parse_node_config("[strategy]\n" + line + "\n", "f.toml", {}, ConfigUse::replay);
    REQUIRE_FALSE(bad.has_value());
    CAPTURE(bad.error().message);
    CHECK(bad.error().message.find(says) != std::string::npos);
  }
  auto entry = parse_node_config(R"([candles]
intervals = ["1m", "5m"]
[[strategies]]
id = "m"
kind = "rule"
features = ["macd@5m"]
)", "e.toml", {}, ConfigUse::replay);
  REQUIRE_FALSE(entry.has_value());
  CHECK(entry.error().message.find("e.toml:6: strategies[0].features: unknown key") != std::string::npos);  // a model's key on a rule
}

TEST_CASE("config: [regime] is read when present, strategies and risk condition on it, a wrong key is named at its line") {
  auto c = parse_node_config(R"([candles]
intervals = ["1m", "1h"]
[regime]
interval = "1h"
trend_t = 3.5
vol_history = 72
[strategy]
regimes = ["up", "high_vol", "normal_vol"]
[risk]
regime_size_factor.high_vol = 0.5
regime_size_factor.range = 0
)", "g.toml", {}, ConfigUse::replay);
  REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.error().message));
  REQUIRE(c->regime.has_value());
  CHECK(c->regime->interval_s == 3600);
  CHECK(c->regime->classifier.trend_t_centi == 350);
  CHECK(c->regime->classifier.vol_history == 72);
  CHECK(c->regime->classifier.trend_window == 24);  // the defaults
  CHECK(c->regime->classifier.high_vol_ppm == 800'000);
  CHECK(c->strategy_regimes.allows(TrendRegime::up, VolatilityRegime::high));
  CHECK(c->strategy_regimes.allows(TrendRegime::up, VolatilityRegime::normal));
  CHECK_FALSE(c->strategy_regimes.allows(TrendRegime::range, VolatilityRegime::high));
  CHECK_FALSE(c->strategy_regimes.allows(TrendRegime::up, VolatilityRegime::low));
  CHECK(c->risk.regime_size.high_vol == 500'000);
  CHECK(c->risk.regime_size.range == 0);
  CHECK(c->risk.regime_size.up == 1'000'000);
  CHECK(by_key(*c).at("strategy.regimes").value == R"(["up", "normal_vol", "high_vol"])");
  CHECK(by_key(*c).at("regime.trend_t").value == "3.5");
  auto plain = parse_node_config("", "p.toml", {}, ConfigUse::replay);
  REQUIRE(plain.has_value());
  CHECK_FALSE(plain->regime.has_value());
  CHECK(plain->strategy_regimes.any());

  for (const auto& [text, says] : std::vector<std::pair<std::string, std::string>>{
           {"[strategy]\nregimes = [\"up\"]\n", "g.toml:4: strategy.regimes: needs a [regime] table"},
           {"[risk]\nregime_size_factor.up = 0.5\n", "g.toml:4: risk.regime_size_factor.up: needs a [regime] table"},
           {"[regime]\n[strategy]\nregimes = [\"sideways\"]\n", "g.toml:5: strategy.regimes: \"sideways\" is not a regime"},
           {"[regime]\ninterval = \"4h\"\n", "g.toml:4: regime.interval: must be one of candles.intervals"},
           {"[regime]\ntrend_window = 201\n", "g.toml:4: regime.trend_window: 201 is out of range [2, 200]"},
           {"[regime]\nvol_window = 1\n", "g.toml:4: regime.vol_window: 1 is out of range [2, 200]"},
           {"[regime]\ntrend_t = 0\n", "g.toml:4: regime.trend_t: must be at least 0.01"},
           {"[regime]\ntrend_t = 100.5\n", "g.toml:4: regime.trend_t: 100.5 is out of range [0, 100]"},
           {"[regime]\nlow_vol_pct = 90\n", "g.toml:4: regime.low_vol_pct: must be below regime.high_vol_pct"},
           {"[regime]\nwindow = 3\n", "g.toml:4: regime.window: unknown key"},
           {"[regime]\n[risk]\nregime_size_factor.up = 1.5\n", "g.toml:5: risk.regime_size_factor.up: 1.5 is out of range [0, 1]"}}) {
    auto bad = parse_node_config("[candles]\nintervals = [\"1m\", \"1h\"]\n" + text, "g.toml", {}, ConfigUse::replay);
    REQUIRE_FALSE(bad.has_value());
    CAPTURE(text);
    CAPTURE(bad.error().message);
    CHECK(bad.error().message.find(says) != std::string::npos);
  }
}

TEST_CASE("config: a Coinbase feed, its defaults journaled as effective, and what it refuses, naming the key") {
  auto c = parse_node_config("[feed]\nsource = \"coinbase\"\nsymbols = [\"BTC-USD@coinbase\"]\n", "x.toml", {},
                             ConfigUse::replay);
  REQUIRE(c);
  CHECK(c->feed_venue() == VenueId::coinbase);
  CHECK(c->feed_url == "wss://advanced-trade-ws.coinbase.com");
  CHECK(c->feed_channels == std::vector<std::string>{"market_trades", "heartbeats"});
  CHECK_FALSE(c->history.warmup);  // no Coinbase klines yet: a cold start
  CHECK(by_key(*c).at("feed.url").value == "\"wss://advanced-trade-ws.coinbase.com\"");
  CHECK(by_key(*c).at("feed.channels").value == "[\"market_trades\", \"heartbeats\"]");
  auto refused = [](const std::string& toml) {
    auto r = parse_node_config(toml, "x.toml", {}, ConfigUse::replay);
    REQUIRE_FALSE(r);
    return r.error().message;
  };
  const std::string feed = "[feed]\nsource = \"coinbase\"\nsymbols = [\"BTC-USD@coinbase\"]\n";
  CHECK(refused(feed + "channels = [\"trade\", \"heartbeats\"]\n").find("x.toml:4: feed.channels: \"trade\" is not a Coinbase channel") !=
        std::string::npos);
  CHECK(refused(feed + "channels = [\"market_trades\"]\n").find("add \"heartbeats\"") != std::string::npos);
  CHECK(refused(feed + "[history]\nwarmup = true\n").find("x.toml:5: history.warmup") != std::string::npos);
  CHECK(refused("[feed]\nsource = \"coinbase\"\nsymbols = [\"BTCUSDT\"]\n").find("is a binance instrument") != std::string::npos);
  CHECK(refused("[feed]\ncapture_venue = \"kraken\"\n").find("feed.capture_venue") != std::string::npos);
  // Binance symbols written with their venue are the bare ones messages hold.
  auto binance = parse_node_config("[feed]\nsymbols = [\"BTCUSDT@binance\"]\n", "x.toml", {}, ConfigUse::replay);
  REQUIRE(binance);
  CHECK(binance->feed_symbols == std::vector<std::string>{"BTCUSDT"});
}

TEST_CASE("config: a Coinbase feed sends its orders to Coinbase, with Coinbase's URLs and key names") {
  const std::string coinbase = "[feed]\nsource = \"coinbase\"\nsymbols = [\"BTC-USD@coinbase\"]\n"
                               "[history]\nwarmup = false\n[order]\nmode = \"testnet\"\n[journal]\ndurability = \"sync\"\n";
  auto c = parse_node_config(coinbase, "x.toml", {}, ConfigUse::replay);
  REQUIRE(c);
  CHECK(c->venue.id == VenueId::coinbase);
  CHECK(c->venue.rest_url == "https://api-sandbox.coinbase.com");
  CHECK(c->venue.public_url == "https://api.coinbase.com");  // the sandbox has no market data
  CHECK(c->venue.key_env == "COINBASE_API_KEY");
  CHECK(c->venue.secret_env == "COINBASE_API_SECRET");
  CHECK_FALSE(c->venue.user_stream);
  auto live = parse_node_config(coinbase, "x.toml", {"order.mode=\"live\""}, ConfigUse::replay);
  REQUIRE(live);
  CHECK(live->venue.rest_url == "https://api.coinbase.com");
  CHECK(live->venue.public_url.empty());  // beside rest_url
  auto sandbox_live = parse_node_config(coinbase, "x.toml", {"order.mode=\"live\"", "venue.rest_url=\"https://api-sandbox.coinbase.com\""},
                                        ConfigUse::replay);
  REQUIRE_FALSE(sandbox_live);
  CHECK(sandbox_live.error().message.find("venue.rest_url: order.mode is \"live\" but this is the testnet") != std::string::npos);
  auto elsewhere = parse_node_config(coinbase + "[venue]\nname = \"binance\"\n", "x.toml", {}, ConfigUse::replay);
  REQUIRE_FALSE(elsewhere);
  CHECK(elsewhere.error().message.find("x.toml:11: venue.name: orders for [feed]'s instruments go to the venue it reads (coinbase)") !=
        std::string::npos);
  auto binance_public = parse_node_config("[venue]\npublic_url = \"https://x\"\n", "x.toml", {}, ConfigUse::replay);
  REQUIRE_FALSE(binance_public);
  CHECK(binance_public.error().message.find("x.toml:2: venue.public_url") != std::string::npos);
}

TEST_CASE("config: another venue beside [feed], its stream in [feed.VENUE] and its orders in [venue.VENUE]") {
  const std::string both = "[feed]\nsource = \"binance\"\nsymbols = [\"BTCUSDT\"]\n"
                           "[feed.coinbase]\nsymbols = [\"BTC-USDT@coinbase\"]\n"
                           "[history]\nwarmup = false\n[order]\nmode = \"testnet\"\n[journal]\ndurability = \"sync\"\n"
                           "[venue.coinbase]\nrest_url = \"https://127.0.0.1:9\"\npoll_ms = 200\n";
  auto c = parse_node_config(both, "m.toml", {}, ConfigUse::replay);
  REQUIRE(c);
  REQUIRE(c->other_venues.size() == 1);
  const auto& cb = c->other_venues.front();
  CHECK(cb.id == VenueId::coinbase);
  CHECK(cb.feed_url == "wss://advanced-trade-ws.coinbase.com");
  CHECK(cb.feed_channels == std::vector<std::string>{"market_trades", "heartbeats"});
  CHECK(cb.symbols == std::vector<std::string>{"BTC-USDT@coinbase"});
  CHECK(cb.venue.id == VenueId::coinbase);
  CHECK(cb.venue.rest_url == "https://127.0.0.1:9");
  CHECK(cb.venue.poll_ms == 200);
  CHECK(cb.venue.key_env == "COINBASE_API_KEY");
  CHECK_FALSE(cb.venue.user_stream);
  CHECK(c->venue.id == VenueId::binance);  // [venue] stays the first venue's
  CHECK(c->venue.rest_url == "https://testnet.binance.vision");
  CHECK(c->traded_symbols() == std::vector<std::string>{"BTCUSDT", "BTC-USDT@coinbase"});
  CHECK(by_key(*c).at("feed.coinbase.url").value == "\"wss://advanced-trade-ws.coinbase.com\"");
  CHECK(by_key(*c).at("venue.coinbase.poll_ms").source == "m.toml:14");
  CHECK(by_key(*c).at("venue.coinbase.secret_env").value == "\"COINBASE_API_SECRET\"");
  // What the journal holds reads back the same (replay rebuilds the session from it).
  auto again = parse_node_config(render_effective_config(*c), "journaled", {}, ConfigUse::replay);
  REQUIRE(again);
  REQUIRE(again->other_venues.size() == 1);
  CHECK(again->other_venues.front().venue.rest_url == "https://127.0.0.1:9");
  CHECK(again->traded_symbols() == c->traded_symbols());

  for (const auto& [text, says] : std::vector<std::pair<std::string, std::string>>{
           {"[feed]\nsymbols = [\"BTCUSDT\"]\n[feed.coinbase]\nsymbols = [\"BTC-USDT@coinbase\"]\n",
            "o.toml:3: feed.coinbase: another venue's stream runs beside a live [feed]"},
           {"[feed]\nsource = \"binance\"\nsymbols = [\"BTCUSDT\"]\n[feed.binance]\nsymbols = [\"ETHUSDT\"]\n",
            "o.toml:4: feed.binance: [feed] reads binance already"},
           {"[feed]\nsource = \"binance\"\nsymbols = [\"BTCUSDT\"]\n[feed.coinbase]\nsymbols = [\"BTC-USD@coinbase\"]\n",
            "o.toml:5: feed.coinbase.symbols: BTC-USD@coinbase is quoted in USD; every instrument is quoted in "
            "portfolio.quote_asset (USDT): one portfolio, one cash asset"},
           {"[feed]\nsource = \"binance\"\nsymbols = [\"BTCUSDT\"]\n[feed.coinbase]\nsymbols = [\"ETHUSDT\"]\n",
            "o.toml:5: feed.coinbase.symbols: \"ETHUSDT\" is a binance instrument; this feed reads coinbase"},
           {"[feed]\nsource = \"binance\"\nsymbols = [\"BTCUSDT\"]\n[feed.coinbase]\nchannels = [\"market_trades\"]\nsymbols = [\"BTC-USDT@coinbase\"]\n",
            "o.toml:5: feed.coinbase.channels: Coinbase closes a connection"},
           {"[feed]\nsource = \"binance\"\nsymbols = [\"BTCUSDT\"]\n[feed.coinbase]\nurl = \"wss://x\"\n",
            "o.toml: feed.coinbase.symbols: the live feed needs the symbols to subscribe to"},
           {"[feed]\nsource = \"binance\"\nsymbols = [\"BTCUSDT\"]\n[feed.kucoin]\nurl = \"wss://x\"\nsymbols = [\"BTC-USDT@kucoin\"]\n",
            "o.toml:5: feed.kucoin.url: expected KuCoin's https:// REST base"},
           {"[feed]\nsource = \"binance\"\nsymbols = [\"BTCUSDT\"]\n[feed.kucoin]\nchannels = [\"trade\"]\nsymbols = [\"BTC-USDT@kucoin\"]\n",
            "o.toml:5: feed.kucoin.channels: \"trade\" is not a KuCoin channel (match, ticker, level2)"},
           {"[feed]\nsource = \"binance\"\nsymbols = [\"BTCUSDT\"]\n[feed.kucoin]\nsymbols = [\"BTC-USDT@kucoin\"]\n"
            "[order]\nmode = \"testnet\"\n[journal]\ndurability = \"sync\"\n[venue.kucoin]\npoll_ms = 200\n",
            "venue.kucoin.rest_url: KuCoin has no public spot sandbox"},
           {"[feed]\nsource = \"binance\"\nsymbols = [\"BTCUSDT\"]\n[venue]\npassphrase_env = \"X\"\n",
            "o.toml:5: venue.passphrase_env: KuCoin's: other venues' keys have no API passphrase"},
           {"[feed]\nsource = \"binance\"\nsymbols = [\"BTCUSDT\"]\n[venue.coinbase]\npoll_ms = 200\n",
            "o.toml:4: venue.coinbase: orders for coinbase need its instruments: add [feed.coinbase]"},
           {"[feed]\nsource = \"binance\"\nsymbols = [\"BTCUSDT\"]\n[venue.binance]\npoll_ms = 200\n",
            "o.toml:4: venue.binance: [venue] holds binance's orders already"},
           {"[feed]\nsource = \"binance\"\nsymbols = [\"BTCUSDT\"]\n[feed.coinbase]\nsymbols = [\"BTC-USDT@coinbase\"]\n"
            "[order]\nmode = \"testnet\"\n[journal]\ndurability = \"sync\"\n[venue.coinbase]\nrest_url = \"https://api.coinbase.com\"\n",
            "o.toml:11: venue.coinbase.rest_url: order.mode is \"testnet\" but this is the live venue"}}) {
    auto bad = parse_node_config(text, "o.toml", {}, ConfigUse::replay);
    CAPTURE(text);
    REQUIRE_FALSE(bad.has_value());
    CAPTURE(bad.error().message);
    CHECK(bad.error().message.find(says) != std::string::npos);
  }
}

TEST_CASE("config: a KuCoin feed reads its REST base for tokens, and its orders take the API passphrase") {
  auto c = parse_node_config("[feed]\nsource = \"kucoin\"\nsymbols = [\"BTC-USDT@kucoin\"]\n[portfolio]\nquote_asset = \"USDT\"\n"
                             "[order]\nmode = \"testnet\"\n[journal]\ndurability = \"sync\"\n"
                             "[venue]\nrest_url = \"https://127.0.0.1:9\"\nkey_version = 3\n",
                             "k.toml", {}, ConfigUse::replay);
  REQUIRE(c.has_value());
  CHECK(c->feed_url == "https://api.kucoin.com");
  CHECK(c->feed_channels == std::vector<std::string>{"match"});
  CHECK(c->feed_venue() == VenueId::kucoin);
  CHECK(c->venue.id == VenueId::kucoin);
  CHECK(c->venue.passphrase_env == "KUCOIN_API_PASSPHRASE");
  CHECK(c->venue.key_env == "KUCOIN_API_KEY");
  CHECK(c->venue.key_version == 3);
  CHECK_FALSE(c->venue.user_stream);  // polled
  CHECK_FALSE(c->history.warmup);     // no KuCoin klines yet: the session starts cold
  auto live = parse_node_config("[feed]\nsource = \"kucoin\"\nsymbols = [\"BTC-USDT@kucoin\"]\n[order]\nmode = \"testnet\"\n"
                                "[journal]\ndurability = \"sync\"\n[venue]\nrest_url = \"https://api.kucoin.com\"\n",
                                "k.toml", {}, ConfigUse::replay);
  REQUIRE_FALSE(live.has_value());
  CHECK(live.error().message.find("venue.rest_url: order.mode is \"testnet\" but this is the live venue") != std::string::npos);
}

TEST_CASE("config: a live KuCoin Futures feed: its REST base, four channels, the venue's marks and settlements, its orders") {
  const std::string feed = "[feed]\nsource = \"kucoin_futures\"\nsymbols = [\"XBTUSDTM@kucoin_futures\"]\n";
  auto c = parse_node_config(feed + "[portfolio]\nquote_asset = \"USDT\"\n", "k.toml", {}, ConfigUse::replay);
  REQUIRE(c.has_value());
  CHECK(c->feed_url == "https://api-futures.kucoin.com");
  CHECK(c->feed_channels == std::vector<std::string>{"execution", "tickerV2", "instrument", "announcement"});
  CHECK(c->feed_venue() == VenueId::kucoin_futures);
  CHECK_FALSE(c->perpetuals.mark_from_book);  // the venue's marks
  CHECK_FALSE(c->history.warmup);
  // Trades and books only: the book's mid marks, the schedule funds.
  auto mids = parse_node_config(feed + "channels = [\"execution\", \"tickerV2\"]\n", "k.toml", {}, ConfigUse::replay);
  REQUIRE(mids.has_value());
  CHECK(mids->perpetuals.mark_from_book);
  for (const auto& [text, says] : std::vector<std::pair<std::string, std::string>>{
           {feed + "channels = [\"execution\", \"instrument\"]\n",
            "k.toml:4: feed.channels: KuCoin Futures' marks (\"instrument\") announce no funding time: add \"announcement\""},
           {feed + "channels = [\"execution\", \"announcement\"]\n",
            "k.toml:4: feed.channels: \"announcement\" funds at the venue's settlements, which need its marks"},
           {feed + "channels = [\"execution\", \"match\"]\n",
            "k.toml:4: feed.channels: \"match\" is not a KuCoin Futures channel the node reads"},
           {feed + "url = \"wss://ws-api-futures.kucoin.com\"\n", "k.toml:4: feed.url: expected KuCoin's https:// REST base"},
           {"[feed]\nsource = \"kucoin_futures\"\nsymbols = [\"BTC-USDT@kucoin\"]\n",
            "k.toml:3: feed.symbols: \"BTC-USDT@kucoin\" is a kucoin instrument; this feed reads kucoin_futures"},
           {feed + "[order]\nmode = \"testnet\"\n",
            "venue.rest_url: KuCoin Futures has no public sandbox: order.mode = \"testnet\" needs the URL of one"},
           {feed + "[order]\nmode = \"testnet\"\n[venue]\nrest_url = \"https://api-futures.kucoin.com\"\n",
            "k.toml:7: venue.rest_url: order.mode is \"testnet\" but this is the live venue"}}) {
    auto bad = parse_node_config(text, "k.toml", {}, ConfigUse::replay);
    REQUIRE_FALSE(bad.has_value());
    CAPTURE(bad.error().message);
    CHECK(bad.error().message.find(says) != std::string::npos);
  }
  // Orders: live goes to KuCoin Futures' REST, testnet to the URL given; the passphrase is KuCoin's.
  auto live = parse_node_config(feed + "[order]\nmode = \"live\"\n", "k.toml", {}, ConfigUse::replay);
  REQUIRE(live.has_value());
  CHECK(live->venue.rest_url == "https://api-futures.kucoin.com");
  CHECK(live->venue.passphrase_env == "KUCOIN_FUTURES_API_PASSPHRASE");
  auto sim = parse_node_config(feed + "[order]\nmode = \"testnet\"\n[venue]\nrest_url = \"https://127.0.0.1:9\"\n", "k.toml",
                               {}, ConfigUse::replay);
  REQUIRE(sim.has_value());
  CHECK(sim->venue.rest_url == "https://127.0.0.1:9");
}

TEST_CASE("config: a live USDⓈ-M feed reads fstream's trades, books and marks, warms up from fapi, its orders go to fapi") {
  // Its marks are the venue's (futures.mark_price defaults to "venue" for it).
  auto c = parse_node_config("[feed]\nsource = \"binance_usdm\"\nsymbols = [\"BTCUSDT@binance_usdm\"]\n"
                             "[portfolio]\nquote_asset = \"USDT\"\n",
                             "u.toml", {}, ConfigUse::replay);
  REQUIRE(c.has_value());
  CHECK(c->feed_url == "wss://fstream.binance.com/stream");
  CHECK(c->feed_channels == std::vector<std::string>{"trade", "bookTicker", "markPrice@1s"});
  CHECK(c->feed_venue() == VenueId::binance_usdm);
  CHECK(c->feed_symbols == std::vector<std::string>{"BTCUSDT@binance_usdm"});
  CHECK(c->history.warmup);  // USDⓈ-M's klines, from its own REST
  CHECK(c->history.rest_url == "https://fapi.binance.com");
  auto feed_testnet = parse_node_config("[feed]\nsource = \"binance_usdm\"\nsymbols = [\"BTCUSDT@binance_usdm\"]\n"
                                   "url = \"wss://fstream.binancefuture.com/stream\"\n[portfolio]\nquote_asset = \"USDT\"\n",
                                   "u.toml", {}, ConfigUse::replay);
  REQUIRE(feed_testnet.has_value());
  CHECK(feed_testnet->history.rest_url == "https://testnet.binancefuture.com");
  CHECK_FALSE(c->perpetuals.mark_from_book);
  CHECK(render_effective_config(*c).find("channels = [\"trade\", \"bookTicker\", \"markPrice@1s\"]") != std::string::npos);
  CHECK(render_effective_config(*c).find("mark_price = \"venue\"") != std::string::npos);
  // A channel the parser does not read as marks ("markPrice@3s" is no Binance stream) marks nothing: books mark.
  auto unread = parse_node_config("[feed]\nsource = \"binance_usdm\"\nsymbols = [\"BTCUSDT@binance_usdm\"]\n"
                                  "channels = [\"trade\", \"bookTicker\", \"markPrice@3s\"]\n[portfolio]\nquote_asset = \"USDT\"\n",
                                  "u.toml", {}, ConfigUse::replay);
  REQUIRE(unread.has_value());
  CHECK(unread->perpetuals.mark_from_book);
  for (const auto& [text, says] : std::vector<std::pair<std::string, std::string>>{
           {"[feed]\nsource = \"binance_usdm\"\nsymbols = [\"BTCUSDT\"]\n",
            "u.toml:3: feed.symbols: \"BTCUSDT\" is a binance instrument; this feed reads binance_usdm"},
           {"[feed]\nsource = \"binance_usdm\"\nsymbols = [\"BTCUSDT@binance_usdm\"]\n[order]\nmode = \"testnet\"\n"
            "[venue]\nrest_url = \"https://fapi.binance.com\"\n",
            "u.toml:7: venue.rest_url: order.mode is \"testnet\" but this is the live venue"},
           {"[feed]\nsource = \"binance_usdm\"\nsymbols = [\"BTCUSDT@binance_usdm\"]\n[futures]\nmark_price = \"book_mid\"\n",
            "u.toml:5: futures.mark_price: the feed reads the venue's markPrice stream: \"book_mid\" would mark"},
           {"[feed]\nsource = \"binance_usdm\"\nsymbols = [\"BTCUSDT@binance_usdm\"]\nchannels = [\"trade\", \"bookTicker\"]\n"
            "[futures]\nmark_price = \"venue\"\n",
            "u.toml:6: futures.mark_price: \"venue\" needs the venue's marks: add \"markPrice@1s\" to feed.channels"}}) {
    auto bad = parse_node_config(text, "u.toml", {}, ConfigUse::replay);
    REQUIRE_FALSE(bad.has_value());
    CAPTURE(bad.error().message);
    CHECK(bad.error().message.find(says) != std::string::npos);
  }
  // Orders: USDⓈ-M's testnet by default, fapi live; polled (no user-data stream yet).
  auto testnet = parse_node_config("[feed]\nsource = \"binance_usdm\"\nsymbols = [\"BTCUSDT@binance_usdm\"]\n"
                                   "[portfolio]\nquote_asset = \"USDT\"\n[order]\nmode = \"testnet\"\n",
                                   "u.toml", {}, ConfigUse::replay);
  REQUIRE(testnet.has_value());
  CHECK(testnet->venue.rest_url == "https://testnet.binancefuture.com");
  CHECK(testnet->venue.ws_api_url.empty());
  CHECK_FALSE(testnet->venue.user_stream);
  auto live = parse_node_config("[feed]\nsource = \"binance_usdm\"\nsymbols = [\"BTCUSDT@binance_usdm\"]\n"
                                "[portfolio]\nquote_asset = \"USDT\"\n[order]\nmode = \"live\"\n",
                                "u.toml", {}, ConfigUse::replay);
  REQUIRE(live.has_value());
  CHECK(live->venue.rest_url == "https://fapi.binance.com");
  // The URL subscribes by the venue's own symbol.
  CHECK(binance::combined_stream_url(c->feed_url, c->feed_symbols, c->feed_channels) ==
        "wss://fstream.binance.com/stream?streams=btcusdt@trade/btcusdt@bookTicker/btcusdt@markPrice@1s");
}

using test::px;

TEST_CASE("config: [[futures.contracts]] give the perpetuals' brackets, printed and read back the same") {
  const std::string text = R"([market."BTCUSDT@binance_usdm"]
lot_step = "0.001"
tick_size = "0.1"
[futures]
leverage = 20
[[futures.contracts]]
symbol = "BTCUSDT@binance_usdm"
lot = "0.001"
tick = "0.1"
brackets = [{floor = "0", mmr = "0.004", max_leverage = 125},
            {floor = "50000", mmr = "0.005", max_leverage = 100}]
)";
  auto c = parse_node_config(text, "f.toml", {}, ConfigUse::replay);
  REQUIRE_MESSAGE(c, c.error().message);
  REQUIRE(c->portfolio.perps.list.size() == 1);
  const auto& k = c->portfolio.perps.list[0];
  CHECK(k.symbol == "BTCUSDT@binance_usdm");
  CHECK(k.multiplier == px(1));
  CHECK(k.lot_step == px(0.001));
  CHECK(k.tick_size == px(0.1));
  CHECK(k.max_leverage == 125);
  REQUIRE(k.tiers.size() == 2);
  CHECK(k.tiers[1].floor == px(50000));
  CHECK(k.tiers[1].mmr == px(0.005));
  CHECK(k.tiers[1].max_leverage == 100);
  CHECK(c->portfolio.perps.leverage == 20);
  CHECK(c->paper.perps.list.size() == 1);  // the paper venue liquidates by the same rules
  CHECK(c->paper.perps.leverage == 20);
  // What --print-config shows (and the journal keeps) is a config that reads back the same.
  const auto printed = render_effective_config(*c);
  CAPTURE(printed);
  CHECK(printed.find("[[futures.contracts]]\nsymbol = \"BTCUSDT@binance_usdm\"") != std::string::npos);
  auto again = parse_node_config(printed, "printed", {}, ConfigUse::replay);
  REQUIRE_MESSAGE(again, again.error().message);
  CHECK(render_effective_config(*again).find("brackets = [{floor = \"0\", mmr = \"0.004\", max_leverage = 125}, "
                                             "{floor = \"50000\", mmr = \"0.005\", max_leverage = 100}]") !=
        std::string::npos);
  CHECK(again->portfolio.perps.list[0].tiers == k.tiers);
  // --set reaches an entry's key.
  auto set = parse_node_config(text, "f.toml", {"futures.contracts[0].tick=\"0.05\""}, ConfigUse::replay);
  REQUIRE_MESSAGE(set, set.error().message);
  CHECK(set->paper.perps.list[0].tick_size == px(0.05));
  // The node's orders are whole lots and ticks of the contract's, else the config is refused
  // at the key that sets them (a live venue would refuse every order).
  auto coarse = parse_node_config(text, "f.toml", {"futures.contracts[0].tick=\"0.5\""}, ConfigUse::replay);
  REQUIRE_FALSE(coarse);
  CHECK(coarse.error().message ==
        "f.toml:3: market.BTCUSDT@binance_usdm.tick_size: 0.1 is not a whole number of BTCUSDT@binance_usdm's ticks of "
        "0.5 (futures.contracts[0].tick); set it to a multiple of that");
  auto shared = parse_node_config(text.substr(text.find("[futures]")), "f.toml", {}, ConfigUse::replay);
  REQUIRE_FALSE(shared);
  CHECK(shared.error().message.find(
            "f.toml: market.lot_step: 0.00001 is not a whole number of BTCUSDT@binance_usdm's lots of 0.001 "
            "(futures.contracts[0].lot); set it to a multiple of that (or give BTCUSDT@binance_usdm its own in "
            "[market.\"BTCUSDT@binance_usdm\"])") == 0);
}

TEST_CASE("config: cross margin is for one venue of perpetuals, in paper") {
  const std::string text = R"([feed]
capture_venue = "binance_usdm"
[futures]
margin_mode = "cross"
[[futures.contracts]]
symbol = "BTCUSDT@binance_usdm"
brackets = [{floor = "0", mmr = "0.004", max_leverage = 125}]
[portfolio]
starting_cash = "2500"
)";
  auto c = parse_node_config(text, "f.toml", {}, ConfigUse::replay);
  REQUIRE_MESSAGE(c, c.error().message);
  CHECK(c->paper.perps.margin_mode == futures::MarginMode::cross);
  CHECK(c->portfolio.perps.margin_mode == futures::MarginMode::cross);
  CHECK(c->risk.perps.margin_mode == futures::MarginMode::cross);
  CHECK(c->paper.wallet_start == px(2500));  // the paper venue's wallet is the session's cash
  CHECK(render_effective_config(*c).find("margin_mode = \"cross\"") != std::string::npos);
  // Spot instruments share the cash: refused, naming the key and its line.
  auto spot = parse_node_config(text, "f.toml", {"feed.capture_venue=\"binance\""}, ConfigUse::replay);
  REQUIRE_FALSE(spot);
  CHECK(spot.error().message.find("f.toml:4: futures.margin_mode: cross margin needs every instrument to be a perpetual "
                                  "of one venue") != std::string::npos);
  // At a venue too: the start sets the symbol's margin mode there (node_startup).
  auto testnet = parse_node_config(text, "f.toml", {"order.mode=\"testnet\""}, ConfigUse::replay);
  CHECK((testnet || testnet.error().message.find("futures.margin_mode") == std::string::npos));
  auto unknown = parse_node_config(text, "f.toml", {"futures.margin_mode=\"portfolio\""}, ConfigUse::replay);
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().message.find("futures.margin_mode") != std::string::npos);
  CHECK(unknown.error().message.find("\"isolated\", \"cross\"") != std::string::npos);
}

TEST_CASE("config: wrong perpetual contracts and margin settings are named at their line") {
  const std::string text = R"([futures]
leverage = 150
margin_mode = "cross"
[[futures.contracts]]
symbol = "BTCUSDT"
brackets = [{floor = "0", mmr = "0.004", max_leverage = 125}]
[[futures.contracts]]
symbol = "ETHUSDT@binance_usdm"
tick = "0"
brackets = [{floor = "0", mmr = 0.004, max_leverage = 125},
  {floor = "10000", mmr = "0.003", max_leverage = 100, cum = "5"}]
[[futures.contracts]]
symbol = "SOLUSDT@binance_usdm"
)";
  auto c = parse_node_config(text, "f.toml", {}, ConfigUse::replay);
  REQUIRE_FALSE(c);
  const auto& m = c.error().message;
  CAPTURE(m);
  CHECK(m.find("f.toml:3: futures.margin_mode: cross margin needs every instrument to be a perpetual of one venue "
               "(its wallet is the session's cash), but the session trades binance's") != std::string::npos);
  CHECK(m.find("f.toml:5: futures.contracts[0].symbol: \"BTCUSDT\" is not a perpetual instrument") != std::string::npos);
  CHECK(m.find("f.toml:2: futures.leverage: 150x is above BTCUSDT's maximum of 125x") != std::string::npos);
  CHECK(m.find("f.toml:9: futures.contracts[1].tick: must be above 0") != std::string::npos);
  CHECK(m.find("f.toml:10: futures.contracts[1].brackets[0].mmr: expected a decimal string") != std::string::npos);
  CHECK(m.find("futures.contracts[1].brackets[1].cum: unknown key") != std::string::npos);
  CHECK(m.find("f.toml:12: futures.contracts[2].brackets: expected the margin brackets") != std::string::npos);
  // A table that is valid key by key but not as a whole: the bracket is named.
  auto falling = parse_node_config(R"([[futures.contracts]]
symbol = "ETHUSDT@binance_usdm"
brackets = [{floor = "0", mmr = "0.004", max_leverage = 125}, {floor = "10000", mmr = "0.003", max_leverage = 100}]
)", "g.toml", {}, ConfigUse::replay);
  REQUIRE_FALSE(falling);
  CHECK(falling.error().message.find("g.toml:3: futures.contracts[0].brackets: ETHUSDT@binance_usdm: margin bracket 2: "
                                     "maintenance rates must not fall") != std::string::npos);
}

TEST_CASE("config: strategy.allow_short reaches the strategy, and every one of several strategies") {
  auto c = parse_node_config("[strategy]\nallow_short = true\n", "s.toml", {}, ConfigUse::replay);
  REQUIRE_MESSAGE(c, c.error().message);
  CHECK(c->strategy.allow_short);
  CHECK(c->xgb.allow_short);
  auto several = parse_node_config(R"([strategy]
allow_short = true
[[strategies]]
id = "a"
[[strategies]]
id = "b"
)", "s.toml", {}, ConfigUse::replay);
  REQUIRE_MESSAGE(several, several.error().message);
  REQUIRE(several->strategies.size() == 2);
  for (const auto& e : several->strategies) CHECK((e.rule.allow_short && e.xgb.allow_short));
  auto one = parse_node_config("[strategy]\nallow_short = true\n[[strategies]]\nid = \"a\"\n", "s.toml", {}, ConfigUse::replay);
  REQUIRE_MESSAGE(one, one.error().message);
  REQUIRE(one->strategies.size() == 1);
  CHECK(one->strategies[0].rule.allow_short);
}

TEST_CASE("config: fee rates per venue, with fractions of a basis point, each defaulting to [order]'s") {
  auto c = parse_node_config("[order]\ntaker_fee_bps = 7.5\nmaker_fee_bps = 2\n"
                             "fees.coinbase = {taker_bps = 60, maker_bps = 40}\n"
                             "fees.kucoin = {maker_bps = 0.08}\n",
                             "fees.toml", {}, ConfigUse::replay);
  REQUIRE(c);
  CHECK(c->paper.fees == FeeRates{750, 200});
  CHECK(c->paper.venue_fees.at(VenueId::coinbase) == FeeRates{6000, 4000});
  CHECK(c->paper.venue_fees.at(VenueId::kucoin) == FeeRates{750, 8});
  CHECK(c->paper.fees_of("BTC-USD@coinbase").taker_ppm == 6000);
  CHECK(c->paper.fees_of("BTCUSDT").taker_ppm == 750);
  const auto keys = by_key(*c);
  CHECK(keys.at("order.taker_fee_bps").value == "7.5");
  CHECK(keys.at("order.maker_fee_bps").value == "2");  // whole rates print as they always did
  CHECK(keys.at("order.fees.kucoin.taker_bps").value == "7.5");
  CHECK(keys.at("order.fees.kucoin.taker_bps").source == "default");
  CHECK(keys.at("order.fees.kucoin.maker_bps").value == "0.08");

  for (const auto& [text, says] : std::vector<std::pair<std::string, std::string>>{
           {"[order]\ntaker_fee_bps = 7.555\n", "f.toml:2: order.taker_fee_bps: 7.555 has more than two decimals"},
           {"[order]\nfees.bitstamp = {taker_bps = 5}\n", "f.toml:2: order.fees.bitstamp: unknown venue"},
           {"[order]\n\nfees.coinbase = 60\n", "f.toml:3: order.fees.coinbase: expected a table"},
           {"[order]\nfees.coinbase = {taker = 60}\n", "order.fees.coinbase.taker: unknown key"},
           {"[order]\nfees.coinbase = {taker_bps = -1}\n", "order.fees.coinbase.taker_bps: -1 is out of range"},
           {"[order]\nfees = 3\n", "f.toml:2: order.fees: expected a table of venues"}}) {
    CAPTURE(text);
    auto bad = parse_node_config(text, "f.toml", {}, ConfigUse::replay);
    REQUIRE_FALSE(bad);
    CHECK_MESSAGE(bad.error().message.find(says) != std::string::npos, bad.error().message);
  }
}

TEST_CASE("config: a perpetual's stream beside a spot one, every perpetual stream marked from one source") {
  const std::string spot = "[feed]\nsource = \"binance\"\nsymbols = [\"BTCUSDT\"]\n[history]\nwarmup = false\n";
  auto c = parse_node_config(spot + "[feed.binance_usdm]\nsymbols = [\"BTCUSDT@binance_usdm\"]\n", "h.toml", {},
                             ConfigUse::replay);
  REQUIRE(c);
  REQUIRE(c->other_venues.size() == 1);
  CHECK(c->other_venues[0].id == VenueId::binance_usdm);
  CHECK(c->other_venues[0].feed_url == "wss://fstream.binance.com/stream");
  CHECK(c->other_venues[0].feed_channels == std::vector<std::string>{"trade", "bookTicker", "markPrice@1s"});
  CHECK(c->traded_symbols() == std::vector<std::string>{"BTCUSDT", "BTCUSDT@binance_usdm"});
  CHECK_FALSE(c->perpetuals.mark_from_book);  // its stream reads the venue's marks
  CHECK(by_key(*c).at("futures.mark_price").value == "\"venue\"");
  auto from_book = parse_node_config(
      spot + "[feed.binance_usdm]\nsymbols = [\"BTCUSDT@binance_usdm\"]\nchannels = [\"trade\", \"bookTicker\"]\n", "h.toml",
      {}, ConfigUse::replay);
  REQUIRE(from_book);
  CHECK(from_book->perpetuals.mark_from_book);

  for (const auto& [text, says] : std::vector<std::pair<std::string, std::string>>{
           {"[feed]\nsource = \"binance_usdm\"\nsymbols = [\"BTCUSDT@binance_usdm\"]\n[history]\nwarmup = false\n"
            "[feed.kucoin_futures]\nsymbols = [\"XBTUSDTM@kucoin_futures\"]\nchannels = [\"execution\", \"tickerV2\"]\n",
            "h.toml:8: feed.kucoin_futures.channels: feed.channels reads the venue's marks and this stream does not: one "
            "mark source for every perpetual (add \"instrument\", or take the marks out of feed.channels)"},
           {spot + "[feed.kucoin_futures]\nsymbols = [\"XBTUSDTM@kucoin_futures\"]\nchannels = [\"execution\", \"instrument\"]\n",
            "h.toml:8: feed.kucoin_futures.channels: KuCoin Futures' marks (\"instrument\") announce no funding time"},
           {spot + "[feed.binance_usdm]\nsymbols = [\"BTCUSDT@binance_usdm\"]\nchannels = [\"trade\"]\n[futures]\nmark_price = \"venue\"\n",
            "h.toml:10: futures.mark_price: \"venue\" needs the venue's marks: add \"markPrice@1s\" to "
            "feed.binance_usdm.channels"}}) {
    CAPTURE(text);
    auto bad = parse_node_config(text, "h.toml", {}, ConfigUse::replay);
    REQUIRE_FALSE(bad);
    CHECK_MESSAGE(bad.error().message.find(says) != std::string::npos, bad.error().message);
  }
}
