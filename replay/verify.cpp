#include <algorithm>
#include <chrono>
#include <map>

#include <fmt/format.h>

#include "actors/core_factory/core_factory.hpp"
#include "base/time_format.hpp"
#include "journal/journal.hpp"
#include "messages/message_json.hpp"
#include "messages/type_registry.hpp"
#include "model/xgb_model.hpp"
#include "replay/decision_hash.hpp"
#include "replay/recorded.hpp"
#include "replay/replay.hpp"

namespace trader::replay {

Result<Cores> node_cores(const NodeConfig& config, std::string* model_id) { return make_cores(config, model_id); }


Result<Range> day_range(const std::string& dir, const std::string& day) {
  const auto start = parse_time_ns(day);
  if (!start || day.size() != 10) return fail(fmt::format("--day {}: expected a UTC date like 2023-03-01", day));
  auto reader = journal::Reader::open(dir);
  if (!reader) return tl::unexpected(reader.error());
  journal::Filter f;
  f.from_ts_ns = *start;
  f.to_ts_ns = *start + 86'400'000'000'000LL - 1;
  auto cursor = (*reader)->scan(f);
  if (!cursor) return tl::unexpected(cursor.error());
  Range r{0, 0};
  for (;;) {
    auto rec = cursor->next();
    if (!rec) return tl::unexpected(rec.error());
    if (*rec == nullptr) break;
    if (r.from_seq == 0) r.from_seq = (*rec)->header.seq;
    r.to_seq = (*rec)->header.seq;
  }
  if (r.from_seq == 0) return fail(fmt::format("journal {} has no records received on {}", dir, day));
  return r;
}

namespace {

std::string describe(const EnvelopeHeader& h, const Message& m) {
  const TypeInfo* t = find_type(type_id_of(m));
  return fmt::format(R"({{"source":"{}","destination":"{}","recv_ts_ns":{},"cause_seq":{},"type":"{}","body":{}}})",
                     actor_name(h.source), actor_name(h.destination), h.recv_ts_ns, h.cause_seq, t ? t->name : "?",
                     to_json(m));
}

// Compares each message the replay sequences with the journal's record at that seq.
class ComparingSink final : public RecordSink {
 public:
  // `may_end_short`: the session's records are the journal's last, and it crashed or ended
  // with an error, so its last cascade may have been cut.
  ComparingSink(RecordedFeed& feed, const Range& range, DecisionHash& hash, VerifyReport& report, bool may_end_short)
      : feed_(feed), range_(range), hash_(hash), report_(report), may_end_short_(may_end_short) {}

  Result<std::uint64_t> append(const EnvelopeHeader& h, const Message& m) override {
    const std::uint64_t cause_seq = h.cause_seq;
    auto next = feed_.peek();
    if (!next) return tl::unexpected(next.error());
    if (*next == nullptr && may_end_short_) {  // the cut: counted, numbered as a resume would number it
      if (report_.unrecorded++ == 0) report_.cut_after_seq = last_seq_;
      return last_seq_ + report_.unrecorded;
    }
    if (*next == nullptr) {
      diverge({last_seq_ + 1, h.source, cause_seq, input_of(cause_seq),
               "(the journal ends here: the session did not record this message)", describe(h, m)});
      return fail("divergence");
    }
    const Recorded& r = **next;
    if (!match_.same(r, h, m)) {
      diverge({r.header.seq, h.source, cause_seq, input_of(cause_seq), describe(r.header, r.message), describe(h, m)});
      return fail("divergence");
    }
    const std::uint64_t seq = r.header.seq;
    if (seq >= range_.from_seq && seq <= range_.to_seq) {
      ++report_.messages;
      hash_.add(r.message);
    }
    last_seq_ = seq;
    remember(feed_.take());
    return seq;
  }

  void diverge(Divergence d) { report_.divergence = std::move(d); }
  std::uint64_t last_seq() const { return last_seq_; }
  std::string input_of(std::uint64_t seq) const {
    for (const auto& r : recent_)
      if (r.header.seq == seq) return describe(r.header, r.message);
    return "(input not at hand)";
  }

 private:
  // The recent records, as values: rendered only if a divergence needs its cause. A ring,
  // so keeping one costs no allocation (a std::deque of records this large allocated a
  // block for every record: a quarter of a verify's allocations).
  void remember(Recorded r) {
    if (recent_.size() < kRecent) recent_.push_back(std::move(r));
    else recent_[next_] = std::move(r);
    next_ = (next_ + 1) % kRecent;
  }
  static constexpr std::size_t kRecent = 4096;

  RecordedFeed& feed_;
  const Range& range_;
  DecisionHash& hash_;
  VerifyReport& report_;
  bool may_end_short_;
  std::vector<Recorded> recent_;
  std::size_t next_ = 0;  // where the next one goes once the ring is full
  std::uint64_t last_seq_ = 0;
  RecordMatch match_;
};

// Recovery and replays that start late load snapshots: each must be the state that the
// records before it lead to, taken between two inputs (after every consequence).
// Whether a recorded actor state is the replayed one, as this build reads it: equal bytes,
// or bytes an earlier build wrote (a field added since) that load into exactly the state
// replayed. On a match the core holds the recorded state, which is the same state.
bool same_state(ActorCore& core, std::span<const std::uint8_t> recorded, const std::vector<std::uint8_t>& replayed) {
  if (std::equal(recorded.begin(), recorded.end(), replayed.begin(), replayed.end())) return true;
  StateReader r(recorded);
  if (!core.load(r) || !r.at_end()) return false;
  StateWriter again;
  core.save(again);
  return again.bytes() == replayed;
}

Status check_snapshot(journal::Reader& reader, std::uint64_t seq, std::uint64_t replayed_to, Cores& cores,
                      VerifyReport& report) {
  auto snap = reader.snapshot_between(seq, seq);
  if (!snap) return tl::unexpected(snap.error());
  if (!*snap) return fail(fmt::format("snapshot at seq {} vanished while verifying", seq));
  if (seq != replayed_to) {
    report.bad_snapshot = fmt::format("the snapshot at seq {} falls inside the consequences of an input "
                                      "(they run to seq {}): no state was complete there", seq, replayed_to);
    return {};
  }
  ++report.snapshots_checked;
  const auto replayed = save_cores(cores);
  if (replayed == (*snap)->second) return {};
  auto recorded = decode_snapshot((*snap)->second);
  if (!recorded) {
    report.bad_snapshot = fmt::format("the snapshot at seq {} is not the state the records before it lead to ({})", seq,
                                      recorded.error().message);
    return {};
  }
  std::string actors;
  std::size_t compared = 0;
  for (const auto& [actor, core] : cores) {
    StateWriter ours;
    core->save(ours);
    auto it = std::find_if(recorded->begin(), recorded->end(), [&](const auto& p) { return p.first == actor; });
    if (it == recorded->end() && actor == Actor::market_feed) continue;  // a build that kept no feed state
    ++compared;
    if (it == recorded->end() || !same_state(*core, it->second, ours.bytes()))
      actors += fmt::format("{}{}", actors.empty() ? "" : ", ", actor_name(actor));
  }
  if (actors.empty() && recorded->size() == compared) return {};
  report.bad_snapshot = fmt::format("the snapshot at seq {} is not the state the records before it lead to ({})", seq,
                                    actors.empty() ? std::string("other actors") : "differs for " + actors);
  return {};
}

}  // namespace


Status check_session_configs(journal::Reader& reader) {
  auto sessions = reader.sessions();
  if (!sessions) return tl::unexpected(sessions.error());
  auto meta = reader.meta();
  if (!meta) return tl::unexpected(meta.error());
  for (const auto& s : *sessions) {
    auto text = meta->find(session_config_key(s.id));
    if (text == meta->end() || s.config_hash.empty()) continue;
    if (const auto h = model::sha256_hex(text->second); h != s.config_hash)
      return fail(fmt::format("session {}: its journaled config was edited (SHA-256 {}, the session recorded {})",
                              s.id, h.substr(0, 16), s.config_hash.substr(0, 16)));
  }
  return {};
}

Result<VerifyReport> verify(const std::string& dir, const Range& range, const CoreFactory& factory,
                            const ProgressFn& progress) {
  const auto started = std::chrono::steady_clock::now();
  auto reader = journal::Reader::open(dir);
  if (!reader) return tl::unexpected(reader.error());
  auto sessions = (*reader)->sessions();
  if (!sessions) return tl::unexpected(sessions.error());
  auto meta = (*reader)->meta();
  if (!meta) return tl::unexpected(meta.error());
  auto summary = (*reader)->summary();
  if (!summary) return tl::unexpected(summary.error());

  if (auto st = journal::check_attestations(**reader); !st) return tl::unexpected(st.error());
  if (auto st = check_session_configs(**reader); !st) return tl::unexpected(st.error());
  auto snapshot_seqs = (*reader)->snapshot_seqs();
  if (!snapshot_seqs) return tl::unexpected(snapshot_seqs.error());

  VerifyReport report;
  DecisionHash hash;
  for (std::size_t i = 0; i < sessions->size() && !report.divergence; ++i) {
    const auto& s = (*sessions)[i];
    // An open session (crashed or running) ends where the next one starts, or at the end.
    const std::uint64_t end = s.end_seq != 0 ? s.end_seq
                              : i + 1 < sessions->size() ? (*sessions)[i + 1].start_seq - 1
                                                         : summary->last_seq;
    if (end < s.start_seq || end < range.from_seq || s.start_seq > range.to_seq) continue;
    auto text = meta->find(session_config_key(s.id));
    if (text == meta->end()) {
      ++report.sessions_skipped;  // no actors ran in it (an import)
      continue;
    }
    auto config = parse_node_config(text->second, fmt::format("session {} config", s.id), {}, ConfigUse::replay);
    if (!config) return tl::unexpected(config.error());
    std::string model_id;
    auto cores = factory(*config, &model_id);
    if (!cores) return fail(fmt::format("session {}: {}", s.id, cores.error().message));
    // The audit is only as good as the model: it must be the very file the session ran.
    if (auto recorded = meta->find(session_model_key(s.id)); recorded != meta->end() && recorded->second != model_id)
      return fail(fmt::format("session {} ran model {}, but {} is now {}: replay needs the original model file",
                              s.id, recorded->second, config->model_path, model_id));
    Simulator sim(std::move(*cores));

    std::uint64_t start = s.start_seq;
    // A resumed session starts from the state recovery rebuilt, kept as a snapshot.
    std::uint64_t min_snapshot = s.start_seq;
    if (auto it = meta->find(fmt::format("session.{}.resumed_from", s.id)); it != meta->end()) {
      min_snapshot = std::stoull(it->second);
      auto snap = (*reader)->snapshot_between(min_snapshot, min_snapshot);
      if (!snap) return tl::unexpected(snap.error());
      if (!*snap) return fail(fmt::format("session {} resumed from the snapshot at seq {}, which is missing", s.id, min_snapshot));
      if (auto st = load_cores(sim.cores(), (*snap)->second); !st)
        return fail(fmt::format("snapshot at seq {}: {}", min_snapshot, st.error().message));
    }
    if (range.from_seq > s.start_seq) {
      auto snap = (*reader)->snapshot_between(min_snapshot, range.from_seq - 1);
      if (!snap) return tl::unexpected(snap.error());
      if (*snap) {
        if (auto st = load_cores(sim.cores(), (*snap)->second); !st)
          return fail(fmt::format("snapshot at seq {}: {}", (*snap)->first, st.error().message));
        start = (*snap)->first + 1;
        report.snapshot_seq = (*snap)->first;
      }
    }
    journal::Filter f;
    f.from_seq = start;
    f.to_seq = end;
    auto cursor = (*reader)->scan(f);
    if (!cursor) return tl::unexpected(cursor.error());
    RecordedFeed feed(std::move(*cursor));
    ComparingSink sink(feed, range, hash, report, session_may_end_inside_cascade(s) && end == summary->last_seq);
    ++report.sessions;
    // The snapshots this session took (those at start - 1 are the state it started from).
    std::vector<std::uint64_t> due;
    for (auto seq : *snapshot_seqs)
      if (seq >= start && seq <= end) due.push_back(seq);
    auto next_due = due.begin();
    const bool clean_so_far = !report.divergence && report.bad_snapshot.empty();
    for (;;) {
      auto next = feed.peek();
      if (!next) return tl::unexpected(next.error());
      if (*next == nullptr || (*next)->header.seq > range.to_seq) break;
      const Recorded& r = **next;
      if (sim.produces(r.header.source)) {
        sink.diverge({r.header.seq, r.header.source, 0, "(none: the replay had nothing left to deliver)",
                      describe(r.header, r.message), "(nothing: the replay's actors produced no such message)"});
        break;
      }
      ++report.inputs;
      if (progress && report.inputs % 4096 == 0) progress(r.header.seq, std::min(end, range.to_seq));
      if (auto st = sim.run(r.header, r.message, sink); !st) {
        if (report.divergence) break;
        if (!sim.feed_refusal().empty()) {  // the feed's own decisions do not replay
          sink.diverge({r.header.seq, r.header.source, 0, "(a message received by the market feed)",
                        describe(r.header, r.message), sim.feed_refusal()});
          break;
        }
        return tl::unexpected(st.error());
      }
      for (; next_due != due.end() && *next_due <= sink.last_seq(); ++next_due) {
        if (auto st = check_snapshot(**reader, *next_due, sink.last_seq(), sim.cores(), report); !st)
          return tl::unexpected(st.error());
        if (!report.bad_snapshot.empty()) break;
      }
      if (!report.bad_snapshot.empty()) break;
    }
    if (clean_so_far && (report.divergence || !report.bad_snapshot.empty()))
      report.other_build = recorded_by_another_build(s);
  }
  report.decisions = hash.decisions();
  report.decision_hash = hash.hex();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

std::string describe(const Divergence& d) {
  return fmt::format("divergence at seq {} (from {}, in response to seq {}):\n  input:    {}\n  expected: {}\n  got:      {}\n",
                     d.seq, actor_name(d.actor), d.input_seq, d.input, d.expected, d.got);
}

}  // namespace trader::replay
