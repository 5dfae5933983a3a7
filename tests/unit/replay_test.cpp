#include <doctest/doctest.h>

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "base/code_version.hpp"
#include "journal/journal.hpp"
#include "replay/recorded.hpp"
#include "replay/replay.hpp"
#include "import_session.hpp"
#include "test_support.hpp"
#include "tools/trader_tools/capture_import.hpp"

using namespace trader;

namespace {

// The bundled 7 days of klines, imported: the external inputs of every run below.
std::string imported_klines(const test::TempDir& dir) {
  const std::string path = dir.sub("import");
  auto w = journal::Writer::open(path);
  REQUIRE(w.has_value());
  CHECK(test::import_session(**w, {std::string(TRADER_TEST_DATA_DIR) + "/btcusdc_kline1m_20230301-07.gz"}).records ==
        10080);
  return path;
}

// config/paper.toml as replay loads it: inputs come from journals, not its capture files.
NodeConfig paper_config(std::vector<std::string> overrides = {}) {
  std::ifstream in(std::string(TRADER_SOURCE_DIR) + "/config/paper.toml");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE_FALSE(text.empty());
  auto c = parse_node_config(text, "config/paper.toml", overrides, ConfigUse::replay);
  REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.error().message));
  return *c;
}

// A core that reads something outside its inputs: a global the test changes between
// the recorded run and its replay.
int g_outside = 0;
class LeakyCore final : public ActorCore {
 public:
  explicit LeakyCore(std::unique_ptr<ActorCore> inner) : inner_(std::move(inner)) {}
  Actor id() const override { return inner_->id(); }
  void on(const Delivery& in, Outbox& out) override {
    inner_->on(in, out);
    if (std::holds_alternative<Candle>(in.message) && ++candles_ == 500)
      out.push_back({Actor::none, ErrorReport{"outside", "g_outside=" + std::to_string(g_outside), "", in.seq, 0}});
  }
  void save(StateWriter& w) const override { inner_->save(w); }
  Status load(StateReader& r) override { return inner_->load(r); }

 private:
  std::unique_ptr<ActorCore> inner_;
  int candles_ = 0;
};

Result<Cores> leaky_cores(const NodeConfig& c, std::string* model_id) {
  auto cores = replay::node_cores(c, model_id);
  REQUIRE(cores.has_value());
  (*cores)[Actor::strategy] = std::make_unique<LeakyCore>(std::move((*cores)[Actor::strategy]));
  return cores;
}
// A core that declares `quiet` (kAllTypes: everything, a lie for any core that answers;
// 0: nothing, every delivery awaited) and otherwise is the core it wraps.
class DeclaringCore final : public ActorCore {
 public:
  DeclaringCore(std::unique_ptr<ActorCore> inner, std::uint64_t quiet) : inner_(std::move(inner)), quiet_(quiet) {}
  Actor id() const override { return inner_->id(); }
  void on(const Delivery& in, Outbox& out) override { inner_->on(in, out); }
  Quiet quiet() const override { return {quiet_}; }
  void save(StateWriter& w) const override { inner_->save(w); }
  Status load(StateReader& r) override { return inner_->load(r); }

 private:
  std::unique_ptr<ActorCore> inner_;
  std::uint64_t quiet_;
};

replay::CoreFactory declaring(Actor which, std::uint64_t quiet) {
  return [which, quiet](const NodeConfig& c, std::string* model_id) -> Result<Cores> {
    auto cores = replay::node_cores(c, model_id);
    REQUIRE(cores.has_value());
    for (auto& [actor, core] : *cores)
      if (actor == which || (which == Actor::none && actor != Actor::market_feed))  // the feed decides in place
        core = std::make_unique<DeclaringCore>(std::move(core), quiet);
    return cores;
  };
}

Cores cores_of(const NodeConfig& c) {
  auto cores = replay::node_cores(c);
  REQUIRE(cores.has_value());
  return std::move(*cores);
}

// Records all messages' seqs without writing anything (a replay of a known schedule).
class CountingSink final : public replay::RecordSink {
 public:
  explicit CountingSink(std::uint64_t next) : next_(next) {}
  Result<std::uint64_t> append(const EnvelopeHeader&, const Message&) override { return next_++; }

 private:
  std::uint64_t next_;
};

// Feeds the external records of `dir` with seq > after through `sim`.
void feed_inputs(const std::string& dir, std::uint64_t after, replay::Simulator& sim) {
  auto r = journal::Reader::open(dir);
  REQUIRE(r.has_value());
  journal::Filter f;
  f.from_seq = after + 1;
  auto cur = (*r)->scan(f);
  REQUIRE(cur.has_value());
  CountingSink sink(after + 1);
  for (;;) {
    auto rec = cur->next();
    REQUIRE(rec.has_value());
    if (*rec == nullptr) break;
    const auto src = (*rec)->header.source;
    if (src != Actor::market_feed && src != Actor::timer && src != Actor::operator_) continue;
    auto body = (*rec)->decode();
    REQUIRE(body.has_value());
    REQUIRE(sim.run((*rec)->header, std::move(*body), sink).has_value());
  }
}

}  // namespace

TEST_CASE("what-if with the same config is identical, a changed risk limit changes the decisions") {
  test::TempDir dir;
  const auto source = imported_klines(dir);
  auto a = replay::what_if(source, {}, paper_config(), dir.sub("a"));
  REQUIRE_MESSAGE(a.has_value(), (a ? "" : a.error().message));
  // An import has no ticks: the feed core derives them as the node would.
  CHECK(a->decisions > 100);
  CHECK(a->portfolio.fills > 0);
  auto b = replay::what_if(source, {}, paper_config(), dir.sub("b"));
  REQUIRE(b.has_value());
  CHECK(b->decision_hash == a->decision_hash);
  CHECK(b->records == a->records);

  auto changed = replay::what_if(source, {}, paper_config({"risk.max_position_equity=0.05"}), dir.sub("c"));
  REQUIRE(changed.has_value());
  CHECK(changed->decision_hash != a->decision_hash);

  // A what-if journal verifies clean, with the same decision hash.
  auto v = replay::verify(dir.sub("a"), {});
  REQUIRE_MESSAGE(v.has_value(), (v ? "" : v.error().message));
  CHECK_FALSE(v->divergence.has_value());
  CHECK(v->messages == a->records);
  CHECK(v->decision_hash == a->decision_hash);
  CHECK(v->sessions == 1);
  // The import itself has no actors to re-drive.
  auto vi = replay::verify(source, {});
  REQUIRE(vi.has_value());
  CHECK(vi->sessions == 0);
  CHECK(vi->sessions_skipped == 1);
}

TEST_CASE("an actor that reads something outside its inputs is caught at the right seq") {
  test::TempDir dir;
  const auto source = imported_klines(dir);
  g_outside = 1;
  auto run = replay::what_if(source, {}, paper_config(), dir.sub("leaky"), leaky_cores);
  REQUIRE(run.has_value());
  // Where the leak was recorded.
  std::uint64_t leak_seq = 0;
  {
    auto r = journal::Reader::open(dir.sub("leaky"));
    REQUIRE(r.has_value());
    journal::Filter f;
    f.type_id = ErrorReport::kTypeId;
    auto cur = (*r)->scan(f);
    REQUIRE(cur.has_value());
    auto rec = cur->next();
    REQUIRE(rec.has_value());
    REQUIRE(*rec != nullptr);
    leak_seq = (*rec)->header.seq;
  }
  // Same outside world: identical.
  auto same = replay::verify(dir.sub("leaky"), {}, leaky_cores);
  REQUIRE(same.has_value());
  CHECK_FALSE(same->divergence.has_value());
  // The outside world changed: the first divergence is exactly that record.
  g_outside = 2;
  auto diff = replay::verify(dir.sub("leaky"), {}, leaky_cores);
  REQUIRE(diff.has_value());
  REQUIRE(diff->divergence.has_value());
  CHECK(diff->divergence->seq == leak_seq);
  CHECK(diff->divergence->actor == Actor::strategy);
  CHECK(diff->divergence->expected.find("g_outside=1") != std::string::npos);
  CHECK(diff->divergence->got.find("g_outside=2") != std::string::npos);
  CHECK(diff->divergence->input.find("\"type\":\"candle\"") != std::string::npos);
  CHECK(diff->messages == leak_seq - 1);
  CHECK(diff->other_build.empty());  // this build recorded it: no note of another
  // docs/replay.md quotes these lines; its transcript check runs this test with the variable set.
  if (std::getenv("TRADER_PRINT_DIVERGENCE") != nullptr) std::fputs(replay::describe(*diff->divergence).c_str(), stdout);
}

TEST_CASE("a session another build recorded is named with both builds") {
  journal::SessionInfo s;
  s.id = 3;
  s.code_version = code_version();
  CHECK(replay::recorded_by_another_build(s).empty());
  s.code_version = "trader 0.1.0";
  CHECK(replay::recorded_by_another_build(s) ==
        fmt::format("session 3 was recorded by trader 0.1.0, and this is {}", code_version()));
  s.code_version.clear();
  CHECK(replay::recorded_by_another_build(s) ==
        fmt::format("session 3 was recorded by a build that did not say which, and this is {}", code_version()));
}

TEST_CASE("quiet deliveries: the journal is the one every delivery awaited gives, and a wrong declaration stops the run") {
  test::TempDir dir;
  const auto source = imported_klines(dir);
  auto quiet = replay::what_if(source, {}, paper_config(), dir.sub("quiet"));
  REQUIRE_MESSAGE(quiet.has_value(), (quiet ? "" : quiet.error().message));
  auto awaited = replay::what_if(source, {}, paper_config(), dir.sub("awaited"), declaring(Actor::none, 0));
  REQUIRE_MESSAGE(awaited.has_value(), (awaited ? "" : awaited.error().message));
  CHECK(quiet->records == awaited->records);
  CHECK(quiet->decisions > 100);
  CHECK(quiet->decision_hash == awaited->decision_hash);
  // Record by record, the same bytes as stored (envelope and body).
  auto records = [&](const std::string& d) {
    auto r = journal::Reader::open(d);
    REQUIRE(r.has_value());
    auto cur = (*r)->scan();
    REQUIRE(cur.has_value());
    std::vector<std::vector<std::uint8_t>> all;
    for (;;) {
      auto rec = cur->next();
      REQUIRE(rec.has_value());
      if (*rec == nullptr) break;
      all.emplace_back((*rec)->stored.begin(), (*rec)->stored.end());
    }
    return all;
  };
  const auto a = records(dir.sub("quiet")), b = records(dir.sub("awaited"));
  CHECK(a.size() == quiet->records);
  CHECK(a == b);

  // Risk claims it never answers: its first decision would be lost, so the run stops there.
  auto wrong = replay::what_if(source, {}, paper_config(), dir.sub("wrong"), declaring(Actor::risk, kAllTypes));
  REQUIRE_FALSE(wrong.has_value());
  CHECK_MESSAGE(wrong.error().message.find("risk declared order_intent deliveries quiet, then answered seq") !=
                    std::string::npos,
                wrong.error().message);
}

TEST_CASE("a snapshot plus the tail gives the same state as a full replay") {
  test::TempDir dir;
  const auto source = imported_klines(dir);
  auto run = replay::what_if(source, {}, paper_config({"journal.snapshot_every=3000"}), dir.sub("run"));
  REQUIRE(run.has_value());
  auto reader = journal::Reader::open(dir.sub("run"));
  REQUIRE(reader.has_value());
  auto seqs = (*reader)->snapshot_seqs();
  REQUIRE(seqs.has_value());
  REQUIRE(seqs->size() >= 5);
  const std::uint64_t middle = (*seqs)[seqs->size() / 2];
  auto snap = (*reader)->snapshot_between(1, middle);
  REQUIRE(snap.has_value());
  REQUIRE(snap->has_value());
  CHECK((*snap)->first == middle);
  reader->reset();

  replay::Simulator full(cores_of(paper_config()));
  feed_inputs(dir.sub("run"), 0, full);
  replay::Simulator tail(cores_of(paper_config()));
  REQUIRE(replay::load_cores(tail.cores(), (*snap)->second).has_value());
  feed_inputs(dir.sub("run"), middle, tail);
  CHECK(replay::save_cores(tail.cores()) == replay::save_cores(full.cores()));
  CHECK(tail.deliveries() < full.deliveries());

  // verify --from uses that snapshot and agrees with the recorded tail.
  auto v = replay::verify(dir.sub("run"), {middle + 1, std::numeric_limits<std::uint64_t>::max()});
  REQUIRE(v.has_value());
  CHECK_FALSE(v->divergence.has_value());
  CHECK(v->snapshot_seq == middle);
}

TEST_CASE("a corrupt snapshot is an error, not a wrong replay") {
  Cores cores = cores_of(paper_config());
  std::vector<std::uint8_t> bytes = replay::save_cores(cores);
  bytes.resize(bytes.size() / 2);
  auto st = replay::load_cores(cores, bytes);
  CHECK_FALSE(st.has_value());
}

TEST_CASE("verify checks every snapshot against the replayed state, a wrong one is named") {
  test::TempDir dir;
  const auto source = imported_klines(dir);
  REQUIRE(replay::what_if(source, {}, paper_config({"journal.snapshot_every=3000"}), dir.sub("run")).has_value());
  std::vector<std::uint64_t> seqs;
  std::vector<std::uint8_t> first_state;
  {
    auto reader = journal::Reader::open(dir.sub("run"));
    REQUIRE(reader.has_value());
    seqs = *(*reader)->snapshot_seqs();
    REQUIRE(seqs.size() >= 3);
    first_state = (*(*reader)->snapshot_between(seqs[0], seqs[0]))->second;
  }
  auto good = replay::verify(dir.sub("run"), {});
  REQUIRE(good.has_value());
  CHECK_FALSE(good->divergence.has_value());
  CHECK(good->bad_snapshot.empty());
  CHECK(good->snapshots_checked == seqs.size());

  // The state of an earlier moment filed under a later seq (what a session counting its
  // seqs wrongly would write): every record still matches, the snapshot does not.
  {
    auto w = journal::Writer::open(dir.sub("run"));
    REQUIRE(w.has_value());
    REQUIRE((*w)->put_snapshot(seqs[1], first_state).has_value());
    REQUIRE((*w)->attest_in_last_batch().has_value());  // written and attested as a writer would
  }
  auto bad = replay::verify(dir.sub("run"), {});
  REQUIRE(bad.has_value());
  CHECK_FALSE(bad->divergence.has_value());
  CHECK(bad->snapshots_checked == 2);
  CHECK(bad->bad_snapshot.find(fmt::format("the snapshot at seq {} is not the state", seqs[1])) != std::string::npos);
  CHECK(bad->bad_snapshot.find("candle_builder") != std::string::npos);
}

TEST_CASE("verify reads a snapshot an earlier build wrote (a state field added since) as this build reads it") {
  test::TempDir dir;
  const auto source = imported_klines(dir);
  REQUIRE(replay::what_if(source, {}, paper_config({"journal.snapshot_every=3000"}), dir.sub("run")).has_value());
  std::vector<std::uint64_t> seqs;
  std::vector<std::uint8_t> state;
  {
    auto reader = journal::Reader::open(dir.sub("run"));
    REQUIRE(reader.has_value());
    seqs = *(*reader)->snapshot_seqs();
    REQUIRE(seqs.size() >= 2);
    state = (*(*reader)->snapshot_between(seqs[1], seqs[1]))->second;
  }
  // Risk's state as a build before the flatten flag wrote it: one byte shorter.
  auto states = replay::decode_snapshot(state);
  REQUIRE(states.has_value());
  bool cut = false;
  for (auto& [actor, bytes] : *states)
    if (actor == Actor::risk) {
      REQUIRE(bytes.back() == 0);  // not flattening
      bytes.pop_back();
      cut = true;
    }
  REQUIRE(cut);
  {
    auto w = journal::Writer::open(dir.sub("run"));
    REQUIRE(w.has_value());
    REQUIRE((*w)->put_snapshot(seqs[1], replay::encode_snapshot(*states)).has_value());
    REQUIRE((*w)->attest_in_last_batch().has_value());  // as that build's writer would have
  }
  auto v = replay::verify(dir.sub("run"), {});
  REQUIRE(v.has_value());
  CHECK(v->bad_snapshot.empty());
  CHECK(v->snapshots_checked == seqs.size());

  // The same shape with a different value is still caught: flattening where it was not.
  for (auto& [actor, bytes] : *states)
    if (actor == Actor::risk) bytes.push_back(1);
  {
    auto w = journal::Writer::open(dir.sub("run"));
    REQUIRE(w.has_value());
    REQUIRE((*w)->put_snapshot(seqs[1], replay::encode_snapshot(*states)).has_value());
    REQUIRE((*w)->attest_in_last_batch().has_value());  // as that build's writer would have
  }
  auto bad = replay::verify(dir.sub("run"), {});
  REQUIRE(bad.has_value());
  CHECK(bad->bad_snapshot.find("differs for risk") != std::string::npos);
}

TEST_CASE("a what-if session records itself as the node does: its config hash, so an edited config is caught") {
  test::TempDir dir;
  const auto source = imported_klines(dir);
  REQUIRE(replay::what_if(source, {}, paper_config(), dir.sub("run")).has_value());
  std::uint64_t id = 0;
  {
    auto reader = journal::Reader::open(dir.sub("run"));
    REQUIRE(reader.has_value());
    auto sessions = (*reader)->sessions();
    REQUIRE(sessions.has_value());
    REQUIRE(sessions->size() == 1);
    const auto& s = sessions->front();
    id = s.id;
    CHECK(s.node_id == "paper-1 (what-if)");
    CHECK(s.config_hash.size() == 64);
    CHECK_FALSE(s.code_version.empty());
    auto meta = (*reader)->meta();
    REQUIRE(meta.has_value());
    CHECK(meta->count(replay::session_model_key(id)) == 1);
    CHECK(meta->at("config") == meta->at(replay::session_config_key(id)));
    CHECK(replay::check_session_configs(**reader).has_value());
  }
  // An edit behind the writer's back is caught by the chain (journal_test: "meta values,
  // snapshots and session openings are under the hash chain"); one the writer attests, by
  // the session's config hash.
  {
    auto w = journal::Writer::open(dir.sub("run"));
    REQUIRE(w.has_value());
    REQUIRE((*w)->put_meta(replay::session_config_key(id), paper_config({"risk.max_drawdown=0.5"}).effective_toml).has_value());
  }
  auto v = replay::verify(dir.sub("run"), {});
  REQUIRE_FALSE(v.has_value());
  CHECK(v.error().message.find(fmt::format("session {}: its journaled config was edited", id)) != std::string::npos);
}

TEST_CASE("verify re-derives the feed's own decisions: a feed that decides otherwise is caught at the record") {
  test::TempDir dir;
  const auto source = imported_klines(dir);
  const auto config = paper_config();
  REQUIRE(replay::what_if(source, {}, config, dir.sub("run")).has_value());
  auto same = replay::verify(dir.sub("run"), {});
  REQUIRE(same.has_value());
  CHECK_FALSE(same->divergence.has_value());
  // The same records, checked by a feed whose clock ticks every 7 minutes.
  auto other_clock = [&](const NodeConfig& c, std::string* model_id) -> Result<Cores> {
    auto cores = replay::node_cores(c, model_id);
    REQUIRE(cores.has_value());
    (*cores)[Actor::market_feed] = std::make_unique<MarketFeedCore>(420'000, config.feed_max_time_skew_ms);
    return cores;
  };
  auto diff = replay::verify(dir.sub("run"), {}, other_clock);
  REQUIRE(diff.has_value());
  REQUIRE(diff->divergence.has_value());
  // Caught at the first received message whose group (its tick, its kline) the other
  // clock makes differently, before anything it would cause.
  CHECK(diff->divergence->seq > 1);
  CHECK(diff->divergence->actor == Actor::market_feed);
  CHECK(diff->divergence->got.find("the feed decides") != std::string::npos);
  CHECK(diff->divergence->expected.find("\"type\":\"kline\"") != std::string::npos);
}

TEST_CASE("record match: a journal older than decision values matches without them, one that has them keeps them") {
  EnvelopeHeader h;
  h.type_id = Signal::kTypeId;
  Signal with;
  with.symbol = "BTCUSDC";
  with.values = {{"z", 1.5}};
  Signal bare = with;
  bare.values.clear();
  replay::RecordMatch match;
  CHECK(match.same(replay::Recorded{h, bare}, h, with));   // written before signals carried values
  CHECK(match.same(replay::Recorded{h, with}, h, with));   // from here on, the journal has them
  CHECK_FALSE(match.same(replay::Recorded{h, bare}, h, with));  // so losing them is a difference
  Signal other = with;
  other.values[0].value = 1.5000000000000002;
  replay::RecordMatch fresh;
  CHECK_FALSE(fresh.same(replay::Recorded{h, with}, h, other));  // one bit off is a difference

  h.type_id = RiskDecision::kTypeId;
  RiskDecision checked;
  checked.checks = {{RiskLimit::max_drawdown, 0, 100'000, true}};
  RiskDecision unchecked = checked;
  unchecked.checks.clear();
  replay::RecordMatch old;
  CHECK(old.same(replay::Recorded{h, unchecked}, h, checked));
  CHECK_FALSE(old.same(replay::Recorded{h, checked}, h, unchecked));  // a check the replay lost
}
