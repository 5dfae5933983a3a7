#pragma once
// Keeps a store up to date with a journal: reads the records after the store's progress
// in seq order and writes their rows in batches, each with its progress in the same
// transaction. Run it once to catch up, or again and again to follow a live journal.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "journal/journal.hpp"
#include "projection/alert_rows.hpp"
#include "projection/store.hpp"

namespace trader::projection {

struct ProjectOptions {
  // First seq to project; 0 resumes after the store's progress. A seq at or before the
  // progress projects those records again (rows already there are kept); one past it
  // would leave a gap and is refused.
  std::uint64_t from_seq = 0;
  std::size_t batch_records = 50'000;  // records read per transaction at most
  std::size_t batch_rows = 20'000;     // rows written per transaction at most
  RowOptions rows;
};

struct CatchUp {
  std::uint64_t first_seq = 0, last_seq = 0;  // the records read (0, 0: none were new)
  std::uint64_t records = 0, rows = 0, batches = 0;
  // Records re-read to rebuild the alert rules: none when they resumed from the state stored
  // with the progress, the session so far when there was none to resume from.
  std::uint64_t warm_up_records = 0;
};

// The name a journal's rows carry in the database, fixed by its first committed batch: the
// node id and start time of the session that opened it ("paper-1@2026-12-03T02:04:21.439380683Z"),
// or, for a journal not opened by a session (an import), that batch's chain hash.
Result<std::string> journal_identity(journal::Reader& reader);

class Projector {
 public:
  static Result<Projector> open(journal::Reader& reader, Store& store, std::string journal_dir,
                                ProjectOptions options);

  // Projects everything the journal has committed past the progress. On a bad record the
  // rows before it are kept (and the progress says so) and the error names its seq.
  // `on_progress(records read, records to read)` is called every few thousand records.
  using ProgressFn = std::function<void(std::uint64_t, std::uint64_t)>;
  Result<CatchUp> catch_up(const ProgressFn& on_progress = {});

  const std::string& journal_id() const { return journal_id_; }
  std::uint64_t progress() const { return progress_; }

 private:
  Projector(journal::Reader& reader, Store& store, std::string journal_dir, ProjectOptions options)
      : reader_(&reader), store_(&store), journal_dir_(std::move(journal_dir)), options_(options) {}
  Result<std::vector<Row>> session_rows();
  // The alert rules, session by session: the record at `seq` (its body if decoded) goes to
  // its session's rules, opened or ended as sessions change; rows to `out` (null: quiet).
  Status alert_record(std::uint64_t seq, std::uint16_t type_id, const journal::RecordView& record,
                      const Message* body, std::vector<Row>* out);
  // The [alerts] settings of a session's journaled config (the defaults without one).
  Result<alerts::AlertRulesConfig> session_alert_settings(std::uint64_t session_id) const;
  // The alerts of a session that ended up to the progress and has not had its end yet.
  void alert_end(std::vector<Row>& out);
  // After open or a failure: the rules as they were after next_seq_ - 1, from the state
  // stored with the progress when it is that, else rebuilt from the start of the session.
  // Returns the records re-read.
  Result<std::uint64_t> alert_warm_up();
  bool alert_resume();

  journal::Reader* reader_;
  Store* store_;
  std::string journal_dir_, journal_id_;
  ProjectOptions options_;
  std::uint64_t progress_ = 0;
  std::uint64_t next_seq_ = 1;
  std::vector<journal::SessionInfo> sessions_written_;
  std::vector<journal::SessionInfo> sessions_;   // as read at the start of this catch-up
  std::map<std::string, std::string> meta_;      // likewise: the sessions' configs
  std::optional<SessionAlerts> alerts_;
  bool alerts_ready_ = false;
  std::string stored_state_;  // the state stored with progress_
};

}  // namespace trader::projection
