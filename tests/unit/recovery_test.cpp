#include <doctest/doctest.h>

#include <fstream>

#include <fmt/format.h>

#include "actors/node/recovery.hpp"
#include "journal/journal.hpp"
#include "journal_scan.hpp"
#include "replay/replay.hpp"
#include "import_session.hpp"
#include "test_support.hpp"
#include "tools/trader_tools/capture_import.hpp"

using namespace trader;

namespace {

NodeConfig config() {
  std::ifstream in(std::string(TRADER_SOURCE_DIR) + "/config/paper.toml");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto c = parse_node_config(text, "config/paper.toml", {"journal.snapshot_every=4000"}, ConfigUse::replay);
  REQUIRE(c.has_value());
  return *c;
}

struct Record {
  EnvelopeHeader header;
  Message message;
};

std::vector<Record> records_of(const std::string& dir) {
  auto r = journal::Reader::open(dir);
  REQUIRE(r.has_value());
  std::vector<Record> out;
  test::for_each_decoded(**r, {}, [&](const journal::RecordView& rec, const Message& body) {
    out.push_back({rec.header, body});
  });
  return out;
}

// `full` cut after its first `cut` records, as a crash leaves it: the session left open,
// the snapshots up to the cut written after the last commit (so the hash chain does not
// attest them) except the first `attested` of them, written before it. `tamper_last`: the
// last snapshot holds the first one's state, as if it had been changed after the crash.
void write_crashed(const std::string& full, const std::vector<Record>& all, std::size_t cut, const std::string& crashed,
                   std::size_t attested, bool tamper_last) {
  auto src = journal::Reader::open(full);
  REQUIRE(src.has_value());
  auto meta = (*src)->meta();
  auto sessions = (*src)->sessions();
  auto snaps = (*src)->snapshot_seqs();
  REQUIRE(meta.has_value());
  REQUIRE(sessions.has_value());
  REQUIRE(snaps.has_value());
  std::vector<std::pair<std::uint64_t, std::vector<std::uint8_t>>> keep;
  for (auto seq : *snaps)
    if (seq <= cut) keep.push_back(**(*src)->snapshot_between(seq, seq));
  REQUIRE(keep.size() > attested);
  if (tamper_last) keep.back().second = keep.front().second;
  src->reset();
  auto w = journal::Writer::open(crashed);
  REQUIRE(w.has_value());
  journal::SessionInfo s = sessions->front();
  auto id = (*w)->begin_session(s);  // left open: the session crashed
  REQUIRE(id.has_value());
  for (const auto& [k, v] : *meta) REQUIRE((*w)->put_meta(k, v).has_value());
  std::size_t next = 0;  // a snapshot is attested by the batch committed after it
  for (std::size_t i = 0; i < cut; ++i) {
    CHECK((*w)->append(all[i].header, all[i].message) == all[i].header.seq);
    if (next < attested && keep[next].first == all[i].header.seq) {
      REQUIRE((*w)->put_snapshot(keep[next].first, keep[next].second).has_value());
      ++next;
    }
  }
  REQUIRE(next == attested);
  REQUIRE((*w)->commit().has_value());
  for (std::size_t i = attested; i < keep.size(); ++i)
    REQUIRE((*w)->put_snapshot(keep[i].first, keep[i].second).has_value());
}

// The first cut at or after `from` that falls between two feed items: a what-if journal's
// inputs carry no feed positions, so a cut inside an item's group (its clock tick journaled,
// its message not) is one recovery rightly cannot place.
std::size_t item_boundary(const std::vector<Record>& all, std::size_t from) {
  while (from < all.size() && all[from].header.source != Actor::timer) ++from;
  REQUIRE(from < all.size());
  return from;
}

// A complete session: a what-if over the bundled week (the same schedule as the node).
std::string full_session(test::TempDir& dir) {
  const std::string source = dir.sub("import");
  {
    auto w = journal::Writer::open(source);
    REQUIRE(w.has_value());
    ImportOptions o;
    o.files = {std::string(TRADER_TEST_DATA_DIR) + "/btcusdc_kline1m_20230301-07.gz"};
    REQUIRE(import_captures(**w, o).has_value());
  }
  const std::string full = dir.sub("full");
  REQUIRE(replay::what_if(source, {}, config(), full).has_value());
  return full;
}

}  // namespace

TEST_CASE("recovery regenerates exactly the consequences a crash cut short, and where the feed stands") {
  test::TempDir dir;
  const std::string full = full_session(dir);
  const auto all = records_of(full);

  // Cut inside a causal chain: just after an order request, before the venue's answer.
  std::size_t cut = 0;
  for (std::size_t i = all.size() / 2; i < all.size() && !cut; ++i)
    if (std::holds_alternative<OrderRequest>(all[i].message)) cut = i + 1;
  REQUIRE(cut > 0);
  const std::string crashed = dir.sub("crashed");
  write_crashed(full, all, cut, crashed, 1, false);

  auto r = node::recover(crashed, config());
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().message));
  CHECK(r->last_seq == cut);
  CHECK(r->session_end.empty());
  REQUIRE_FALSE(r->completion.empty());
  // The regenerated consequences are the very records the uninterrupted run journaled next.
  for (std::size_t i = 0; i < r->completion.size(); ++i) {
    INFO("completion " << i);
    const auto& [h, m] = r->completion[i];
    REQUIRE(cut + i < all.size());
    CHECK(h.seq == all[cut + i].header.seq);
    CHECK(h.source == all[cut + i].header.source);
    CHECK(m == all[cut + i].message);
  }
  CHECK(std::holds_alternative<OrderEvent>(r->completion.front().second));  // the venue's answer
  // After the completion the next record of the full run is an external input again.
  const auto& next = all[cut + r->completion.size()];
  CHECK((next.header.source == Actor::market_feed || next.header.source == Actor::timer));
  // The feed position: the item of the last journaled input (what-if inputs carry none,
  // as an import has no feed positions: then the node would start the feed over).
  CHECK(r->resume_item == 0);
  CHECK(r->replayed > 0);
}

TEST_CASE("recovery starts from the latest snapshot the hash chain attests, never from one written after the last commit") {
  test::TempDir dir;
  const std::string full = full_session(dir);
  const auto all = records_of(full);
  const std::size_t cut = item_boundary(all, all.size() / 2);
  auto snaps = journal::Reader::open(full).value()->snapshot_seqs().value();
  std::erase_if(snaps, [&](std::uint64_t s) { return s > cut; });
  REQUIRE(snaps.size() >= 3);
  // The last snapshot holds another state (the first one's): loaded, it would not replay
  // (recovery failed on this journal before it left unattested snapshots alone).
  const std::string crashed = dir.sub("crashed");
  write_crashed(full, all, cut, crashed, 2, true);
  auto r = node::recover(crashed, config());
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().message));
  CHECK(r->started_from == snaps[1]);  // the second snapshot, the last one attested
  CHECK(r->unattested_snapshots == std::vector<std::uint64_t>(snaps.rbegin(), snaps.rend() - 2));
  CHECK(r->replayed == cut - snaps[1]);
  CHECK_FALSE(r->started_unattested);

  // A session that resumed from a snapshot and crashed before any batch attested it: that
  // snapshot is the only state the session has, so recovery starts from it (and says so).
  const std::string resumed = dir.sub("resumed");
  write_crashed(full, all, cut, resumed, 0, false);
  {
    auto w = journal::Writer::open(resumed);
    REQUIRE(w.has_value());
    REQUIRE((*w)->put_meta(node::session_resumed_from_key(1), std::to_string(snaps[0])).has_value());
  }
  r = node::recover(resumed, config());
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().message));
  CHECK(r->started_from == snaps[0]);
  CHECK(r->started_unattested);
}

TEST_CASE("recovery refuses a journal whose records name other causes than the replay gives them") {
  test::TempDir dir;
  const std::string full = full_session(dir);
  auto all = records_of(full);
  // Cut just after an order request; that request now names another cause (the record
  // before the one it answers). Everything else is the uninterrupted run's, byte for byte.
  std::size_t cut = 0;
  for (std::size_t i = all.size() / 2; i < all.size() && !cut; ++i)
    if (std::holds_alternative<OrderRequest>(all[i].message)) cut = i + 1;
  REQUIRE(cut > 0);
  auto& request = all[cut - 1].header;
  REQUIRE(request.cause_seq > 1);
  --request.cause_seq;
  const std::string crashed = dir.sub("crashed");
  write_crashed(full, all, cut, crashed, 1, false);
  auto r = node::recover(crashed, config());
  REQUIRE_FALSE(r.has_value());  // recovery compared all but the cause before
  CHECK(r.error().message.find(fmt::format("does not replay at seq {}", request.seq)) != std::string::npos);
}

TEST_CASE("recovery refuses a journal that its config does not replay") {
  test::TempDir dir;
  const std::string source = dir.sub("import");
  {
    auto w = journal::Writer::open(source);
    REQUIRE(w.has_value());
    ImportOptions o;
    o.files = {std::string(TRADER_TEST_DATA_DIR) + "/btcusdc_kline1m_20230301-07.gz"};
    REQUIRE(import_captures(**w, o).has_value());
  }
  REQUIRE(replay::what_if(source, {}, config(), dir.sub("run")).has_value());
  NodeConfig other = config();
  other.risk.max_position_equity_ppm = 10'000;  // another risk limit than the journal's session
  auto r = node::recover(dir.sub("run"), other);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message.find("does not replay") != std::string::npos);
}

TEST_CASE("recovery refuses a node session that another session follows, naming both, instead of feeding it that one's records") {
  test::TempDir dir;
  const std::string full = full_session(dir);
  const auto all = records_of(full);
  const std::string crashed = dir.sub("crashed");
  write_crashed(full, all, all.size() / 2, crashed, 1, false);
  {  // an import after the crashed session, as builds before import refused one wrote it
    auto w = journal::Writer::open(crashed);
    REQUIRE(w.has_value());
    test::import_session(**w, {std::string(TRADER_TEST_DATA_DIR) + "/xrpeth_aggtrade_20191011_head3k.gz"}, 1);
  }
  auto r = node::recover(crashed, config());
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message.find(fmt::format("is not the journal's last: session 2 (import, from seq {}) follows it",
                                           all.size() / 2 + 1)) != std::string::npos);
}
