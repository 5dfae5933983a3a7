// An actor whose core throws, in the live CAF node: the run stops naming the actor and what
// it threw, everything journaled before is committed and verifies, and a resume finishes
// the session as if nothing had happened (the same end state as an uninterrupted run, and
// replay --verify of the whole journal agrees).
#include <doctest/doctest.h>

#include <atomic>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

#include "actors/core_factory/core_factory.hpp"
#include "actors/node/node_runtime.hpp"
#include "journal/journal.hpp"
#include "journal_scan.hpp"
#include "replay/replay.hpp"
#include "test_support.hpp"

using namespace trader;

namespace {

NodeConfig node_config(const std::string& journal, const std::string& if_exists) {
  std::ifstream in(std::string(TRADER_SOURCE_DIR) + "/config/paper.toml");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto c = parse_node_config(text, "config/paper.toml",
                             {fmt::format("feed.files=[\"{}/btcusdc_kline1m_20230301-07.gz\"]", TRADER_TEST_DATA_DIR),
                              fmt::format("journal.path=\"{}\"", journal), fmt::format("journal.if_exists=\"{}\"", if_exists),
                              "journal.snapshot_every=4000"},
                             ConfigUse::node);
  REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.error().message));
  return *c;
}

// The real core, until a delivery of seq `fail_at` or later: then it throws.
class ThrowingCore final : public ActorCore {
 public:
  ThrowingCore(std::unique_ptr<ActorCore> inner, std::uint64_t fail_at) : inner_(std::move(inner)), fail_at_(fail_at) {}
  Actor id() const override { return inner_->id(); }
  void on(const Delivery& in, Outbox& out) override {
    if (in.seq >= fail_at_) throw std::runtime_error(fmt::format("disk controller on fire at seq {}", in.seq));
    inner_->on(in, out);
  }
  Quiet quiet() const override { return inner_->quiet(); }
  void save(StateWriter& w) const override { inner_->save(w); }
  Status load(StateReader& r) override { return inner_->load(r); }
  std::int64_t warmup_ms() const override { return inner_->warmup_ms(); }

 private:
  std::unique_ptr<ActorCore> inner_;
  std::uint64_t fail_at_;
};

}  // namespace

TEST_CASE("node: an actor that throws stops the run naming it, the journal keeps everything before it, and a resume finishes") {
  test::TempDir tmp;
  const std::string clean = tmp.sub("clean"), failed = tmp.sub("failed");
  const std::atomic<bool> stop{false};

  auto uninterrupted = node::run_node(node_config(clean, "error"), stop);
  REQUIRE_MESSAGE(uninterrupted.has_value(), (uninterrupted ? "" : uninterrupted.error().message));
  REQUIRE(uninterrupted->last_seq > 30'000);

  static constexpr std::uint64_t kFailAt = 20'000;
  const CoreFactory throwing = [](const NodeConfig& c, std::string* model_id) -> Result<Cores> {
    auto cores = make_cores(c, model_id);
    if (!cores) return cores;
    auto& portfolio = cores->at(Actor::portfolio);
    portfolio = std::make_unique<ThrowingCore>(std::move(portfolio), kFailAt);
    return cores;
  };
  auto broken = node::run_node(node_config(failed, "error"), stop, throwing);
  REQUIRE_FALSE(broken.has_value());
  INFO(broken.error().message);
  CHECK(broken.error().message.find("actor portfolio failed") != std::string::npos);
  CHECK(broken.error().message.find("disk controller on fire at seq") != std::string::npos);

  std::uint64_t cut_at = 0;
  {
    auto reader = journal::Reader::open(failed);
    REQUIRE(reader.has_value());
    auto summary = (*reader)->summary();
    REQUIRE(summary.has_value());
    cut_at = summary->last_seq;
    CHECK(summary->last_seq >= kFailAt);  // the delivery it died on was journaled before it was delivered
    CHECK(summary->last_seq < uninterrupted->last_seq);
    auto sessions = (*reader)->sessions();
    REQUIRE(sessions.has_value());
    REQUIRE(sessions->size() == 1);
    CHECK(sessions->front().end_reason.rfind("error: actor portfolio failed", 0) == 0);
  }
  auto checked = journal::verify(failed);
  CHECK_MESSAGE(checked.has_value(), (checked ? "" : checked.error().message));
  {
    // Audited as it is, it replays identical up to the cut, which is said, not a divergence.
    auto replayed = replay::verify(failed, {});
    REQUIRE_MESSAGE(replayed.has_value(), (replayed ? "" : replayed.error().message));
    CHECK_MESSAGE(!replayed->divergence.has_value(), (replayed->divergence ? replay::describe(*replayed->divergence) : ""));
    CHECK(replayed->cut_after_seq == cut_at);
    CHECK(replayed->unrecorded > 0);
  }

  auto resumed = node::run_node(node_config(failed, "resume"), stop);
  REQUIRE_MESSAGE(resumed.has_value(), (resumed ? "" : resumed.error().message));
  CHECK(resumed->end_reason == "completed");
  CHECK(resumed->portfolio == uninterrupted->portfolio);
  {
    // What the resume completed of the cut cascade is the failed session's: its end moved past it.
    auto reader = journal::Reader::open(failed);
    REQUIRE(reader.has_value());
    auto sessions = (*reader)->sessions();
    REQUIRE(sessions.has_value());
    REQUIRE(sessions->size() == 2);
    CHECK(sessions->at(0).end_seq + 1 == sessions->at(1).start_seq);
    CHECK(sessions->at(0).end_reason.rfind("error: actor portfolio failed", 0) == 0);
    CHECK(resumed->recovery_completed > 0);
  }
  auto replayed = replay::verify(failed, {});
  REQUIRE_MESSAGE(replayed.has_value(), (replayed ? "" : replayed.error().message));
  CHECK_MESSAGE(!replayed->divergence.has_value(), (replayed->divergence ? replay::describe(*replayed->divergence) : ""));
  CHECK(replayed->sessions == 2);
  CHECK(replayed->unrecorded == 0);  // resumed: nothing is missing any more
}

namespace {

// `full`'s single session copied up to and including seq `cut`, then closed with `reason`
// ("" leaves it open, as a crash does).
void copy_cut(const std::string& full, std::uint64_t cut, const std::string& out, const std::string& reason) {
  auto src = journal::Reader::open(full);
  REQUIRE(src.has_value());
  auto meta = (*src)->meta();
  auto sessions = (*src)->sessions();
  REQUIRE(meta.has_value());
  REQUIRE(sessions.has_value());
  REQUIRE(sessions->size() == 1);
  auto w = journal::Writer::open(out);
  REQUIRE(w.has_value());
  journal::SessionInfo s = sessions->front();
  s.end_seq = 0;
  s.end_reason.clear();
  auto id = (*w)->begin_session(s);
  REQUIRE(id.has_value());
  for (const auto& [k, v] : *meta) REQUIRE((*w)->put_meta(k, v).has_value());
  journal::Filter f;
  f.to_seq = cut;
  test::for_each_decoded(**src, f, [&](const journal::RecordView& rec, const Message& body) {
    REQUIRE((*w)->append(rec.header, body) == rec.header.seq);
  });
  REQUIRE((*w)->commit().has_value());
  if (!reason.empty()) REQUIRE((*w)->end_session(*id, s.start_ts_ns + 1, reason).has_value());
}

}  // namespace

TEST_CASE("replay --verify: a journal that ends inside a cascade is cut short if its session crashed or failed, "
          "and diverges if the session says it completed") {
  test::TempDir tmp;
  const std::string full = tmp.sub("full");
  const std::atomic<bool> stop{false};
  REQUIRE(node::run_node(node_config(full, "error"), stop).has_value());
  // A record whose successor is one of its cascade's outputs: cutting after it cuts the cascade.
  std::uint64_t cut = 0;
  {
    auto reader = journal::Reader::open(full);
    REQUIRE(reader.has_value());
    journal::Filter f;
    f.from_seq = 20'000;
    auto cursor = (*reader)->scan(f);
    REQUIRE(cursor.has_value());
    for (std::uint64_t prev = 0; cut == 0;) {
      auto rec = cursor->next();
      REQUIRE(rec.has_value());
      REQUIRE(*rec != nullptr);
      if (prev != 0 && (*rec)->header.cause_seq == prev) cut = prev;
      prev = (*rec)->header.seq;
    }
  }
  for (const std::string reason : {"", "error: actor portfolio failed: boom", "completed", "stopped by signal"}) {
    CAPTURE(reason);
    const std::string dir = tmp.sub("cut-" + std::to_string(reason.size()));
    copy_cut(full, cut, dir, reason);
    auto replayed = replay::verify(dir, {});
    REQUIRE_MESSAGE(replayed.has_value(), (replayed ? "" : replayed.error().message));
    if (reason.empty() || reason.rfind("error:", 0) == 0) {
      CHECK_MESSAGE(!replayed->divergence.has_value(), (replayed->divergence ? replay::describe(*replayed->divergence) : ""));
      CHECK(replayed->cut_after_seq == cut);
      CHECK(replayed->unrecorded >= 1);
    } else {  // a session that completed (or stopped) finished every cascade: a missing record is a divergence
      REQUIRE(replayed->divergence.has_value());
      CHECK(replayed->divergence->seq == cut + 1);
      CHECK(replayed->divergence->expected.find("the journal ends here") != std::string::npos);
      CHECK(replayed->unrecorded == 0);
    }
  }
}
