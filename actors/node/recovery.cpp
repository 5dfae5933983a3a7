#include "actors/node/recovery.hpp"

#include <map>
#include <set>

#include <fmt/format.h>

#include "actors/core_factory/core_factory.hpp"
#include "journal/journal.hpp"
#include "replay/recorded.hpp"
#include "replay/replay.hpp"

namespace trader::node {

std::string session_resumed_from_key(std::uint64_t session_id) {
  return fmt::format("session.{}.resumed_from", session_id);
}

namespace {

// Matches regenerated messages with the journal while it has records, then collects.
class RecoverySink final : public replay::RecordSink {
 public:
  // `other_build`: replay::recorded_by_another_build() of the session resumed.
  RecoverySink(journal::Cursor cursor, Recovery& r, std::string other_build)
      : feed_(std::move(cursor)), r_(r), other_build_(std::move(other_build)) {}

  // Why a journal that does not replay cannot be resumed: the same config, model and code.
  std::string does_not_replay(const std::string& where) const {
    return fmt::format("the journal does not replay at {}: resuming needs the same config, model and code as the "
                       "session being resumed{}; run 'trader-tools replay --verify'",
                       where, other_build_.empty() ? "" : " (" + other_build_ + ")");
  }

  Result<const replay::Recorded*> peek() { return feed_.peek(); }

  Result<std::uint64_t> append(const EnvelopeHeader& h, const Message& m) override {
    auto next = feed_.peek();
    if (!next) return tl::unexpected(next.error());
    if (*next == nullptr) {  // the crash cut this chain here: regenerate the rest
      EnvelopeHeader header = h;
      header.seq = r_.last_seq + r_.completion.size() + 1;
      r_.completion.emplace_back(header, m);
      return header.seq;
    }
    const replay::Recorded& rec = **next;
    if (!match_.same(rec, h, m))
      return fail(does_not_replay(fmt::format("seq {} (from {})", rec.header.seq, actor_name(rec.header.source))));
    const std::uint64_t seq = rec.header.seq;
    ++r_.replayed;
    feed_.take();
    return seq;
  }

 private:
  replay::RecordedFeed feed_;
  Recovery& r_;
  replay::RecordMatch match_;
  std::string other_build_;
};

}  // namespace

namespace {
// A resume continues the same inputs: a key that selects them may not change, or data of
// another market (or day) would be appended to this session's.
Status check_same_inputs(const std::string& journaled_toml, const NodeConfig& now) {
  auto then = parse_node_config(journaled_toml, "the journaled config", {}, ConfigUse::replay);
  if (!then) return fail("the session's journaled config does not load: " + then.error().message);
  std::map<std::string, std::string> before;
  for (const auto& k : then->keys) before[k.key] = k.value;
  for (const auto& k : now.keys) {
    const bool input = k.key == "feed.source" || k.key == "feed.files" || k.key == "feed.symbols" ||
                       k.key == "feed.snapshot_symbol" || k.key == "feed.url" || k.key == "feed.channels" ||
                       k.key == "feed.capture_venue";
    if (!input) continue;
    if (auto it = before.find(k.key); it != before.end() && it->second != k.value)
      return fail(fmt::format("{} is {} now but {} in the session being resumed; a resume continues the same "
                              "inputs (start a new journal for others)",
                              k.key, k.value, it->second));
  }
  return {};
}
}  // namespace

Result<std::map<std::string, BookedFills>> booked_fills(journal::Reader& reader,
                                                       const std::set<std::string>& client_order_ids) {
  std::map<std::string, BookedFills> out;
  if (client_order_ids.empty()) return out;
  journal::Filter f;
  f.type_id = OrderEvent::kTypeId;
  auto cursor = reader.scan(f);
  if (!cursor) return tl::unexpected(cursor.error());
  for (;;) {
    auto rec = cursor->next();
    if (!rec) return tl::unexpected(rec.error());
    if (*rec == nullptr) break;
    auto m = (*rec)->decode();
    if (!m) return fail(fmt::format("seq {}: {}", (*rec)->header.seq, m.error().message));
    const auto* e = std::get_if<OrderEvent>(&*m);
    if (e == nullptr || e->fill_qty <= 0 || e->trade_id == 0 || !client_order_ids.count(e->client_order_id))
      continue;
    BookedFills& b = out[e->client_order_id];
    if (b.trade_ids.insert(e->trade_id).second) b.qty += e->fill_qty;
  }
  return out;
}

Result<Recovery> recover(const std::string& dir, const NodeConfig& config, const CoreFactory& factory) {
  // Nothing is resumed on a record that does not verify: checksums and the whole hash
  // chain, before the snapshot and after it (a bad record before the snapshot would
  // otherwise stay in an audited journal unnoticed).
  auto verified = journal::verify(dir);
  if (!verified) return fail("the journal does not verify: " + verified.error().message + " (run 'trader-tools verify')");
  auto reader = journal::Reader::open(dir);
  if (!reader) return tl::unexpected(reader.error());
  auto sessions = (*reader)->sessions();
  if (!sessions) return tl::unexpected(sessions.error());
  auto meta = (*reader)->meta();
  if (!meta) return tl::unexpected(meta.error());
  auto summary = (*reader)->summary();
  if (!summary) return tl::unexpected(summary.error());

  const journal::SessionInfo* last = nullptr;
  for (const auto& s : *sessions)
    if (meta->count(replay::session_config_key(s.id))) last = &s;
  if (!last) return fail(fmt::format("journal {} has no node session to resume", dir));
  // The replay below runs to the end of the journal: another session after the node's (an
  // import, which import now refuses) would be fed to the actors as if the node's.
  if (const auto& end = sessions->back(); end.id != last->id)
    return fail(fmt::format("session {} (node {}) is not the journal's last: session {} ({}, from seq {}) follows it, "
                            "and a node session resumes only at the end of its journal; start afresh "
                            "(journal.if_exists = \"archive\")",
                            last->id, last->node_id, end.id, end.node_id, end.start_seq));

  if (auto st = check_same_inputs(meta->at(replay::session_config_key(last->id)), config); !st)
    return tl::unexpected(st.error());

  Recovery r;
  r.session = last->id;
  r.session_end = last->end_reason;
  r.session_end_ts_ns = last->end_ts_ns;
  r.last_seq = summary->last_seq;
  auto cores = factory(config, &r.model_id);
  if (!cores) return tl::unexpected(cores.error());
  replay::Simulator sim(std::move(*cores));

  // Where this session's state begins: its start, or the snapshot it resumed from.
  std::uint64_t min_snapshot = last->start_seq;
  bool must_load = false;
  if (auto it = meta->find(session_resumed_from_key(last->id)); it != meta->end()) {
    min_snapshot = std::stoull(it->second);
    must_load = true;
  }
  std::uint64_t start = last->start_seq;
  // The latest snapshot in range that the hash chain attests. One written after the last
  // commit of a crashed run is not attested: it could have been changed since, unnoticed,
  // so the state is rebuilt from an earlier one (the same state, more records replayed).
  // A journal written before attestations attests none; its snapshots are used as before.
  auto seqs = (*reader)->snapshot_seqs();
  if (!seqs) return tl::unexpected(seqs.error());
  const bool attests = verified->attested > 0;
  std::optional<std::uint64_t> chosen;
  for (auto it = seqs->rbegin(); it != seqs->rend() && !chosen; ++it) {
    if (*it < min_snapshot || *it > r.last_seq) continue;
    if (attests && verified->unattested_snapshots.count(*it)) r.unattested_snapshots.push_back(*it);
    else chosen = *it;
  }
  // A resumed session's state exists only from its snapshot on: if the crash came before a
  // batch attested it, it is still the state to start from (and says so).
  if (!chosen && must_load && verified->unattested_snapshots.count(min_snapshot)) {
    chosen = min_snapshot;
    r.started_unattested = true;
    std::erase(r.unattested_snapshots, min_snapshot);
  }
  Result<std::optional<std::pair<std::uint64_t, std::vector<std::uint8_t>>>> snap = std::nullopt;
  if (chosen) snap = (*reader)->snapshot_between(*chosen, *chosen);
  if (!snap) return tl::unexpected(snap.error());
  if (*snap) {
    if (auto st = replay::load_cores(sim.cores(), (*snap)->second); !st)
      return fail(fmt::format("snapshot at seq {}: {}", (*snap)->first, st.error().message));
    start = (*snap)->first + 1;
    r.started_from = (*snap)->first;
  } else if (must_load) {
    return fail(fmt::format("session {} resumed from the snapshot at seq {}, which is missing or not under the hash "
                            "chain",
                            last->id, min_snapshot));
  }

  journal::Filter f;
  f.from_seq = start;
  auto cursor = (*reader)->scan(f);
  if (!cursor) return tl::unexpected(cursor.error());
  RecoverySink sink(std::move(*cursor), r, replay::recorded_by_another_build(*last));
  for (;;) {
    auto next = sink.peek();
    if (!next) return tl::unexpected(next.error());
    if (*next == nullptr) break;
    const replay::Recorded rec = **next;
    if (sim.produces(rec.header.source))
      return fail(sink.does_not_replay(fmt::format("seq {}: a message from {} that no input explains", rec.header.seq,
                                                   actor_name(rec.header.source))));
    if (auto st = sim.run(rec.header, rec.message, sink); !st) return tl::unexpected(st.error());
  }
  // Where the feed stands: the last feed item with journaled inputs, and how many of its
  // inputs were journaled (an item can yield a clock tick, a gap report and the message).
  auto st = (*reader)->scan_backward([&](const journal::RecordView& rec) {
    const auto item = rec.header.ingress_seq;
    if (item == 0) return true;  // an actor's output: keep looking
    if (r.resume_item == 0) r.resume_item = item;
    if (item != r.resume_item) return false;
    ++r.resume_skip;
    return true;
  });
  if (!st) return tl::unexpected(st.error());
  if (auto* feed = sim.feed(); feed && feed->group_open()) {
    if (is_live(config.feed_source)) {
      feed->settle();  // the live message the crash cut short is gone; the stream goes on
    } else if (feed->group_size() != r.resume_skip) {
      return fail(fmt::format("the journal's last feed item {} has {} record(s) of an open group, but {} journaled",
                              r.resume_item, feed->group_size(), r.resume_skip));
    }
  } else if (r.resume_item != 0) {
    ++r.resume_item;  // the last item is wholly journaled: the capture goes on after it
    r.resume_skip = 0;
  }
  r.cores = std::move(sim.cores());
  return r;
}

}  // namespace trader::node
