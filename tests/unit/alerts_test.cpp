// The alert rules (what deserves a notification, from journal records alone) and the
// channels' requests and rate limits. The sender is driven over real HTTPS by
// tests/integration/alerts_test.sh.
#include <doctest/doctest.h>

#include "alerts/alert_rules.hpp"
#include "alerts/channel.hpp"

using namespace trader;
using namespace trader::alerts;

namespace {

constexpr std::int64_t kOne = 100'000'000;
constexpr std::int64_t kSec = 1'000'000'000;

std::vector<Alert> feed(AlertRules& rules, std::uint64_t seq, const Message& m) {
  std::vector<Alert> out;
  rules.on_record(seq, m, out);
  return out;
}

RiskState risk(TradingState s, std::string reason) {
  RiskState r;
  r.state = s;
  r.reason = std::move(reason);
  r.ts_ms = 1'000;
  return r;
}

PortfolioState portfolio(std::int64_t ts_ms, std::int64_t equity, std::uint32_t fills) {
  PortfolioState p;
  p.ts_ms = ts_ms;
  p.quote_asset = "USDT";
  p.equity = equity;
  p.starting_cash = 10'000 * kOne;
  p.fills = fills;
  p.drawdown_ppm = 12'345;
  return p;
}

}  // namespace

TEST_CASE("alerts: HALTED, REDUCING and ACTIVE again, once per change") {
  AlertRules rules({});
  CHECK(feed(rules, 1, risk(TradingState::active, "")).empty());
  auto halted = feed(rules, 2, risk(TradingState::halted, "max drawdown 5% reached"));
  REQUIRE(halted.size() == 1);
  CHECK(halted[0] == Alert{Severity::critical, "halted", "HALTED: max drawdown 5% reached", 2, 1'000'000'000});
  CHECK(feed(rules, 3, risk(TradingState::halted, "max drawdown 5% reached")).empty());
  auto active = feed(rules, 4, risk(TradingState::active, "operator resume"));
  REQUIRE(active.size() == 1);
  CHECK(active[0].severity == Severity::info);
  CHECK(active[0].text == "ACTIVE again: operator resume");
  auto reducing = feed(rules, 5, risk(TradingState::reducing, "daily loss limit"));
  REQUIRE(reducing.size() == 1);
  CHECK(reducing[0].severity == Severity::warning);
  CHECK(reducing[0].kind == "reducing");
}

TEST_CASE("alerts: venue errors and rate-limit waits warn, a failed feed is critical, other notes are not alerts") {
  AlertRules rules({});
  auto limited = feed(rules, 7, ErrorReport{"venue_rate_limited", "new order c-7: HTTP 429; nothing sent for 1000 ms", "c-7", 0, 5});
  REQUIRE(limited.size() == 1);
  CHECK(limited[0] == Alert{Severity::warning, "rate_limited", "venue rate limit: new order c-7: HTTP 429; nothing sent for 1000 ms", 7, 5});
  auto venue = feed(rules, 8, ErrorReport{"venue_unavailable", "giving up after 5 attempts", "c-8", 0, 6});
  REQUIRE(venue.size() == 1);
  CHECK(venue[0].kind == "venue_error");
  CHECK(venue[0].text == "venue_unavailable: giving up after 5 attempts");
  auto failed = feed(rules, 9, ErrorReport{"feed_error", "gave up reconnecting", "", 0, 7});
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].severity == Severity::critical);
  CHECK(feed(rules, 10, ErrorReport{"holding_valued_at_start_price", "BTC valued", "", 0, 8}).empty());
}

TEST_CASE("alerts: a feed down longer than feed_down_after_s, by its journaled reconnection attempts or the clock ticks, and back") {
  AlertRules rules({.fills = false, .daily_summary = false, .feed_down_after_s = 60});
  FeedStatus down{FeedStatusKind::disconnected, "", "market", 0, 0, "connection reset", 1'000 * kSec};
  CHECK(feed(rules, 1, down).empty());
  CHECK(feed(rules, 2, ClockTick{1'059 * kSec}).empty());
  auto late = feed(rules, 3, ClockTick{1'060 * kSec});
  REQUIRE(late.size() == 1);
  CHECK(late[0].kind == "feed_down");
  CHECK(late[0].text == "feed market down for 60 s (since 1970-01-01T00:16:40.000000000Z)");
  CHECK(feed(rules, 4, ClockTick{1'200 * kSec}).empty());  // announced once
  auto back = feed(rules, 5, FeedStatus{FeedStatusKind::connected, "", "market", 0, 0, "", 1'300 * kSec});
  REQUIRE(back.size() == 1);
  CHECK(back[0].text == "feed market connected again after 300 s");
  // While it is down, the live stream journals each failed attempt: those alone tell.
  FeedStatus retry{FeedStatusKind::reconnecting, "", "", 0, 0, "connection refused; retrying in 8000 ms", 1'530 * kSec};
  CHECK(feed(rules, 9, FeedStatus{FeedStatusKind::disconnected, "", "", 0, 0, "reset", 1'500 * kSec}).empty());
  CHECK(feed(rules, 10, retry).empty());
  retry.ts_ns = 1'561 * kSec;
  auto retried = feed(rules, 11, retry);
  REQUIRE(retried.size() == 1);
  CHECK(retried[0].text == "feed market data down for 61 s (since 1970-01-01T00:25:00.000000000Z)");
  CHECK(feed(rules, 12, FeedStatus{FeedStatusKind::connected, "", "", 0, 0, "", 1'600 * kSec}).size() == 1);
  // A short drop is not worth a notification, coming or going.
  CHECK(feed(rules, 6, FeedStatus{FeedStatusKind::disconnected, "", "market", 0, 0, "", 2'000 * kSec}).empty());
  CHECK(feed(rules, 7, ClockTick{2'010 * kSec}).empty());
  CHECK(feed(rules, 8, FeedStatus{FeedStatusKind::connected, "", "market", 0, 0, "", 2'011 * kSec}).empty());
}

TEST_CASE("alerts: fills only when asked for") {
  OrderEvent fill;
  fill.client_order_id = "c-42";
  fill.symbol = "BTCUSDT";
  fill.kind = OrderEventKind::filled;
  fill.fill_qty = 100'000;
  fill.fill_price = 57'000 * kOne + 50'000'000;
  fill.fee = 100;
  fill.fee_asset = "BTC";
  AlertRules quiet({});
  CHECK(feed(quiet, 1, fill).empty());
  AlertRules told({.fills = true});
  auto out = feed(told, 1, fill);
  REQUIRE(out.size() == 1);
  CHECK(out[0].text == "fill: BUY 0.001 BTCUSDT at 57000.5 (order c-42, fee 0.000001 BTC)");
  OrderEvent accepted = fill;
  accepted.kind = OrderEventKind::accepted;
  accepted.fill_qty = 0;
  CHECK(feed(told, 2, accepted).empty());
}

TEST_CASE("alerts: a liquidation is critical, always, with the numbers it was decided on") {
  Liquidation l;
  l.symbol = "BTCUSDT@binance_usdm";
  l.qty = 3'200'000;
  l.mark_price = 6'164'985'000'000;
  l.liquidation_price = 6'168'774'868'499;
  l.loss = 1'580'002'338;
  l.ts_ms = 1723161560338;
  AlertRules rules({.fills = false, .daily_summary = false});
  auto out = feed(rules, 23800, l);
  REQUIRE(out.size() == 1);
  CHECK(out[0].severity == Severity::critical);
  CHECK(out[0].kind == "liquidated");
  CHECK(out[0].text == "LIQUIDATED: long 0.032 BTCUSDT@binance_usdm at mark 61649.85 (liquidation price "
                       "61687.74868499), loss 15.80002338");
  CHECK(out[0].seq == 23800);
  CHECK(out[0].time_ns == 1723161560338'000'000);
  CHECK(AlertRules::wants(Liquidation::kTypeId));
  l.qty = -l.qty;
  l.cross = true;
  out = feed(rules, 23900, l);
  REQUIRE(out.size() == 1);
  CHECK(out[0].text.rfind("LIQUIDATED: short 0.032 BTCUSDT@binance_usdm at mark 61649.85 (liquidation price "
                          "61687.74868499, cross margin)", 0) == 0);
}

TEST_CASE("alerts: a daily summary at each UTC day boundary of the data, and the day so far at the end") {
  AlertRules rules({});
  constexpr std::int64_t day = 86'400'000, d1 = 19'000 * day;
  CHECK(feed(rules, 10, portfolio(d1 + 3'600'000, 10'000 * kOne, 0)).empty());
  CHECK(feed(rules, 11, portfolio(d1 + day - 1, 10'010 * kOne + 5, 3)).empty());
  auto summary = feed(rules, 12, portfolio(d1 + day + 1, 10'005 * kOne, 4));
  REQUIRE(summary.size() == 1);
  CHECK(summary[0] == Alert{Severity::info, "daily_summary",
                            "2022-01-08: PnL 10.00000005 USDT (net since start 10.00000005), equity 10010.00000005, "
                            "3 fills, 0 open positions, drawdown up to 1.23%",
                            11, (d1 + day - 1) * 1'000'000});
  std::vector<Alert> end;
  rules.on_end("completed", false, end);
  REQUIRE(end.size() == 1);
  CHECK(end[0].text ==
        "2022-01-09 so far: PnL -5.00000005 USDT (net since start 5), equity 10005, 1 fills, 0 open positions, "
        "drawdown up to 1.23%");
  std::vector<Alert> failed;
  rules.on_end("error: journal full", true, failed);
  REQUIRE(failed.size() == 2);
  CHECK(failed[1].severity == Severity::critical);
  CHECK(failed[1].text == "the session ended: error: journal full");
}

TEST_CASE("alerts: the journal near full, once until room is made") {
  AlertRules rules({});
  std::vector<Alert> out;
  rules.on_journal_space(200ull << 20, 64ull << 20, 1, out);
  CHECK(out.empty());
  rules.on_journal_space(100ull << 20, 64ull << 20, 2, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].text == "journal near full: 100 MiB left, trading halts below 64 MiB");
  rules.on_journal_space(90ull << 20, 64ull << 20, 3, out);
  rules.on_journal_space(200ull << 20, 64ull << 20, 4, out);  // not yet room enough to re-arm
  rules.on_journal_space(100ull << 20, 64ull << 20, 5, out);
  CHECK(out.size() == 1);
  rules.on_journal_space(300ull << 20, 64ull << 20, 6, out);
  rules.on_journal_space(100ull << 20, 64ull << 20, 7, out);
  CHECK(out.size() == 2);
}

TEST_CASE("alert channels: each channel's request, and its secret never in an error") {
  const Alert a{Severity::critical, "halted", "HALTED: \"max\" drawdown", 42, 7};
  ChannelConfig slack{ChannelKind::slack, "https://hooks.example.test/services/T0/B0/secret", "", "", Severity::info, 0};
  auto s = make_post(slack, a, "node-1");
  REQUIRE(s.has_value());
  CHECK(s->host == "hooks.example.test");
  CHECK(s->port == "443");
  CHECK(s->target == "/services/T0/B0/secret");
  CHECK(s->body == R"({"text":"[critical] node-1: HALTED: \"max\" drawdown"})");
  ChannelConfig discord{ChannelKind::discord, "https://127.0.0.1:8443/api/webhooks/1/x", "", "", Severity::info, 0};
  auto d = make_post(discord, a, "node-1");
  REQUIRE(d.has_value());
  CHECK(d->port == "8443");
  CHECK(d->body == R"({"content":"[critical] node-1: HALTED: \"max\" drawdown"})");
  ChannelConfig telegram{ChannelKind::telegram, "https://api.example.test/", "123:ABC", "-100200", Severity::info, 0};
  auto t = make_post(telegram, a, "node-1");
  REQUIRE(t.has_value());
  CHECK(t->target == "/bot123:ABC/sendMessage");
  CHECK(t->body == R"({"chat_id":"-100200","text":"[critical] node-1: HALTED: \"max\" drawdown"})");
  ChannelConfig hook{ChannelKind::webhook, "https://h.example.test:9000", "", "", Severity::info, 0};
  auto w = make_post(hook, a, "node-1");
  REQUIRE(w.has_value());
  CHECK(w->target == "/");
  CHECK(w->body ==
        R"({"node":"node-1","severity":"critical","kind":"halted","text":"HALTED: \"max\" drawdown","seq":42,"time_ns":7})");
  for (const char* url : {"http://hooks.example.test/secret-path", "https://:99/secret-path", "https://h:x1/secret-path"}) {
    slack.url = url;
    auto bad = make_post(slack, a, "node-1");
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().message.find("secret-path") == std::string::npos);
    CHECK(bad.error().message.find("slack") != std::string::npos);
  }
  ChannelConfig long_discord = discord;
  Alert big = a;
  big.text = std::string(3000, 'x');
  CHECK(make_post(long_discord, big, "n")->body.size() < 2100);
}

TEST_CASE("alert channels: at most max_per_minute in any 60 s, what is held back is counted") {
  RateLimit limit(2);
  CHECK(limit.admit(0));
  CHECK(limit.admit(1 * kSec));
  CHECK_FALSE(limit.admit(2 * kSec));
  CHECK_FALSE(limit.admit(30 * kSec));
  CHECK(limit.admit(60 * kSec));  // the first one is a minute old
  CHECK(limit.take_suppressed() == 2);
  CHECK(limit.take_suppressed() == 0);
  CHECK_FALSE(limit.admit(60 * kSec + 1));
  CHECK(limit.suppressed_total() == 3);
  RateLimit unlimited(0);
  for (int i = 0; i < 1000; ++i) CHECK(unlimited.admit(0));
}
