#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include "actors/sequencer/sequencer.hpp"

using namespace trader;

namespace {

// Records what the sequencer journals: header and body, numbered from 1.
struct ListSink final : SequencerSink<std::string> {
  struct Entry {
    EnvelopeHeader header;
    std::string body;
    std::uint64_t cause;
  };
  std::vector<Entry> entries;
  std::uint64_t fail_at = 0;  // the append that fails (0: none)
  std::size_t batch = 0, commits = 0;

  Result<std::uint64_t> append(const EnvelopeHeader& h, const std::string& body) override {
    if (entries.size() + 1 == fail_at) return fail("disk full");
    entries.push_back({h, body, h.cause_seq});
    ++batch;
    return entries.size();
  }
  bool batch_full() const override { return batch >= 3; }
  Status commit() override {
    batch = 0;
    ++commits;
    return {};
  }
};

using Seq = Sequencer<std::string>;

EnvelopeHeader input(std::uint16_t type_id, std::int64_t recv_ts) {
  return EnvelopeHeader{0, recv_ts, Actor::market_feed, Actor::none, 0, type_id, 1, 7};
}

}  // namespace

TEST_CASE("sequencer: outputs join the queue in recipient order, whatever order the answers come in") {
  ListSink sink;
  Seq seq(0, 0, 0);
  // A candle goes to portfolio, risk and strategy, in that order.
  seq.begin(input(Candle::kTypeId, 1000), "candle");
  auto d = seq.next(sink);
  REQUIRE(d.has_value());
  REQUIRE(*d != nullptr);
  REQUIRE((*d)->recipients.size() == 3);
  CHECK((*d)->header.seq == 1);
  CHECK((*d)->recipients[0] == Actor::portfolio);
  CHECK((*d)->recipients[2] == Actor::strategy);
  // Strategy answers first, then portfolio, then risk.
  CHECK_FALSE(seq.answer(2, {{Actor::none, OrderIntent::kTypeId, "intent"}}));
  CHECK_FALSE(seq.answer(0, {{Actor::none, PortfolioState::kTypeId, "p1"}, {Actor::none, 9999, "p2"}}));
  CHECK_FALSE(seq.answer(2, {{Actor::none, 9999, "twice"}}));  // an answer counts once
  CHECK_FALSE(seq.answered());
  CHECK(seq.answer(1, {}));
  CHECK(seq.answered());
  CHECK_FALSE(seq.idle());

  // p1 (portfolio state) goes to risk and strategy; nobody reads type 9999.
  d = seq.next(sink);
  REQUIRE(d.has_value());
  REQUIRE(*d != nullptr);
  CHECK((*d)->body == "p1");
  REQUIRE(sink.entries.size() == 2);
  CHECK_FALSE(seq.answer(0, {}));
  CHECK(seq.answer(1, {}));
  d = seq.next(sink);  // p2 has no recipient: journaled, then the intent goes to risk
  REQUIRE(d.has_value());
  REQUIRE(*d != nullptr);
  CHECK((*d)->body == "intent");
  CHECK(seq.answer(0, {}));
  d = seq.next(sink);
  REQUIRE(d.has_value());
  CHECK(*d == nullptr);
  CHECK(seq.idle());

  REQUIRE(sink.entries.size() == 4);
  const std::vector<std::string> order{"candle", "p1", "p2", "intent"};
  for (std::size_t i = 0; i < order.size(); ++i) CHECK(sink.entries[i].body == order[i]);
  // Outputs: source = the recipient that sent them, the input's receive time, no feed
  // position, and the seq of the delivery that caused them.
  CHECK(sink.entries[0].header.ingress_seq == 7);
  CHECK(sink.entries[0].cause == 0);
  CHECK(sink.entries[1].header.source == Actor::portfolio);
  CHECK(sink.entries[3].header.source == Actor::strategy);
  for (std::size_t i = 1; i < 4; ++i) {
    CHECK(sink.entries[i].header.recv_ts_ns == 1000);
    CHECK(sink.entries[i].header.ingress_seq == 0);
    CHECK(sink.entries[i].cause == 1);
  }
  CHECK(sink.commits == 1);  // the batch was full after three appends
}

TEST_CASE("sequencer: a recipient is not waited for on a type it declared quiet in its last answer") {
  ListSink sink;
  Seq seq(0, 0, 0);
  seq.begin(input(Candle::kTypeId, 1), "candle");
  auto d = seq.next(sink);
  REQUIRE(d.has_value());
  REQUIRE(*d != nullptr);
  CHECK((*d)->quiet == 0);  // nothing declared yet: every recipient is awaited
  seq.answer(0, {{Actor::none, PortfolioState::kTypeId, "p"}});
  seq.answer(1, {});
  seq.answer(2, {}, Quiet{type_bit(PortfolioState::kTypeId)});  // strategy: portfolio states are quiet
  // The portfolio state goes to risk (awaited) and strategy (delivered, not awaited).
  d = seq.next(sink);
  REQUIRE(d.has_value());
  REQUIRE(*d != nullptr);
  CHECK((*d)->body == "p");
  CHECK((*d)->awaits(0));
  CHECK_FALSE((*d)->awaits(1));
  CHECK_FALSE(seq.answered());
  CHECK_FALSE(seq.answer(1, {{Actor::none, 9999, "x"}}));  // not asked: it is ignored
  CHECK(seq.answer(0, {{Actor::none, 9999, "risk"}}, Quiet{}));
  d = seq.next(sink);
  REQUIRE(d.has_value());
  CHECK(*d == nullptr);  // "risk" (type 9999) has no recipient; "x" was never queued
  REQUIRE(sink.entries.size() == 3);
  CHECK(sink.entries[2].body == "risk");

  // Every recipient quiet: nothing to wait for, the cascade goes straight on.
  seq.begin(input(PortfolioState::kTypeId, 2), "p2");
  d = seq.next(sink);
  REQUIRE(d.has_value());
  REQUIRE(*d != nullptr);
  CHECK_FALSE((*d)->awaits(1));
  CHECK((*d)->awaits(0));  // risk declared nothing quiet in its last answer
  CHECK(seq.answer(0, {}, Quiet{kAllTypes}));
  seq.begin(input(PortfolioState::kTypeId, 3), "p3");
  d = seq.next(sink);
  REQUIRE(d.has_value());
  REQUIRE(*d != nullptr);
  CHECK((*d)->quiet == 0b11);
  CHECK(seq.answered());
  d = seq.next(sink);
  REQUIRE(d.has_value());
  CHECK(*d == nullptr);
  CHECK(seq.idle());
  // A type id from 64 on can never be declared quiet.
  CHECK(type_bit(64) == 0);
  CHECK(quiet_broken(Actor::risk, OrderIntent::kTypeId, 12, 1) ==
        "risk declared order_intent deliveries quiet, then answered seq 12 with 1 message(s); the run stops "
        "(a core's quiet() is wrong)");
}

TEST_CASE("sequencer: a quiet declaration bounded by value reads the delivery through the driver's probe, once") {
  // Bodies name a candle's interval ("60", "300"); the probe reads it, or cannot ("?").
  static int probes = 0;
  const Seq::Probe probe = [](std::uint16_t type_id, const std::string& body) -> std::optional<QuietProbe> {
    ++probes;
    if (type_id != Candle::kTypeId || body == "?") return std::nullopt;
    QuietProbe p;
    p.candle_interval_s = static_cast<std::uint32_t>(std::stoul(body));
    return p;
  };
  ListSink sink;
  Seq seq(0, 0, 0);
  seq.begin(input(Candle::kTypeId, 1), "60");
  auto d = seq.next(sink, probe);
  REQUIRE((d && *d));
  CHECK(probes == 0);  // nothing declared yet: no value to read
  Quiet answers_60;  // portfolio and risk: candles of 60 s only
  answers_60.candle_intervals[0] = 60;
  seq.answer(0, {}, answers_60);
  seq.answer(1, {}, answers_60);
  seq.answer(2, {});  // strategy: every candle
  for (const auto& [body, quiet, reads] : {std::tuple{"300", 0b011U, 1}, std::tuple{"60", 0U, 2}, std::tuple{"?", 0U, 3}}) {
    CAPTURE(body);
    seq.begin(input(Candle::kTypeId, 2), body);
    d = seq.next(sink, probe);
    REQUIRE((d && *d));
    CHECK((*d)->quiet == quiet);  // "?": unread, so awaited
    CHECK(probes == reads);       // once per delivery, however many recipients bound it
    for (std::size_t i = 0; i < 3; ++i)
      if ((*d)->awaits(i)) seq.answer(i, {}, i < 2 ? answers_60 : Quiet{});
    CHECK(seq.answered());
    d = seq.next(sink, probe);
    REQUIRE((d && *d == nullptr));
  }
  // Without a probe, a value bound covers nothing.
  seq.begin(input(Candle::kTypeId, 3), "300");
  d = seq.next(sink);
  REQUIRE((d && *d));
  CHECK((*d)->quiet == 0);
}

TEST_CASE("sequencer: a message with a destination goes to that actor only") {
  ListSink sink;
  Seq seq(0, 0, 0);
  seq.begin(input(Candle::kTypeId, 5), "candle");
  auto d = seq.next(sink);
  REQUIRE(d.has_value());
  REQUIRE(*d != nullptr);
  // The order actor's request is addressed to the exchange; a paper fill goes to everyone.
  seq.answer(0, {});
  seq.answer(1, {});
  seq.answer(2, {{Actor::exchange, OrderRequest::kTypeId, "request"}});
  d = seq.next(sink);
  REQUIRE(d.has_value());
  REQUIRE(*d != nullptr);
  CHECK((*d)->body == "request");
  REQUIRE((*d)->recipients.size() == 1);
  CHECK((*d)->recipients[0] == Actor::exchange);
  CHECK((*d)->header.destination == Actor::exchange);
  CHECK(seq.answer(0, {}));
}

TEST_CASE("sequencer: a snapshot is due only between cascades, every N records") {
  ListSink sink;
  Seq seq(2, 0, 0);
  CHECK_FALSE(seq.snapshot_due());
  seq.begin(input(9999, 1), "a");  // nobody reads type 9999
  REQUIRE(seq.next(sink).has_value());
  CHECK_FALSE(seq.snapshot_due());  // 1 record since the last snapshot
  seq.begin(input(Candle::kTypeId, 2), "candle");
  auto d = seq.next(sink);
  REQUIRE(d.has_value());
  CHECK(seq.last_seq() == 2);
  CHECK_FALSE(seq.snapshot_due());  // 2 records, but mid-cascade: never
  for (std::size_t i = 0; i < 3; ++i) seq.answer(i, {});
  d = seq.next(sink);
  REQUIRE(d.has_value());
  CHECK(*d == nullptr);
  CHECK(seq.snapshot_due());
  seq.snapshot_taken();
  CHECK_FALSE(seq.snapshot_due());
}

TEST_CASE("sequencer: a failed append ends the cascade with its error and drops what was queued") {
  ListSink sink;
  sink.fail_at = 2;
  Seq seq(0, 0, 0);
  seq.begin(input(Candle::kTypeId, 1), "candle");
  auto d = seq.next(sink);
  REQUIRE(d.has_value());
  for (std::size_t i = 0; i < 3; ++i) seq.answer(i, {{Actor::none, 9999, "out"}});
  d = seq.next(sink);
  REQUIRE_FALSE(d.has_value());
  CHECK(d.error().message == "disk full");
  CHECK(seq.idle());
}

// The schedule is written once: only the sequencer may ask who receives a message.
// A second scheduling rule (a driver that routes on its own) fails this test.
TEST_CASE("sequencer: no other source file routes messages") {
  namespace fs = std::filesystem;
  const fs::path root = TRADER_SOURCE_DIR;
  const std::set<std::string> allowed{"actors/routing.hpp", "actors/routing.cpp", "actors/sequencer/sequencer.hpp"};
  const std::regex call(R"(\b(recipients|subscribers)\s*\()");
  std::size_t scanned = 0;
  std::vector<std::string> offenders;
  for (const char* dir : {"actors", "replay", "tools", "bench", "exchange", "journal", "messages", "model", "config", "base"}) {
    for (const auto& e : fs::recursive_directory_iterator(root / dir)) {
      const auto ext = e.path().extension();
      if (!e.is_regular_file() || (ext != ".cpp" && ext != ".hpp")) continue;
      ++scanned;
      const std::string rel = fs::relative(e.path(), root).generic_string();
      std::ifstream in(e.path());
      const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (std::regex_search(text, call) && !allowed.count(rel)) offenders.push_back(rel);
    }
  }
  CHECK(scanned > 50);
  std::string list;
  for (const auto& f : offenders) list += " " + f;
  CHECK_MESSAGE(offenders.empty(), "routes messages outside the sequencer:" << list);
}
