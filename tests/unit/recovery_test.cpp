#include <doctest/doctest.h>

#include <fstream>

#include "actors/node/recovery.hpp"
#include "journal/journal.hpp"
#include "replay/replay.hpp"
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
  auto cur = (*r)->scan();
  REQUIRE(cur.has_value());
  std::vector<Record> out;
  for (;;) {
    auto rec = cur->next();
    REQUIRE(rec.has_value());
    if (*rec == nullptr) break;
    auto body = (*rec)->decode();
    REQUIRE(body.has_value());
    out.push_back({(*rec)->header, std::move(*body)});
  }
  return out;
}

}  // namespace

TEST_CASE("recovery regenerates exactly the consequences a crash cut short, and where the feed stands") {
  test::TempDir dir;
  // A complete session (what-if over the bundled week: the same schedule as the node).
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
  const auto all = records_of(full);

  // Cut inside a causal chain: just after an order request, before the venue's answer.
  std::size_t cut = 0;
  for (std::size_t i = all.size() / 2; i < all.size() && !cut; ++i)
    if (std::holds_alternative<OrderRequest>(all[i].message)) cut = i + 1;
  REQUIRE(cut > 0);
  const std::string crashed = dir.sub("crashed");
  {
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
    src->reset();
    auto w = journal::Writer::open(crashed);
    REQUIRE(w.has_value());
    journal::SessionInfo s = sessions->front();
    auto id = (*w)->begin_session(s);  // left open: the session crashed
    REQUIRE(id.has_value());
    for (const auto& [k, v] : *meta) REQUIRE((*w)->put_meta(k, v).has_value());
    for (std::size_t i = 0; i < cut; ++i) CHECK((*w)->append(all[i].header, all[i].message) == all[i].header.seq);
    REQUIRE((*w)->commit().has_value());
    for (const auto& [seq, bytes] : keep) REQUIRE((*w)->put_snapshot(seq, bytes).has_value());
  }

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
