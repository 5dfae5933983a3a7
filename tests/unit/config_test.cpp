// The config loader's defaults against what config/paper.toml documents, key by key,
// driven by the loader's own table of keys (a new key cannot skip this test).
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include <toml++/toml.h>

#include "config/node_config.hpp"

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
  const std::regex section(R"(^\[([a-z_]+)\])"), key(R"(^([a-z_.]+)\s*=)"), note(R"(\(default: (.*?)\))");
  std::string line, sec;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, section)) {
      sec = m[1];
      continue;
    }
    if (!std::regex_search(line, m, key)) continue;
    const std::string dotted = sec + "." + std::string(m[1]);
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

TEST_CASE("config: testnet and live journal with fsync; an explicit nosync is refused, naming the key") {
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

TEST_CASE("config: sizing policies; those that size on the stop need percent stops, named at their line") {
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
