#include <doctest/doctest.h>

#include <atomic>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <thread>
#include <sys/wait.h>
#include <unistd.h>

#include <lmdb.h>

#include "journal/directory.hpp"
#include "journal/journal.hpp"
#include "journal/record_format.hpp"
#include "journal_fault.hpp"
#include "journal_scan.hpp"
#include "messages/message_codec.hpp"
#include "messages/message_json.hpp"
#include "messages/type_registry.hpp"
#include "message_samples.hpp"
#include "test_support.hpp"

using namespace trader;
using namespace trader::journal;
using test::header_at;
using test::sample_trade;

namespace {

std::unique_ptr<Writer> open_writer(const std::string& dir, Options o = {}) {
  auto w = Writer::open(dir, o);
  REQUIRE_MESSAGE(w.has_value(), (w ? "" : w.error().message));
  return std::move(*w);
}

std::unique_ptr<Reader> open_reader(const std::string& dir) {
  auto r = Reader::open(dir);
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().message));
  return std::move(*r);
}

// Writes `n` trades (trade i at recv time 1000 + i) in batches of `batch`.
void write_trades(const std::string& dir, std::uint64_t n, std::uint64_t batch, Options o = {}) {
  auto w = open_writer(dir, o);
  const auto base = w->next_seq();
  for (std::uint64_t i = 0; i < n; ++i) {
    const auto seq = w->append(header_at(static_cast<std::int64_t>(1000 + base + i)), sample_trade(base + i));
    CHECK(seq == base + i);
    if ((i + 1) % batch == 0) REQUIRE(w->commit().has_value());
  }
  REQUIRE(w->commit().has_value());
}

std::vector<std::uint64_t> scan_seqs(Reader& r, const Filter& f) {
  auto cur = r.scan(f);
  REQUIRE(cur.has_value());
  std::vector<std::uint64_t> seqs;
  for (;;) {
    auto rec = cur->next();
    REQUIRE_MESSAGE(rec.has_value(), (rec ? "" : rec.error().message));
    if (*rec == nullptr) break;
    seqs.push_back((*rec)->header.seq);
  }
  return seqs;
}

}  // namespace

TEST_CASE("a flat body (the node's path) is stored byte for byte as append(Message) stores it, a malformed one stages nothing") {
  test::TempDir a, b;
  auto by_message = open_writer(a.path());
  auto by_flat = open_writer(b.path());
  const auto samples = test::all_message_samples();
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const EnvelopeHeader h{0, 1723161300000000000 + static_cast<std::int64_t>(i), Actor::strategy, Actor::none, 0, 0, 1};
    by_message->append(h, samples[i]);
    auto seq = by_flat->append_flat(h, type_id_of(samples[i]), encode_body_flat(samples[i]));
    REQUIRE(seq.has_value());
    CHECK(*seq == i + 1);
    const auto x = by_message->last_appended(), y = by_flat->last_appended();
    CHECK(std::vector<std::uint8_t>(x.begin(), x.end()) == std::vector<std::uint8_t>(y.begin(), y.end()));
  }
  const auto staged = by_flat->staged();
  const auto before = by_flat->last_appended();
  const std::vector<std::uint8_t> last(before.begin(), before.end());
  auto flat = encode_body_flat(ClockTick{5});
  flat.resize(flat.size() - 8);  // cut short
  auto bad = by_flat->append_flat(EnvelopeHeader{}, ClockTick::kTypeId, flat);
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().message.find("malformed message body") != std::string::npos);
  CHECK(by_flat->staged() == staged);
  const auto after = by_flat->last_appended();
  CHECK(std::vector<std::uint8_t>(after.begin(), after.end()) == last);
  auto next = by_flat->append_flat(EnvelopeHeader{}, ClockTick::kTypeId, encode_body_flat(ClockTick{6}));
  REQUIRE(next.has_value());
  CHECK(*next == samples.size() + 1);
}

TEST_CASE("one encoder reused for every record writes each as a fresh one does: after a large message, after a malformed body") {
  std::vector<Message> messages = test::all_message_samples();
  std::vector<PriceLevel> levels;  // past the first segment's 128 words: a second segment
  for (std::int64_t i = 0; i < 300; ++i) levels.push_back({6173763000000 + i * 1000000, 1000 + i});
  messages.insert(messages.begin() + 1, DepthUpdate{"BTCUSDT", 1, 2, 3, levels, levels});
  messages.push_back(messages.front());
  // A long symbol, then a short one where it was: the short text's padding is stale
  // unless the encoder zeroed its segment between them.
  messages.push_back(Trade{"BTCUSDTPERPETUALX", 6173763000000, 100000, 1, 1723161255342, 1723161255342, true});
  messages.push_back(Trade{"BTC", 6173763000000, 100000, 1, 1723161255342, 1723161255342, true});
  for (const std::uint32_t format : {kFormatV1, kFormatV2}) {
    CAPTURE(format);
    RecordEncoder reused(format);
    for (int round = 0; round < 2; ++round) {
      for (std::size_t i = 0; i < messages.size(); ++i) {
        const EnvelopeHeader h{i + 1, 1723161300000000000 + static_cast<std::int64_t>(i), Actor::strategy, Actor::none,
                               0, 0, 1};
        std::vector<std::uint8_t> fresh, again, flat_fresh, flat_again;
        encode_record(format, h, messages[i], fresh);
        reused.encode(h, messages[i], again);
        CHECK_MESSAGE(again == fresh, "message " << i << ", round " << round);
        const auto body = encode_body_flat(messages[i]);
        REQUIRE(encode_record_flat(format, h, type_id_of(messages[i]), body, flat_fresh).has_value());
        REQUIRE(reused.encode_flat(h, type_id_of(messages[i]), body, flat_again).has_value());
        CHECK(flat_again == flat_fresh);
        CHECK(flat_again == fresh);
      }
      auto cut = encode_body_flat(messages[1]);
      cut.resize(cut.size() / 2);  // a body that fails half way: the next record is still whole
      std::vector<std::uint8_t> out;
      CHECK_FALSE(reused.encode_flat(EnvelopeHeader{}, type_id_of(messages[1]), cut, out).has_value());
      CHECK(out.empty());
    }
  }
}

TEST_CASE("every message type survives the journal: envelope header and body") {
  test::TempDir dir;
  const auto samples = test::all_message_samples();
  {
    auto w = open_writer(dir.path());
    std::uint64_t i = 0;
    for (const auto& m : samples) {
      EnvelopeHeader h{0, 1723161300000000000 + static_cast<std::int64_t>(i), Actor::strategy, Actor::risk, 40 + i, 0, 1};
      CHECK(w->append(h, m) == i + 1);
      ++i;
    }
    REQUIRE(w->commit().has_value());
  }
  auto r = open_reader(dir.path());
  auto cur = r->scan();
  REQUIRE(cur.has_value());
  for (std::uint64_t i = 0; i < samples.size(); ++i) {
    auto rec = cur->next();
    REQUIRE(rec.has_value());
    REQUIRE(*rec != nullptr);
    const auto& h = (*rec)->header;
    CHECK(h == EnvelopeHeader{i + 1, 1723161300000000000 + static_cast<std::int64_t>(i), Actor::strategy, Actor::risk,
                              40 + i, type_id_of(samples[i]), 1});
    auto body = (*rec)->decode();
    REQUIRE(body.has_value());
    CHECK(*body == samples[i]);
  }
  auto end = cur->next();
  REQUIRE(end.has_value());
  CHECK(*end == nullptr);
}

TEST_CASE("thousands of records across group commits read back in order, chain verified") {
  test::TempDir dir;
  write_trades(dir.path(), 5000, 128);
  write_trades(dir.path(), 1234, 1000);  // reopen: seq continues
  auto r = open_reader(dir.path());
  auto s = r->summary();
  REQUIRE(s.has_value());
  CHECK(s->records == 6234);
  CHECK(s->first_seq == 1);
  CHECK(s->last_seq == 6234);
  CHECK(s->batches == 5000 / 128 + 1 + 2);
  auto cur = r->scan();
  REQUIRE(cur.has_value());
  std::uint64_t expect = 1;
  for (;;) {
    auto rec = cur->next();
    REQUIRE(rec.has_value());
    if (*rec == nullptr) break;
    CHECK((*rec)->header.seq == expect);
    auto body = (*rec)->decode();
    REQUIRE(body.has_value());
    CHECK(std::get<Trade>(*body) == sample_trade(expect));
    ++expect;
  }
  CHECK(expect == 6235);
  r.reset();
  auto v = verify(dir.path());
  REQUIRE_MESSAGE(v.has_value(), (v ? "" : v.error().message));
  CHECK(v->records == 6234);
  CHECK(v->chain_head == s->chain_head);
}

TEST_CASE("a reader sharing the writer's environment reads whole records while the map grows under it") {
  // The node reads its own journal (/explain) on another thread while the sequencer
  // commits; growing the map remaps the file, which must wait for a read under way.
  test::TempDir dir;
  Options o;
  o.initial_map_bytes = std::size_t{1} << 20;
  auto w = Writer::open(dir.path(), o);
  REQUIRE(w.has_value());
  std::shared_ptr<Reader> reader = (*w)->reader();
  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> scans{0}, records_read{0}, bad{0};
  std::thread scanning([&] {
    while (!done.load()) {
      auto cur = reader->scan();
      if (!cur) {
        ++bad;
        continue;
      }
      std::uint64_t expect = 1;
      for (;;) {
        auto rec = cur->next();
        if (!rec) {
          ++bad;
          break;
        }
        if (*rec == nullptr) break;
        auto body = (*rec)->decode();
        if ((*rec)->header.seq != expect || !body || !(std::get<Trade>(*body) == sample_trade(expect))) ++bad;
        ++expect;
      }
      records_read += expect - 1;
      ++scans;
    }
  });
  constexpr std::uint64_t kRecords = 60'000;  // several MiB: the 1 MiB map doubles a few times
  for (std::uint64_t i = 1; i <= kRecords; ++i) {
    (*w)->append(header_at(static_cast<std::int64_t>(i)), sample_trade(i));
    if (i % 512 == 0) REQUIRE((*w)->commit().has_value());
  }
  REQUIRE((*w)->commit().has_value());
  done = true;
  scanning.join();
  CHECK(bad.load() == 0);
  CHECK(scans.load() > 1);
  CHECK(records_read.load() > 0);
  auto grown = reader->summary();
  REQUIRE(grown.has_value());
  CHECK(grown->records == kRecords);
  CHECK(grown->file_bytes > (std::uint64_t{2} << 20));  // the map did grow while it was read
}

TEST_CASE("cursor filters: seq range, time range, type, source") {
  test::TempDir dir;
  {
    auto w = open_writer(dir.path(), Options{Durability::nosync, 64 << 20, 4096});
    for (std::uint64_t i = 1; i <= 3000; ++i) {
      const Actor src = i % 3 == 0 ? Actor::timer : Actor::market_feed;
      if (i % 3 == 0) w->append(header_at(static_cast<std::int64_t>(i) * 10, src), ClockTick{static_cast<std::int64_t>(i)});
      else w->append(header_at(static_cast<std::int64_t>(i) * 10, src), sample_trade(i));
      if (i % 100 == 0) REQUIRE(w->commit().has_value());
    }
    REQUIRE(w->commit().has_value());
  }
  auto r = open_reader(dir.path());
  Filter f;
  f.from_seq = 10;
  f.to_seq = 19;
  auto seqs = scan_seqs(*r, f);
  CHECK(seqs == std::vector<std::uint64_t>{10, 11, 12, 13, 14, 15, 16, 17, 18, 19});

  f = {};
  f.from_ts_ns = 25000;  // seq 2500..2600 by time
  f.to_ts_ns = 26000;
  seqs = scan_seqs(*r, f);
  REQUIRE(seqs.size() == 101);
  CHECK(seqs.front() == 2500);
  CHECK(seqs.back() == 2600);

  f = {};
  f.type_id = ClockTick::kTypeId;
  seqs = scan_seqs(*r, f);
  CHECK(seqs.size() == 1000);
  for (auto s : seqs) CHECK(s % 3 == 0);

  f = {};
  f.source = Actor::market_feed;
  f.to_seq = 10;
  seqs = scan_seqs(*r, f);
  CHECK(seqs == std::vector<std::uint64_t>{1, 2, 4, 5, 7, 8, 10});

  f = {};
  f.from_seq = 5000;
  CHECK(scan_seqs(*r, f).empty());
}

TEST_CASE("time-range scans skip batches that cannot match") {
  test::TempDir dir;
  {
    auto w = open_writer(dir.path());
    // Two batches far apart in time, then a batch of a type the filter skips.
    for (int i = 0; i < 50; ++i) w->append(header_at(100 + i), sample_trade(i));
    REQUIRE(w->commit().has_value());
    for (int i = 0; i < 50; ++i) w->append(header_at(9000 + i), sample_trade(i));
    REQUIRE(w->commit().has_value());
  }
  auto r = open_reader(dir.path());
  Filter f;
  f.from_ts_ns = 9000;
  auto seqs = scan_seqs(*r, f);
  REQUIRE(seqs.size() == 50);
  CHECK(seqs.front() == 51);
  f = {};
  f.type_id = ClockTick::kTypeId;
  CHECK(scan_seqs(*r, f).empty());
}

TEST_CASE("the map grows instead of failing when the journal outgrows it") {
  test::TempDir dir;
  Options o{Durability::nosync, std::size_t{1} << 20, 4096};  // 1 MiB to start
  write_trades(dir.path(), 60000, 5000, o);
  auto v = verify(dir.path());
  REQUIRE_MESSAGE(v.has_value(), (v ? "" : v.error().message));
  CHECK(v->records == 60000);
  CHECK(std::filesystem::file_size(dir.sub("data.mdb")) > (std::size_t{1} << 20));
}

TEST_CASE("meta and sessions") {
  test::TempDir dir;
  {
    auto w = open_writer(dir.path());
    REQUIRE(w->put_meta("node_id", "paper-1").has_value());
    SessionInfo s;
    s.node_id = "paper-1";
    s.config_hash = "abc";
    s.start_ts_ns = 5;
    auto id = w->begin_session(s);
    REQUIRE(id.has_value());
    CHECK(*id == 1);
    w->append(header_at(1), sample_trade(1));
    w->append(header_at(2), sample_trade(2));
    REQUIRE(w->end_session(*id, 99, "completed").has_value());
    auto id2 = w->begin_session(s);
    REQUIRE(id2.has_value());
    CHECK(*id2 == 2);
  }
  auto r = open_reader(dir.path());
  auto meta = r->meta();
  REQUIRE(meta.has_value());
  CHECK(meta->at("node_id") == "paper-1");
  CHECK(meta->at("format_version") == std::to_string(r->summary()->format));
  auto sessions = r->sessions();
  REQUIRE(sessions.has_value());
  REQUIRE(sessions->size() == 2);
  CHECK((*sessions)[0].start_seq == 1);
  CHECK((*sessions)[0].end_seq == 2);
  CHECK((*sessions)[0].end_reason == "completed");
  CHECK((*sessions)[0].config_hash == "abc");
  CHECK((*sessions)[1].start_seq == 3);
  CHECK((*sessions)[1].end_reason.empty());  // still open
}

TEST_CASE("a session snapshots only seqs it reached: from the seq before its start on") {
  test::TempDir dir;
  auto w = open_writer(dir.path());
  const std::vector<std::uint8_t> state{1, 2, 3};
  w->append(header_at(1), sample_trade(1));
  w->append(header_at(2), sample_trade(2));
  REQUIRE(w->commit().has_value());
  REQUIRE(w->put_snapshot(2, state).has_value());  // before any session: recovery's snapshot
  REQUIRE(w->begin_session(SessionInfo{}).has_value());
  CHECK(w->put_snapshot(2, state).has_value());  // the state the session starts from
  auto old = w->put_snapshot(0, state);  // a resumed session counting seqs from zero did this
  REQUIRE_FALSE(old.has_value());
  CHECK(old.error().message == "snapshot at seq 0 predates the open session (it starts at seq 3)");
  w->append(header_at(3), sample_trade(3));
  REQUIRE(w->commit().has_value());
  CHECK(w->put_snapshot(3, state).has_value());
  auto seqs = open_reader(dir.path())->snapshot_seqs();
  REQUIRE(seqs.has_value());
  CHECK(*seqs == std::vector<std::uint64_t>{2, 3});
}

TEST_CASE("only one writer at a time") {
  test::TempDir dir;
  auto w = open_writer(dir.path());
  // A second writer in another process must be refused: fork so the flock is held by another process.
  const pid_t pid = fork();
  if (pid == 0) {
    auto second = Writer::open(dir.path());
    _exit(!second.has_value() && second.error().message.find("already open for writing") != std::string::npos ? 0 : 1);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("a flipped byte in a record is found by verify and by readers, naming its seq") {
  test::TempDir dir;
  write_trades(dir.path(), 2000, 300);
  REQUIRE(verify(dir.path()).has_value());
  REQUIRE(test::flip_record_byte(dir.path(), 1234, -1));
  auto v = verify(dir.path());
  REQUIRE_FALSE(v.has_value());
  CHECK(v.error().message.rfind("seq 1234:", 0) == 0);
  CHECK(v.error().message.find("checksum") != std::string::npos);

  auto r = open_reader(dir.path());
  auto cur = r->scan(Filter{1200});
  REQUIRE(cur.has_value());
  Result<const RecordView*> rec = nullptr;
  for (int i = 0; i < 100; ++i) {
    rec = cur->next();
    if (!rec) break;
  }
  REQUIRE_FALSE(rec.has_value());
  CHECK(rec.error().message.rfind("seq 1234:", 0) == 0);
}

TEST_CASE("a flipped byte in the checksum itself is also caught") {
  test::TempDir dir;
  write_trades(dir.path(), 10, 10);
  REQUIRE(test::flip_record_byte(dir.path(), 7, 0, 0x80));
  auto v = verify(dir.path());
  REQUIRE_FALSE(v.has_value());
  CHECK(v.error().message.rfind("seq 7:", 0) == 0);
}

TEST_CASE("a record rewritten with a valid checksum breaks the hash chain") {
  test::TempDir dir;
  write_trades(dir.path(), 100, 50);
  {
    // Replace record 60 with another valid record, as someone editing the journal would.
    test::TempDir other;
    {
      auto w = open_writer(other.path());
      for (std::uint64_t i = 1; i <= 60; ++i) {
        Trade t = sample_trade(i);
        if (i == 60) t.price += 1;  // the edit
        w->append(header_at(static_cast<std::int64_t>(1000 + i)), t);
      }
      REQUIRE(w->commit().has_value());
    }
    std::size_t size_a = 0, size_b = 0;
    const auto off_a = test::record_offset(dir.path(), 60, &size_a);
    const auto off_b = test::record_offset(other.path(), 60, &size_b);
    REQUIRE(off_a > 0);
    REQUIRE(off_b > 0);
    REQUIRE(size_a == size_b);
    std::string bytes(size_b, '\0');
    std::ifstream(other.sub("data.mdb"), std::ios::binary).seekg(off_b).read(bytes.data(), static_cast<std::streamsize>(size_b));
    std::fstream f(dir.sub("data.mdb"), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(off_a).write(bytes.data(), static_cast<std::streamsize>(size_b));
  }
  auto v = verify(dir.path());
  REQUIRE_FALSE(v.has_value());
  CHECK(v.error().message.find("hash chain broken in batch seq 51..100") != std::string::npos);
}

namespace {
// Writes one value straight into a journal's LMDB database, as someone editing it would.
void raw_put(const std::string& dir, const char* db, std::span<const std::uint8_t> key, std::span<const std::uint8_t> value) {
  MDB_env* env = nullptr;
  REQUIRE(mdb_env_create(&env) == 0);
  mdb_env_set_maxdbs(env, 16);
  REQUIRE(mdb_env_open(env, dir.c_str(), 0, 0644) == 0);
  MDB_txn* txn = nullptr;
  REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
  MDB_dbi dbi = 0;
  REQUIRE(mdb_dbi_open(txn, db, 0, &dbi) == 0);
  MDB_val k{key.size(), const_cast<std::uint8_t*>(key.data())};
  MDB_val v{value.size(), const_cast<std::uint8_t*>(value.data())};
  REQUIRE(mdb_put(txn, dbi, &k, &v, 0) == 0);
  REQUIRE(mdb_txn_commit(txn) == 0);
  mdb_env_close(env);
}

// A session with meta, a snapshot, records after it and a clean end.
void write_attested(const std::string& dir) {
  auto w = open_writer(dir);
  SessionInfo info;
  info.node_id = "paper-1";
  info.config_hash = "abc";
  info.code_version = "v";
  REQUIRE(w->begin_session(info).has_value());
  REQUIRE(w->put_meta("session.1.config", "max_drawdown = 0.2").has_value());
  for (std::uint64_t i = 1; i <= 10; ++i) w->append(header_at(static_cast<std::int64_t>(1000 + i)), sample_trade(i));
  REQUIRE(w->commit().has_value());
  const std::vector<std::uint8_t> state{1, 2, 3};
  REQUIRE(w->put_snapshot(10, state).has_value());
  for (std::uint64_t i = 11; i <= 20; ++i) w->append(header_at(static_cast<std::int64_t>(1000 + i)), sample_trade(i));
  REQUIRE(w->end_session(1, 5, "completed").has_value());
  REQUIRE(w->put_snapshot(20, state).has_value());  // after the last commit, and no end follows
}
}  // namespace

TEST_CASE("meta values, snapshots and session openings are under the hash chain: an edit fails verify, naming it") {
  test::TempDir dir;
  write_attested(dir.path());
  auto ok = verify(dir.path());
  REQUIRE(ok.has_value());
  CHECK(ok->attested == 4);  // format_version, session 1, its config, the snapshot at seq 10
  CHECK(ok->unattested == std::vector<std::string>{"the snapshot at seq 20"});
  auto reader = Reader::open(dir.path());
  REQUIRE(reader.has_value());
  REQUIRE(check_attestations(**reader).has_value());

  auto expect_edit = [](const std::string& path, const std::string& what) {
    auto v = verify(path);
    REQUIRE_FALSE(v.has_value());
    CHECK(v.error().message == what);
    auto r = Reader::open(path);
    REQUIRE(r.has_value());
    auto light = check_attestations(**r);  // what replay runs: the same finding, no record read
    REQUIRE_FALSE(light.has_value());
    CHECK(light.error().message == what);
  };
  auto bytes = [](const std::string& text) {
    return std::vector<std::uint8_t>(text.begin(), text.end());
  };
  raw_put(dir.path(), "meta", bytes("session.1.config"), bytes("max_drawdown = 0.9"));
  expect_edit(dir.path(), "meta value `session.1.config` was edited after it was journaled: the batch ending at seq "
                          "10 attests another value");

  test::TempDir snap;
  write_attested(snap.path());
  const std::uint64_t seq = 10;
  raw_put(snap.path(), "snapshots", {reinterpret_cast<const std::uint8_t*>(&seq), 8}, std::vector<std::uint8_t>{1, 2, 4});
  expect_edit(snap.path(), "the snapshot at seq 10 was edited after it was journaled: the batch ending at seq 20 "
                           "attests another value");

  test::TempDir session;
  write_attested(session.path());
  {
    auto r = Reader::open(session.path());
    REQUIRE(r.has_value());
    auto sessions = (*r)->sessions();
    REQUIRE(sessions.has_value());
    auto s = sessions->at(0);
    s.config_hash = "def";  // with the config edited to match, as a careful editor would
    const std::uint64_t id = 1;
    raw_put(session.path(), "sessions", {reinterpret_cast<const std::uint8_t*>(&id), 8}, encode_session(s));
  }
  expect_edit(session.path(), "session 1's record (node id, config hash, code version, start) was edited after it "
                              "was journaled: the batch ending at seq 10 attests another value");

  // The attestation itself cannot be swapped: the batch's chain link covers it.
  test::TempDir link;
  write_attested(link.path());
  {
    auto r = Reader::open(link.path());
    REQUIRE(r.has_value());
    auto batches = (*r)->batches();
    REQUIRE(batches.has_value());
    auto b = batches->back();
    REQUIRE_FALSE(b.attests.empty());
    b.attests.back().digest[0] ^= 1;
    const std::uint64_t last = b.last_seq;
    raw_put(link.path(), "batches", {reinterpret_cast<const std::uint8_t*>(&last), 8}, encode_batch(b));
  }
  expect_edit(link.path(), "seq 11: hash chain broken in batch seq 11..20: its attestations changed after commit");
}

// A resumed session journals its config again under the same key. A crash before the
// next commit once left the new value beside a chain that attested the old one: the
// journal no longer verified, and no resume could open it (found by the kill loop).
TEST_CASE("a meta value written again is attested with it, so a crash right after loses no journal") {
  test::TempDir dir;
  {
    auto w = open_writer(dir.path());
    REQUIRE(w->put_meta("config", "speed = 1").has_value());
    for (std::uint64_t i = 1; i <= 10; ++i) w->append(header_at(static_cast<std::int64_t>(1000 + i)), sample_trade(i));
    REQUIRE(w->commit().has_value());  // attests "speed = 1"
    REQUIRE(w->put_meta("config", "speed = 2").has_value());
    // the process dies here: no commit, no session end
  }
  auto v = verify(dir.path());
  REQUIRE(v.has_value());
  auto reader = Reader::open(dir.path());
  REQUIRE(reader.has_value());
  auto meta = (*reader)->meta();
  REQUIRE(meta.has_value());
  CHECK(meta->at("config") == "speed = 2");
  reader->reset();  // a writer cannot open a journal this process is reading
  // And the chain goes on from the batch that now attests it.
  {
    auto w = open_writer(dir.path());
    for (std::uint64_t i = 11; i <= 20; ++i) w->append(header_at(static_cast<std::int64_t>(1000 + i)), sample_trade(i));
    REQUIRE(w->commit().has_value());
  }
  v = verify(dir.path());
  REQUIRE(v.has_value());
  CHECK(v->records == 20);
}

TEST_CASE("batch entries from before attestations read as before, malformed attestations are refused") {
  BatchInfo b{1, 2, 3, 4, 5, Hash{}, Hash{}, {}};
  b.chain[0] = 9;
  auto plain = encode_batch(b);
  CHECK(plain.size() == 72);
  auto back = decode_batch(plain);
  REQUIRE(back.has_value());
  CHECK(back->records_hash == b.chain);
  CHECK(back->attests.empty());
  b.records_hash = b.chain;
  b.attests.push_back({Attestation::Kind::meta, "config", Hash{}});
  auto attested = encode_batch(b);
  auto again = decode_batch(attested);
  REQUIRE(again.has_value());
  CHECK(again->attests == b.attests);
  for (std::size_t cut = 73; cut < attested.size(); cut += 5)
    CHECK_FALSE(decode_batch(std::span<const std::uint8_t>(attested).first(cut)).has_value());
  attested.push_back(0);
  CHECK_FALSE(decode_batch(attested).has_value());
}

TEST_CASE("opening what is not a journal gives one clear error") {
  test::TempDir dir;
  auto missing = Reader::open(dir.sub("nope"));
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().message.find("does not exist") != std::string::npos);

  auto empty = Reader::open(dir.path());
  REQUIRE_FALSE(empty.has_value());
  CHECK(empty.error().message.find("no data.mdb") != std::string::npos);

  std::filesystem::create_directory(dir.sub("junk"));
  std::ofstream(dir.sub("junk/data.mdb")) << std::string(100000, 'j');
  auto junk = Reader::open(dir.sub("junk"));
  REQUIRE_FALSE(junk.has_value());
  CHECK(junk.error().message.find("not an LMDB file") != std::string::npos);

  std::ofstream(dir.sub("file")) << "x";
  auto file = Reader::open(dir.sub("file"));
  REQUIRE_FALSE(file.has_value());
  CHECK(file.error().message.find("not a directory") != std::string::npos);
}

TEST_CASE("a new journal is made only in a new or empty directory, never among a user's files") {
  test::TempDir dir;
  const std::string mine = dir.sub("mine");
  std::filesystem::create_directories(mine + "/photos");
  std::ofstream(mine + "/notes.txt") << "my notes";
  auto w = Writer::open(mine);
  REQUIRE_FALSE(w.has_value());
  CHECK(w.error().message == mine + " is not a journal (it holds notes.txt, photos/); a new journal is made only in a "
                                    "new or empty directory");
  CHECK(std::filesystem::exists(mine + "/notes.txt"));
  CHECK_FALSE(std::filesystem::exists(mine + "/data.mdb"));
  // A journal's own files without its data (a lock left by a crash before the first commit) are no obstacle.
  const std::string crashed = dir.sub("crashed");
  std::filesystem::create_directories(crashed);
  std::ofstream(crashed + "/writer.lock") << "123\n";
  CHECK(journal::check_new_journal_dir(crashed));
  CHECK(Writer::open(crashed).has_value());
  CHECK(journal::check_new_journal_dir(dir.sub("new")));
  auto held = journal::check_new_journal_dir(crashed);
  REQUIRE_FALSE(held);
  CHECK(held.error().message.find("already holds a journal") != std::string::npos);
}

TEST_CASE("a journal of an unknown format version is refused, the versions named") {
  test::TempDir dir;
  write_trades(dir.path(), 3, 3);
  REQUIRE(test::set_meta(dir.path(), "format_version", "99"));
  const std::string expect = "is format v99, this build reads v1 and v2";
  auto r = Reader::open(dir.path());
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message.find(expect) != std::string::npos);
  auto w = Writer::open(dir.path());
  REQUIRE_FALSE(w.has_value());
  CHECK(w.error().message.find(expect) != std::string::npos);
}

TEST_CASE("a truncated data file is refused before LMDB maps it") {
  test::TempDir dir;
  write_trades(dir.path(), 20000, 5000, Options{Durability::nosync, std::size_t{64} << 20, 4096});
  const auto size = std::filesystem::file_size(dir.sub("data.mdb"));
  std::filesystem::resize_file(dir.sub("data.mdb"), size / 2);
  auto r = Reader::open(dir.path());
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message.find("truncated") != std::string::npos);
  std::filesystem::resize_file(dir.sub("data.mdb"), 100);
  auto r2 = Reader::open(dir.path());
  REQUIRE_FALSE(r2.has_value());
  CHECK(r2.error().message.find("truncated") != std::string::npos);
}

TEST_CASE("a writer killed with SIGKILL while appending loses no committed record, seq continues") {
  test::TempDir dir;
  std::uint64_t known_committed = 0;
  // Several crash/reopen rounds: each child resumes the same journal and is killed mid-stream.
  for (int round = 0; round < 4; ++round) {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    const pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      auto w = Writer::open(dir.path(), Options{round % 2 ? Durability::sync : Durability::nosync, 1 << 20, 4096});
      if (!w) _exit(3);
      for (;;) {
        for (int i = 0; i < 97; ++i) {
          const auto seq = (*w)->next_seq();
          (*w)->append(header_at(static_cast<std::int64_t>(1000 + seq)), sample_trade(seq));
        }
        auto c = (*w)->commit();
        if (!c) _exit(4);
        const std::uint64_t last = c->last_seq;
        if (write(fds[1], &last, sizeof last) != sizeof last) _exit(5);
      }
    }
    close(fds[1]);
    std::uint64_t last = 0;
    for (int commits = 0; commits < 5 + round * 7; ++commits) {
      REQUIRE(read(fds[0], &last, sizeof last) == sizeof last);
    }
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    close(fds[0]);
    REQUIRE(WIFSIGNALED(status));
    CHECK(last > known_committed);
    known_committed = last;

    auto v = verify(dir.path());
    REQUIRE_MESSAGE(v.has_value(), (v ? "" : v.error().message));
    CHECK(v->records >= known_committed);  // commits after the last report may also have landed
    auto r = open_reader(dir.path());
    std::uint64_t expect = 1;
    test::for_each_decoded(*r, {}, [&](const RecordView&, const Message& body) {
      CHECK(std::get<Trade>(body) == sample_trade(expect));
      ++expect;
    });
    CHECK(expect - 1 == v->records);
    known_committed = v->records;
  }
  // A writer opened after the crashes continues the seq and the chain.
  auto w = open_writer(dir.path());
  CHECK(w->next_seq() == known_committed + 1);
  CHECK(w->append(header_at(1), sample_trade(known_committed + 1)) == known_committed + 1);
  REQUIRE(w->commit().has_value());
  w.reset();
  auto v = verify(dir.path());
  REQUIRE(v.has_value());
  CHECK(v->records == known_committed + 1);
}

// Found by fuzz/record_decoder_fuzz: bytes that pass the checksum but whose segment table
// promises more than the record holds used to throw from a reader's destructor (abort).
TEST_CASE("damaged records that pass their checksum are errors naming the seq, never a crash") {
  for (const std::uint32_t format : {kFormatV1, kFormatV2}) {
    CAPTURE(format);
    auto with_checksum = [format](std::vector<std::uint8_t> after) {
      std::vector<std::uint8_t> stored(kChecksumBytes);
      const auto sum = record_checksum(format, 9, after);
      std::memcpy(stored.data(), &sum, kChecksumBytes);
      stored.insert(stored.end(), after.begin(), after.end());
      return stored;
    };
    RecordDecoder decoder(format);
    // Read as a full scan reads: header, then body. v2 unpacks the body on demand, so its
    // damage shows there, not where the cursor lands.
    auto read_whole = [&decoder](std::uint64_t seq, const std::vector<std::uint8_t>& stored) -> Result<Message> {
      auto rec = decoder.decode(seq, stored);
      if (!rec) return tl::unexpected(rec.error());
      return (*rec)->decode();
    };
    std::vector<PriceLevel> levels;
    for (std::int64_t i = 0; i < 400; ++i) levels.push_back({6173763000000 + i * 1000000, 1000 + i});
    const Message depth = DepthUpdate{"BTCUSDT", 1, 2, 3, levels, levels};
    auto header = header_at(5);
    header.seq = 9;
    header.type_id = type_id_of(depth);
    std::vector<std::uint8_t> good;
    encode_record(format, header, depth, good);
    const std::vector<std::uint8_t> after(good.begin() + kChecksumBytes, good.end());
    auto header_len = header_size(format, 9, after);
    REQUIRE(header_len.has_value());
    CHECK(*header_len == (format == kFormatV1 ? 0 : 13 + 1));  // the fixed part, the schema version

    // Two segments announced, the second never arrives (after the header, in v2).
    std::vector<std::uint8_t> fuzzed(after.begin(), after.begin() + static_cast<std::ptrdiff_t>(*header_len));
    for (std::uint8_t b : {0x18, 0x01, 0x01, 0x01, 0x01, 0x01, 0x00, 0xc6, 0x01, 0x00, 0xc6, 0xa7}) fuzzed.push_back(b);
    auto bad = read_whole(9, with_checksum(fuzzed));
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().message.rfind("seq 9:", 0) == 0);
    CHECK(bad.error().message.find("undecodable record") != std::string::npos);
    // The header alone reads in v2 (a scan that selects by it never unpacks the body).
    CHECK(decoder.decode(9, with_checksum(fuzzed)).has_value() == (format == kFormatV2));

    // Every truncation of a real multi-segment record: an error naming the seq, or (never
    // here) a decode; and the decoder still works afterwards.
    std::size_t errors = 0;
    for (std::size_t n = 0; n < after.size(); n += 7) {
      auto r = read_whole(9, with_checksum({after.begin(), after.begin() + static_cast<std::ptrdiff_t>(n)}));
      if (!r) {
        ++errors;
        CHECK(r.error().message.rfind("seq 9:", 0) == 0);
      }
    }
    CHECK(errors == (after.size() + 6) / 7);
    auto whole = decoder.decode(9, good);
    REQUIRE_MESSAGE(whole.has_value(), (whole ? "" : whole.error().message));
    CHECK((*whole)->header == header);
    auto body = (*whole)->decode();
    REQUIRE(body.has_value());
    CHECK(*body == depth);
    // Under another key, it is refused: v1 by the seq it holds, v2 by its checksum.
    auto moved = decoder.decode(10, good);
    REQUIRE_FALSE(moved.has_value());
    CHECK(moved.error().message.rfind("seq 10:", 0) == 0);
    CHECK(moved.error().message.find(format == kFormatV1 ? "claims seq 9" : "moved from another seq") !=
          std::string::npos);
  }
}

// A scan reads each record's header and checks its checksum; the body is unpacked only for
// a record the caller reads. So a scan selecting by type passes over bodies it does not
// need, and a body that is no message is still an error, naming its seq, to every reader
// of it and to verify.
TEST_CASE("a scan unpacks only the bodies it reads: a damaged body is passed over by a scan of another type, an error to its readers and to verify") {
  for (const std::uint32_t format : {kFormatV1, kFormatV2}) {
    CAPTURE(format);
    test::TempDir dir;
    Options options;
    options.format = format;
    {
      auto w = open_writer(dir.path(), options);
      w->append(header_at(1001), ClockTick{1});
      w->append(header_at(1002), sample_trade(2));
      w->append(header_at(1003), ClockTick{3});
      REQUIRE(w->commit().has_value());
    }
    std::vector<std::uint8_t> damaged;
    {
      auto r = open_reader(dir.path());
      auto c = r->scan();
      REQUIRE(c.has_value());
      REQUIRE(c->next().has_value());
      auto second = c->next();
      REQUIRE(second.has_value());
      const auto stored = (*second)->stored;
      const auto after = stored.subspan(kChecksumBytes);
      auto header_len = header_size(format, 2, after);
      REQUIRE(header_len.has_value());
      // The trade's header, then a segment table that announces a segment which never comes.
      std::vector<std::uint8_t> body(after.begin(), after.begin() + static_cast<std::ptrdiff_t>(*header_len));
      for (std::uint8_t b : {0x18, 0x01, 0x01, 0x01, 0x01, 0x01, 0x00, 0xc6, 0x01, 0x00, 0xc6, 0xa7}) body.push_back(b);
      damaged.resize(kChecksumBytes);
      const auto sum = record_checksum(format, 2, body);
      std::memcpy(damaged.data(), &sum, kChecksumBytes);
      damaged.insert(damaged.end(), body.begin(), body.end());
    }
    std::uint64_t key = 2;
    raw_put(dir.path(), "records", {reinterpret_cast<const std::uint8_t*>(&key), sizeof key}, damaged);

    auto r = open_reader(dir.path());
    Filter ticks;
    ticks.type_id = ClockTick::kTypeId;
    if (format == kFormatV1) {
      // v1 keeps the header inside the message: no scan gets past the damage.
      auto c = r->scan(ticks);
      REQUIRE(c.has_value());
      REQUIRE(c->next().has_value());
      auto second = c->next();
      REQUIRE_FALSE(second.has_value());
      CHECK(second.error().message.rfind("seq 2: undecodable record", 0) == 0);
      auto v = verify(dir.path());
      REQUIRE_FALSE(v.has_value());
      CHECK(v.error().message.rfind("seq 2: undecodable record", 0) == 0);
      continue;
    }
    CHECK(scan_seqs(*r, ticks) == std::vector<std::uint64_t>{1, 3});
    // A scan of headers lands on it: its header is the trade's.
    auto c = r->scan();
    REQUIRE(c.has_value());
    REQUIRE(c->next().has_value());
    auto rec = c->next();
    REQUIRE(rec.has_value());
    CHECK((*rec)->header.type_id == Trade::kTypeId);
    CHECK((*rec)->header.seq == 2);
    auto body = (*rec)->body();
    REQUIRE_FALSE(body.has_value());
    CHECK(body.error().message.rfind("seq 2: undecodable record", 0) == 0);
    auto decoded = (*rec)->decode();
    REQUIRE_FALSE(decoded.has_value());
    CHECK(decoded.error().message.rfind("seq 2: undecodable record", 0) == 0);
    auto third = c->next();  // the cursor goes on: the damage is the body's, not the scan's
    REQUIRE(third.has_value());
    REQUIRE(*third != nullptr);
    CHECK((*third)->header.seq == 3);
    auto v = verify(dir.path());
    REQUIRE_FALSE(v.has_value());
    CHECK(v.error().message.rfind("seq 2: undecodable record", 0) == 0);
  }
}

TEST_CASE("a journal at its size cap refuses the commit, keeps what was committed, and says so") {
  test::TempDir dir;
  Options o;
  o.max_map_bytes = std::size_t{1} << 20;
  auto w = open_writer(dir.path(), o);
  auto before = w->space();
  REQUIRE(before.has_value());
  CHECK(before->cap_left_bytes < o.max_map_bytes);
  CHECK(before->fs_free_bytes > 0);
  std::uint64_t committed = 0;
  std::string error;
  for (std::uint64_t i = 0; i < 100000 && error.empty(); ++i) {
    w->append(header_at(static_cast<std::int64_t>(1000 + i)), sample_trade(i));
    if ((i + 1) % 500 == 0) {
      if (auto c = w->commit(); c) committed = c->last_seq;
      else error = c.error().message;
    }
  }
  REQUIRE_FALSE(error.empty());
  CHECK(error.find("is full") != std::string::npos);
  CHECK(error.find("1 MiB") != std::string::npos);
  CHECK(committed > 1000);
  CHECK(w->last_committed_seq() == committed);
  CHECK(w->staged() == 500);  // the failed batch stays staged, not half-written
  auto after = w->space();
  REQUIRE(after.has_value());
  CHECK(after->left() < before->left());
  w.reset();
  auto v = verify(dir.path());
  REQUIRE_MESSAGE(v.has_value(), (v ? "" : v.error().message));
  CHECK(v->records == committed);
}

TEST_CASE("a large batch, hashed beside its commit, links the chain as each record hashed in turn would") {
  // From 128 KiB a commit hashes on the writer's second thread: the link must be the one
  // the records give when hashed one by one, and a commit refused at the cap must wait
  // for that thread before the staged batch can change.
  test::TempDir dir;
  Options o;
  o.max_map_bytes = std::size_t{1} << 20;
  auto w = open_writer(dir.path(), o);
  Hash expected{};
  std::uint64_t first = 0;
  for (int batch = 0; batch < 2; ++batch) {
    BatchHasher by_record(w->chain_head());
    first = w->next_seq();
    std::size_t bytes = 0;
    for (std::uint64_t i = 0; i < 2500; ++i) {
      w->append(header_at(static_cast<std::int64_t>(1000 + first + i)), sample_trade(first + i));
      by_record.add_record(w->last_appended());
      bytes += w->last_appended().size();
    }
    REQUIRE(bytes >= 128 * 1024);
    const auto records_hash = by_record.finish(first, first + 2499);
    auto c = w->commit();
    REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.error().message));
    CHECK(c->records_hash == records_hash);
    CHECK(w->chain_head() == c->chain);
    expected = c->chain;
  }
  // Appended until the map's cap refuses a commit; the batch stays staged, and the next
  // commit after more appends fails again without a torn hash or a crash.
  std::string error;
  for (std::uint64_t i = 0; i < 40000 && error.empty(); ++i) {
    w->append(header_at(static_cast<std::int64_t>(1000 + first + 2500 + i)), sample_trade(first + 2500 + i));
    if ((i + 1) % 2500 == 0) {
      if (auto c = w->commit(); c) expected = c->chain;
      else error = c.error().message;
    }
  }
  CHECK(error.find("is full") != std::string::npos);
  w->append(header_at(5), sample_trade(5));
  CHECK_FALSE(w->commit().has_value());
  w.reset();
  auto v = verify(dir.path());
  REQUIRE_MESSAGE(v.has_value(), (v ? "" : v.error().message));
  CHECK(v->chain_head == expected);
}

TEST_CASE("threads of one process opening and closing readers of one journal at once all read it whole") {
  // A sweep runs its tasks on threads that each open the source journal. LMDB forbids
  // opening one file twice in a process: a second environment re-initialises the lock
  // table under the first, and closing one drops the other's locks. Readers of one
  // journal in one process therefore share one environment.
  test::TempDir dir;
  write_trades(dir.path(), 3000, 250);
  constexpr int kThreads = 4, kRounds = 150;
  std::atomic<int> bad{0}, whole{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Another spelling of the same directory must find the same environment.
      const std::string path = t % 2 == 0 ? dir.path() : dir.path() + "/.";
      for (int round = 0; round < kRounds; ++round) {
        auto r = Reader::open(path);
        if (!r) { ++bad; continue; }
        auto cur = (*r)->scan();
        if (!cur) { ++bad; continue; }
        std::uint64_t expect = 1;
        for (;;) {
          auto rec = cur->next();
          if (!rec) { ++bad; break; }
          if (*rec == nullptr) break;
          if ((*rec)->header.seq != expect) ++bad;
          ++expect;
        }
        if (expect == 3001) ++whole;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(bad.load() == 0);
  CHECK(whole.load() == kThreads * kRounds);
  auto v = verify(dir.path());
  REQUIRE_MESSAGE(v.has_value(), (v ? "" : v.error().message));
  CHECK(v->records == 3000);
}

TEST_CASE("a writer is refused while this process reads the journal, and opens once the reader is closed") {
  // Two LMDB environments of one file in one process would clobber each other's lock
  // table: the writer could reuse pages the reader still reads.
  test::TempDir dir;
  write_trades(dir.path(), 10, 10);
  auto reader = open_reader(dir.path());
  auto refused = Writer::open(dir.path());
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().message.find("is open for reading in this process") != std::string::npos);
  reader.reset();
  auto w = open_writer(dir.path());
  CHECK(w->last_committed_seq() == 10);
  // A reader opened while the writer is open shares its environment and sees its commits.
  auto shared = open_reader(dir.path());
  w->append(header_at(2000), sample_trade(11));
  REQUIRE(w->commit().has_value());
  CHECK(scan_seqs(*shared, Filter{}).size() == 11);
}

namespace {
// The stored bytes of every record of `dir`, in seq order, with their decoded headers and bodies.
struct Stored {
  std::vector<std::vector<std::uint8_t>> bytes;
  std::vector<EnvelopeHeader> headers;
  std::vector<Message> bodies;
};
Stored read_stored(const std::string& dir) {
  Stored out;
  auto r = open_reader(dir);
  auto cur = r->scan();
  REQUIRE(cur.has_value());
  for (;;) {
    auto rec = cur->next();
    REQUIRE_MESSAGE(rec.has_value(), (rec ? "" : rec.error().message));
    if (*rec == nullptr) break;
    out.bytes.emplace_back((*rec)->stored.begin(), (*rec)->stored.end());
    out.headers.push_back((*rec)->header);
    auto body = (*rec)->decode();
    REQUIRE(body.has_value());
    out.bodies.push_back(*body);
  }
  return out;
}

// Restores an environment variable when the test ends (the journal_v1 run sets one).
struct EnvGuard {
  std::string name;
  std::optional<std::string> saved;
  explicit EnvGuard(std::string n) : name(std::move(n)) {
    if (const char* v = std::getenv(name.c_str())) saved = v;
  }
  ~EnvGuard() {
    if (saved) ::setenv(name.c_str(), saved->c_str(), 1);
    else ::unsetenv(name.c_str());
  }
};
}  // namespace

TEST_CASE("a journal keeps the format it was created in: v1 and v2 are written, resumed, read, verified, compacted and expanded alike") {
  const auto samples = test::all_message_samples();
  // Headers with every field set and with none: each of v2's optional fields both ways,
  // an ingress and a cause seq behind the seq, and one ahead of it (it is not checked).
  const auto header_for = [](std::size_t i) {
    EnvelopeHeader h{0, 1723161300000000000 + static_cast<std::int64_t>(i) * 1000, Actor::strategy, Actor::risk,
                     0, 0, 0, 0, 0};
    if (i % 2 == 1) {
      h.dest_seq = 1000 + i;
      h.schema_version = static_cast<std::uint16_t>(1 + i % 3);
      h.ingress_seq = i % 5 == 0 ? 1 : i;
      h.cause_seq = i % 7 == 0 ? 1'000'000 + i : i;
    }
    return h;
  };
  std::map<std::uint32_t, Stored> seen;
  for (const std::uint32_t format : {kFormatV1, kFormatV2}) {
    CAPTURE(format);
    test::TempDir dir;
    std::uint64_t n = 0;
    for (int session = 0; session < 2; ++session) {
      // Created in `format`; resumed with the default options, it stays in it.
      Options o;
      if (session == 0) o.format = format;
      auto w = open_writer(dir.path(), o);
      for (std::size_t i = 0; i < samples.size(); ++i, ++n) w->append(header_for(n), samples[i]);
      REQUIRE(w->commit().has_value());
    }
    auto r = open_reader(dir.path());
    auto summary = r->summary();
    REQUIRE(summary.has_value());
    CHECK(summary->format == format);
    auto meta = r->meta();
    REQUIRE(meta.has_value());
    CHECK(meta->at("format_version") == std::to_string(format));
    r.reset();

    const Stored written = read_stored(dir.path());
    REQUIRE(written.bodies.size() == 2 * samples.size());
    for (std::size_t i = 0; i < written.bodies.size(); ++i) {
      EnvelopeHeader expect = header_for(i);
      expect.seq = i + 1;
      expect.type_id = type_id_of(samples[i % samples.size()]);
      CHECK_MESSAGE(written.headers[i] == expect, "record " << i);
      CHECK(written.bodies[i] == samples[i % samples.size()]);
    }
    auto verified = verify(dir.path());
    REQUIRE_MESSAGE(verified.has_value(), (verified ? "" : verified.error().message));
    auto compacted = compact(dir.path());
    REQUIRE_MESSAGE(compacted.has_value(), (compacted ? "" : compacted.error().message));
    CHECK(compacted->raw_records == 0);  // every record rebuilds from its columns or words
    CHECK(compacted->chain_head == verified->chain_head);
    CHECK(read_stored(dir.path()).bytes == written.bytes);
    auto expanded = expand(dir.path());
    REQUIRE_MESSAGE(expanded.has_value(), (expanded ? "" : expanded.error().message));
    CHECK(read_stored(dir.path()).bytes == written.bytes);
    seen[format] = written;
  }
  // The same records, the same headers and bodies; v2 holds no seq and no envelope, so
  // every record is smaller.
  CHECK(seen[kFormatV1].headers == seen[kFormatV2].headers);
  CHECK(seen[kFormatV1].bodies == seen[kFormatV2].bodies);
  for (std::size_t i = 0; i < seen[kFormatV1].bytes.size(); ++i)
    CHECK_MESSAGE(seen[kFormatV2].bytes[i].size() < seen[kFormatV1].bytes[i].size(), "record " << i);
}

TEST_CASE("TRADER_JOURNAL_FORMAT chooses the format of a new journal, never of one that exists, and anything but 1 or 2 is refused before a file is made") {
  EnvGuard guard("TRADER_JOURNAL_FORMAT");
  test::TempDir dir;
  ::setenv("TRADER_JOURNAL_FORMAT", "1", 1);
  write_trades(dir.sub("v1"), 3, 3);
  ::setenv("TRADER_JOURNAL_FORMAT", "2", 1);
  write_trades(dir.sub("v2"), 3, 3);
  write_trades(dir.sub("v1"), 3, 3);  // resumed under another setting: still v1
  for (const auto& [name, format] : {std::pair{"v1", kFormatV1}, std::pair{"v2", kFormatV2}}) {
    auto s = open_reader(dir.sub(name))->summary();
    REQUIRE(s.has_value());
    CHECK(s->format == format);
    CHECK(s->records == (format == kFormatV1 ? 6u : 3u));
  }
  Options explicit_v1;
  explicit_v1.format = kFormatV1;
  write_trades(dir.sub("asked"), 1, 1, explicit_v1);  // the options win over the environment
  CHECK(open_reader(dir.sub("asked"))->summary()->format == kFormatV1);

  ::setenv("TRADER_JOURNAL_FORMAT", "3", 1);
  auto bad = Writer::open(dir.sub("bad"));
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().message.find("TRADER_JOURNAL_FORMAT=3: expected 1 or 2") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.sub("bad")));
  ::unsetenv("TRADER_JOURNAL_FORMAT");
  Options v3;
  v3.format = 3;
  auto asked = Writer::open(dir.sub("bad"), v3);
  REQUIRE_FALSE(asked.has_value());
  CHECK(asked.error().message.find("cannot create a journal of format v3: this build writes v1 and v2") !=
        std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.sub("bad")));
  write_trades(dir.sub("default"), 1, 1);
  CHECK(open_reader(dir.sub("default"))->summary()->format == kFormatVersion);
}

TEST_CASE("a record of a few bytes cannot make millions of elements to decode or render: it is an error") {
  // Found by fuzz.record_decoder: 53 bytes (v2, its checksum made valid, as the fuzzer
  // does) whose body holds a list of zero-sized elements, which cost no words but count
  // one each: Cap'n Proto's default limit let millions through, and decoding and rendering
  // them took 14 s. The reader is now bounded by the message's own size.
  std::vector<std::uint8_t> stored = {
      0xff, 0x7e, 0x81, 0x89, 0x32, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x89, 0xc1, 0x89, 0xa1, 0x05, 0x80,
      0xb3, 0xb3, 0xb3, 0xb3, 0xb3, 0xb8, 0x26, 0x49, 0xb3, 0x00, 0x00, 0x04, 0x00, 0x00, 0xf7, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x5b, 0x01, 0x00, 0x1b, 0x70, 0xb8, 0x00, 0x00, 0x00, 0x03, 0x00};
  const auto sum = journal::record_checksum(journal::kFormatV2, 7, std::span(stored).subspan(4));
  std::memcpy(stored.data(), &sum, 4);
  journal::RecordDecoder decoder(journal::kFormatV2);
  auto rec = decoder.decode(7, stored);
  REQUIRE(rec.has_value());
  auto body = (*rec)->body();
  REQUIRE(body.has_value());
  const TypeInfo* type = find_type((*rec)->header.type_id);
  REQUIRE(type != nullptr);
  auto value = (*rec)->decode();
  REQUIRE_FALSE(value.has_value());
  CHECK(value.error().message.find("traversal limit") != std::string::npos);
  std::string json;
  auto rendered = MessageJson().append_body(json, *type, *body);
  REQUIRE_FALSE(rendered.has_value());
  CHECK(rendered.error().message.find("traversal limit") != std::string::npos);
  CHECK(json.empty());
}
