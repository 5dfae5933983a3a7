#include "projection/projector.hpp"

#include <algorithm>
#include <iterator>
#include <optional>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "alerts/alert_rules.hpp"
#include "base/time_format.hpp"
#include "projection/alert_state.hpp"
#include "replay/session_record.hpp"

namespace trader::projection {
namespace {

bool projected_type(std::uint16_t type_id, const RowOptions& o) {
  switch (type_id) {
    case Signal::kTypeId: case OrderIntent::kTypeId: case RiskDecision::kTypeId: case RiskState::kTypeId:
    case OrderRequest::kTypeId: case OrderEvent::kTypeId: case PortfolioState::kTypeId:
    case AccountBalances::kTypeId: case ErrorReport::kTypeId: case FeedStatus::kTypeId:
    case OperatorCommand::kTypeId: case Liquidation::kTypeId:
      return true;
    case Candle::kTypeId: return o.candles;
    default: return false;
  }
}

// The session a record belongs to: the last one begun at or before it, unless it ended
// before it (records between sessions, an import's, belong to none). Sessions are in seq
// order; a journal resumed many times has many, so this is a binary search.
const journal::SessionInfo* session_at(const std::vector<journal::SessionInfo>& sessions, std::uint64_t seq) {
  auto after = std::upper_bound(sessions.begin(), sessions.end(), seq,
                                [](std::uint64_t v, const journal::SessionInfo& s) { return v < s.start_seq; });
  if (after == sessions.begin()) return nullptr;
  const auto& s = *std::prev(after);
  return s.end_reason.empty() || seq <= s.end_seq ? &s : nullptr;
}

bool same_sessions(const std::vector<journal::SessionInfo>& a, const std::vector<journal::SessionInfo>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].id != b[i].id || a[i].end_seq != b[i].end_seq || a[i].end_reason != b[i].end_reason) return false;
  return true;
}

}  // namespace

Result<std::string> journal_identity(journal::Reader& reader) {
  auto batches = reader.batches();
  if (!batches) return tl::unexpected(batches.error());
  if (batches->empty()) return fail(fmt::format("{}: the journal has no committed record yet", reader.dir()));
  // A session is written before the first batch it opens, so what is seen here never changes.
  auto sessions = reader.sessions();
  if (!sessions) return tl::unexpected(sessions.error());
  if (!sessions->empty() && sessions->front().start_seq == 1)
    return fmt::format("{}@{}", sessions->front().node_id, format_utc_ns(sessions->front().start_ts_ns));
  return "journal@" + journal::to_hex(batches->front().chain).substr(0, 16);
}

Result<Projector> Projector::open(journal::Reader& reader, Store& store, std::string journal_dir,
                                  ProjectOptions options) {
  Projector p(reader, store, std::move(journal_dir), options);
  auto id = journal_identity(reader);
  if (!id) return tl::unexpected(id.error());
  p.journal_id_ = std::move(*id);
  auto done = store.progress(p.journal_id_);
  if (!done) return tl::unexpected(done.error());
  p.progress_ = done->last_seq;
  p.stored_state_ = std::move(done->state);
  if (options.from_seq == 0) {
    p.next_seq_ = p.progress_ + 1;
  } else if (p.progress_ > 0 && options.from_seq > p.progress_ + 1) {
    return fail(fmt::format("--from {} would leave a gap: {} holds journal {} up to seq {} (use --from {} or less, "
                            "or leave --from out to resume)",
                            options.from_seq, store.describe(), p.journal_id_, p.progress_, p.progress_ + 1));
  } else {
    p.next_seq_ = options.from_seq;
  }
  return p;
}

Result<std::vector<Row>> Projector::session_rows() {
  auto sessions = reader_->sessions();
  if (!sessions) return tl::unexpected(sessions.error());
  sessions_ = *sessions;
  // Followed, this runs at every look: the configs are read only when a session began or ended.
  if (same_sessions(*sessions, sessions_written_)) return std::vector<Row>{};
  auto meta = reader_->meta();
  if (!meta) return tl::unexpected(meta.error());
  meta_ = *meta;
  std::vector<Row> rows;
  for (const auto& s : *sessions) {
    std::string mode, strategy, model_id;
    if (auto it = meta->find(replay::session_config_key(s.id)); it != meta->end()) {
      // The session's effective config: it parsed when the session began, and the
      // attestation check of verify says whether it is still what was journaled.
      try {
        const toml::table cfg = toml::parse(it->second);
        mode = cfg["order"]["mode"].value_or(std::string("paper"));
        strategy = cfg["strategy"]["kind"].value_or(std::string());
      } catch (const toml::parse_error& e) {
        return fail(fmt::format("session {}: its journaled config does not parse: {}", s.id, e.description()));
      }
    }
    if (auto it = meta->find(replay::session_model_key(s.id)); it != meta->end()) model_id = it->second;
    rows.push_back(session_row(s, std::move(mode), std::move(strategy), std::move(model_id)));
  }
  sessions_written_ = std::move(*sessions);
  return rows;
}

Status Projector::alert_record(std::uint64_t seq, std::uint16_t type_id, const journal::RecordView& record,
                               const Message* body, std::vector<Row>* out) {
  const auto* s = session_at(sessions_, seq);
  if (alerts_ && (!s || s->id != alerts_->session_id())) {
    if (out) alert_end(*out);
    alerts_.reset();
  }
  if (s == nullptr) return {};
  if (!alerts_) {
    auto settings = session_alert_settings(s->id);
    if (!settings) return tl::unexpected(settings.error());
    alerts_.emplace(s->id, *settings);
  }
  if (!alerts::AlertRules::wants(type_id)) return {};
  if (body) {
    alerts_->on_record(seq, *body, out);
    return {};
  }
  auto decoded = record.decode();
  if (!decoded) return fail(fmt::format("seq {}: {}", seq, decoded.error().message));
  alerts_->on_record(seq, *decoded, out);
  return {};
}

Result<alerts::AlertRulesConfig> Projector::session_alert_settings(std::uint64_t session_id) const {
  auto it = meta_.find(replay::session_config_key(session_id));
  if (it == meta_.end()) return alerts::AlertRulesConfig{};
  return alert_settings(session_id, it->second);
}

void Projector::alert_end(std::vector<Row>& out) {
  if (!alerts_ || alerts_->ended()) return;
  for (const auto& s : sessions_)
    if (s.id == alerts_->session_id() && !s.end_reason.empty() && s.end_seq < next_seq_) alerts_->on_end(s.end_reason, &out);
}

bool Projector::alert_resume() {
  if (next_seq_ != progress_ + 1 || stored_state_.empty()) return false;
  auto saved = decode_alert_state(stored_state_);
  if (!saved || saved->at_seq != progress_) return false;
  const auto* s = session_at(sessions_, progress_);
  if (!saved->state) return s == nullptr;
  if (s == nullptr || s->id != saved->state->session) return false;
  auto settings = session_alert_settings(s->id);
  if (!settings) return false;
  alerts_.emplace(*settings, std::move(*saved->state));
  return true;
}

Result<std::uint64_t> Projector::alert_warm_up() {
  alerts_.reset();
  alerts_ready_ = true;
  if (alert_resume()) return 0;
  const auto* s = next_seq_ > 1 ? session_at(sessions_, next_seq_ - 1) : nullptr;
  if (s == nullptr) return 0;
  journal::Filter f;
  f.from_seq = s->start_seq;
  f.to_seq = next_seq_ - 1;
  auto cursor = reader_->scan(f);
  if (!cursor) return tl::unexpected(cursor.error());
  for (std::uint64_t read = 0;; ++read) {
    auto rec = cursor->next();
    if (!rec) return tl::unexpected(rec.error());
    if (*rec == nullptr) return read;
    if (auto st = alert_record((*rec)->header.seq, (*rec)->header.type_id, **rec, nullptr, nullptr); !st)
      return tl::unexpected(st.error());
  }
}

Result<CatchUp> Projector::catch_up(const ProgressFn& on_progress) {
  CatchUp done;
  auto summary = reader_->summary();
  if (!summary) return tl::unexpected(summary.error());
  auto sessions = session_rows();
  if (!sessions) return tl::unexpected(sessions.error());
  Batch batch{journal_id_, journal_dir_, {}, std::move(*sessions), next_seq_, 0};
  std::uint64_t batch_records = 0, last_read = 0;
  auto flush = [&]() -> Status {
    batch.last_seq = std::max(last_read, progress_);
    // The rules' state is after next_seq_ - 1: it goes with the progress when that is it
    // (not when records before the progress were projected again).
    batch.state.reset();
    if (batch.last_seq + 1 == next_seq_)
      batch.state = encode_alert_state({batch.last_seq, alerts_ ? std::optional(alerts_->state()) : std::nullopt});
    if (auto st = store_->write(batch); !st) return st;
    if (batch.state) stored_state_ = *batch.state;
    progress_ = batch.last_seq;
    done.rows += batch.rows.size() + batch.sessions.size();
    ++done.batches;
    batch.rows.clear();
    batch.sessions.clear();
    batch.first_seq = last_read + 1;
    batch_records = 0;
    return {};
  };
  // Reports a failure; the next call starts again after the progress. A bad record keeps
  // what was read before it (`keep_read`); a failed write is not retried here.
  auto stop = [&](Error e, bool keep_read = true) -> tl::unexpected<Error> {
    if (keep_read && (batch_records > 0 || !batch.sessions.empty())) (void)flush();
    next_seq_ = progress_ + 1;
    sessions_written_.clear();
    alerts_ready_ = false;  // resumed from the state stored with the progress at the next call
    return tl::unexpected(std::move(e));
  };
  if (!alerts_ready_) {
    auto reread = alert_warm_up();
    if (!reread) return stop(reread.error(), false);
    done.warm_up_records = *reread;
  }

  // Batch by batch, each read by a cursor of its own that is closed before the batch is
  // written: a read transaction held across a slow database would keep the journal's
  // writer from growing its map (journal/lmdb_env.hpp), and so hold up a node.
  const std::uint64_t to_read =
      summary->records > 0 && summary->last_seq >= next_seq_ ? summary->last_seq - next_seq_ + 1 : 0;
  while (summary->records > 0 && next_seq_ <= summary->last_seq) {
    std::optional<Error> bad;
    bool full = false;
    {
      journal::Filter filter;
      filter.from_seq = next_seq_;
      filter.to_seq = summary->last_seq;
      auto cursor = reader_->scan(filter);
      if (!cursor) return stop(cursor.error());
      while (!full && !bad) {
        auto rec = cursor->next();
        if (!rec) {
          bad = rec.error();
          break;
        }
        if (*rec == nullptr) break;
        const auto& h = (*rec)->header;
        std::optional<Message> body;
        if (projected_type(h.type_id, options_.rows)) {
          auto decoded = (*rec)->decode();
          if (!decoded) {
            bad = Error{fmt::format("seq {}: {}", h.seq, decoded.error().message)};
            break;
          }
          body = std::move(*decoded);
          if (auto st = add_rows(h, *body, options_.rows, batch.rows); !st) {
            bad = st.error();
            break;
          }
        }
        if (auto st = alert_record(h.seq, h.type_id, **rec, body ? &*body : nullptr, &batch.rows); !st) {
          bad = st.error();
          break;
        }
        last_read = h.seq;
        next_seq_ = h.seq + 1;
        if (done.first_seq == 0) done.first_seq = h.seq;
        if (++done.records % 4096 == 0 && on_progress) on_progress(done.records, to_read);
        ++batch_records;
        full = batch_records >= options_.batch_records || batch.rows.size() >= options_.batch_rows;
      }
    }  // the read transaction ends here
    if (bad) return stop(std::move(*bad));
    if (!full) alert_end(batch.rows);  // read to the end: a session that ended there has its last alerts here
    if (batch_records > 0)
      if (auto st = flush(); !st) return stop(st.error(), false);
    if (!full) break;  // the cursor reached the end
  }
  done.last_seq = last_read;
  alert_end(batch.rows);
  if (!batch.sessions.empty() || !batch.rows.empty())
    if (auto st = flush(); !st) return stop(st.error(), false);
  return done;
}

}  // namespace trader::projection
