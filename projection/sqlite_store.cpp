// The read model in one SQLite file (WAL, so readers such as a dashboard or Grafana never
// block the projector).
#include <array>
#include <chrono>
#include <thread>

#include <fmt/format.h>
#include <sqlite3.h>

#include "projection/sqlite_bind.hpp"
#include "projection/schema_setup.hpp"
#include "projection/store.hpp"

namespace trader::projection {
namespace {

class SqliteStore final : public Store, public SqlAccess {
 public:
  SqliteStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteStore() override {
    for (auto* s : inserts_) sqlite3_finalize(s);
    sqlite3_finalize(progress_);
    sqlite3_close(db_);
  }

  Status open() {
    // Another projector opening the same new file at the same moment holds it for a moment
    // (switching to WAL needs the file alone, and SQLite does not wait for that on its busy
    // handler): wait and try again, for up to 15 s.
    for (int attempt = 1;; ++attempt) {
      auto st = set_up();
      if (st) break;
      const int code = sqlite3_errcode(db_);
      if ((code != SQLITE_BUSY && code != SQLITE_LOCKED) || attempt == 300) return st;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    for (std::size_t i = 0; i < kTableCount; ++i) {
      const Table& t = table(static_cast<TableId>(i));
      if (auto st = prepare(sqlite_insert(t) + on_conflict(t), &inserts_[i]); !st) return st;
    }
    return prepare(
        "INSERT INTO projection_progress (journal_id, last_seq, journal_dir, resume_state) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (journal_id) DO UPDATE SET last_seq = excluded.last_seq, journal_dir = excluded.journal_dir, "
        "resume_state = COALESCE(excluded.resume_state, projection_progress.resume_state) "
        "WHERE excluded.last_seq >= projection_progress.last_seq",
        &progress_);
  }

  Dialect dialect() const override { return Dialect::sqlite; }

  Status set_up() {
    for (const char* pragma : {"PRAGMA busy_timeout = 10000", "PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL"})
      if (auto st = exec(pragma); !st) return st;
    return in_transaction(*this, "BEGIN IMMEDIATE", [&] { return ensure_schema(*this, path_); });
  }

  Status exec(const std::string& sql) override {
    char* msg = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &msg) == SQLITE_OK) return {};
    std::string text = msg ? msg : sqlite3_errmsg(db_);
    sqlite3_free(msg);
    return fail(fmt::format("{}: {}", path_, text));
  }

  Result<std::int64_t> scalar(const std::string& sql) override {
    sqlite3_stmt* s = nullptr;
    if (auto st = prepare(sql, &s); !st) return tl::unexpected(st.error());
    const int rc = sqlite3_step(s);
    const std::int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW) return fail(fmt::format("{}: {}", path_, sqlite3_errmsg(db_)));
    return v;
  }

  Result<Progress> progress(const std::string& journal_id) override {
    sqlite3_stmt* s = nullptr;
    if (auto st = prepare("SELECT last_seq, resume_state FROM projection_progress WHERE journal_id = ?1", &s); !st)
      return tl::unexpected(st.error());
    sqlite3_bind_text(s, 1, journal_id.data(), static_cast<int>(journal_id.size()), SQLITE_TRANSIENT);
    const int rc = sqlite3_step(s);
    Progress p;
    if (rc == SQLITE_ROW) {
      p.last_seq = static_cast<std::uint64_t>(sqlite3_column_int64(s, 0));
      if (const auto* text = sqlite3_column_text(s, 1))
        p.state.assign(reinterpret_cast<const char*>(text), static_cast<std::size_t>(sqlite3_column_bytes(s, 1)));
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return fail(fmt::format("{}: {}", path_, sqlite3_errmsg(db_)));
    return p;
  }

  Status write(const Batch& b) override {
    return in_transaction(*this, "BEGIN IMMEDIATE", [&] { return write_rows(b); });
  }

  std::string describe() const override { return "sqlite:" + path_; }

 private:
  Status prepare(const std::string& sql, sqlite3_stmt** out) {
    if (sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), out, nullptr) == SQLITE_OK) return {};
    return fail(fmt::format("{}: {}", path_, sqlite3_errmsg(db_)));
  }

  Status step(sqlite3_stmt* s) {
    const int rc = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc == SQLITE_DONE) return {};
    return fail(fmt::format("{}: {}", path_, sqlite3_errmsg(db_)));
  }

  Status insert(const std::string& journal_id, const Row& row) {
    sqlite3_stmt* s = inserts_[static_cast<std::size_t>(row.table)];
    bind_row(s, journal_id, row);
    return step(s);
  }

  Status write_rows(const Batch& b) {
    for (const auto& r : b.rows)
      if (auto st = insert(b.journal_id, r); !st) return st;
    for (const auto& r : b.sessions)
      if (auto st = insert(b.journal_id, r); !st) return st;
    sqlite3_bind_text(progress_, 1, b.journal_id.data(), static_cast<int>(b.journal_id.size()), SQLITE_STATIC);
    sqlite3_bind_int64(progress_, 2, static_cast<std::int64_t>(b.last_seq));
    sqlite3_bind_text(progress_, 3, b.journal_dir.data(), static_cast<int>(b.journal_dir.size()), SQLITE_STATIC);
    if (b.state) sqlite3_bind_text(progress_, 4, b.state->data(), static_cast<int>(b.state->size()), SQLITE_STATIC);
    else sqlite3_bind_null(progress_, 4);
    return step(progress_);
  }

  sqlite3* db_;
  std::string path_;
  std::array<sqlite3_stmt*, kTableCount> inserts_{};
  sqlite3_stmt* progress_ = nullptr;
};

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite(const std::string& path) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
  if (rc != SQLITE_OK) {
    std::string why = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return fail(fmt::format("{}: cannot open it as a SQLite database: {}", path, why));
  }
  auto store = std::make_unique<SqliteStore>(db, path);
  if (auto st = store->open(); !st) return tl::unexpected(st.error());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace trader::projection
