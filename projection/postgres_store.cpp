// The read model in PostgreSQL, through libpq: each batch is COPY'd in, in one transaction
// with the progress.
#include <array>
#include <memory>
#include <vector>

#include <fmt/format.h>
#include <libpq-fe.h>

#include "projection/copy_text.hpp"
#include "projection/schema_setup.hpp"
#include "projection/store.hpp"

namespace trader::projection {
namespace {

std::string first_line(const char* text) {
  std::string s = text ? text : "";
  if (auto nl = s.find('\n'); nl != std::string::npos) s.resize(nl);
  return s;
}

class PostgresStore final : public Store, public SqlAccess {
 public:
  explicit PostgresStore(PGconn* conn)
      : conn_(conn), where_(fmt::format("postgresql database {} on {}", PQdb(conn), PQhost(conn))) {}
  ~PostgresStore() override { PQfinish(conn_); }

  Status open() {
    if (auto st = exec("SET client_min_messages = warning"); !st) return st;
    // Two projectors creating the schema at once would collide: one waits for the other.
    auto setup = [&]() -> Status {
      if (auto st = exec("SELECT pg_advisory_xact_lock(7403272615)"); !st) return st;
      return ensure_schema(*this, where_);
    };
    if (auto st = in_transaction(*this, "BEGIN", setup); !st) return st;
    for (std::size_t i = 0; i < kTableCount; ++i) {
      const Table& t = table(static_cast<TableId>(i));
      if (auto s = exec(fmt::format("CREATE TEMP TABLE stage_{0} (LIKE {0}) ON COMMIT DELETE ROWS", t.name)); !s)
        return s;
    }
    return {};
  }

  Dialect dialect() const override { return Dialect::postgresql; }

  Status exec(const std::string& sql) override {
    auto r = run(sql.c_str(), {}, {PGRES_COMMAND_OK, PGRES_TUPLES_OK});
    if (!r) return tl::unexpected(r.error());
    return {};
  }

  Result<std::int64_t> scalar(const std::string& sql) override { return query_int(sql.c_str(), {}); }

  Result<Progress> progress(const std::string& journal_id) override {
    auto r = run("SELECT last_seq, resume_state FROM projection_progress WHERE journal_id = $1", {journal_id.c_str()},
                 {PGRES_TUPLES_OK});
    if (!r) return tl::unexpected(r.error());
    Progress p;
    if (PQntuples(r->get()) == 1) {
      p.last_seq = std::stoull(PQgetvalue(r->get(), 0, 0));
      if (!PQgetisnull(r->get(), 0, 1)) p.state = PQgetvalue(r->get(), 0, 1);
    }
    return p;
  }

  Status write(const Batch& b) override {
    return in_transaction(*this, "BEGIN", [&] { return write_rows(b); });
  }

  std::string describe() const override { return where_; }

 private:
  using PgResult = std::unique_ptr<PGresult, decltype(&PQclear)>;

  // Runs `sql` (with `params`, if any); its result when its status is one of `want`, else
  // an error naming the database and libpq's first line of why.
  Result<PgResult> run(const char* sql, std::initializer_list<const char*> params,
                       std::initializer_list<ExecStatusType> want) {
    std::vector<const char*> p(params);
    PgResult r(p.empty() ? PQexec(conn_, sql)
                         : PQexecParams(conn_, sql, static_cast<int>(p.size()), nullptr, p.data(), nullptr, nullptr, 0),
               &PQclear);
    for (auto w : want)
      if (PQresultStatus(r.get()) == w) return r;
    std::string why = first_line(PQresultErrorMessage(r.get()));
    if (why.empty()) why = first_line(PQerrorMessage(conn_));
    return fail(fmt::format("{}: {}", where_, why));
  }

  Result<std::int64_t> query_int(const char* sql, std::initializer_list<const char*> params) {
    auto r = run(sql, params, {PGRES_TUPLES_OK});
    if (!r) return tl::unexpected(r.error());
    if (PQntuples(r->get()) != 1) return fail(fmt::format("{}: the query returned no row", where_));
    return PQgetisnull(r->get(), 0, 0) ? 0 : std::stoll(PQgetvalue(r->get(), 0, 0));
  }

  Status copy_into(const std::string& table_name, const std::string& columns, const std::string& data) {
    if (auto r = run(fmt::format("COPY {} {} FROM STDIN", table_name, columns).c_str(), {}, {PGRES_COPY_IN}); !r)
      return tl::unexpected(r.error());
    if (PQputCopyData(conn_, data.data(), static_cast<int>(data.size())) != 1 ||
        PQputCopyEnd(conn_, nullptr) != 1)
      return fail(fmt::format("{}: {}", where_, first_line(PQerrorMessage(conn_))));
    std::string why;
    while (PGresult* r = PQgetResult(conn_)) {
      if (PQresultStatus(r) != PGRES_COMMAND_OK && why.empty()) why = first_line(PQresultErrorMessage(r));
      PQclear(r);
    }
    if (!why.empty()) return fail(fmt::format("{}: {}", where_, why));
    return {};
  }

  // Rows of records past the stored progress cannot be there yet, and go straight in by
  // COPY; a batch that may overlap what is stored (--from an earlier seq) goes through a
  // staging table and keeps the rows already there. The progress row is locked first, so
  // two projectors of one journal take turns instead of racing.
  Status write_rows(const Batch& b) {
    if (auto st = exec_params("INSERT INTO projection_progress (journal_id, last_seq, journal_dir) VALUES ($1, 0, $2) "
                              "ON CONFLICT (journal_id) DO NOTHING",
                              {b.journal_id.c_str(), b.journal_dir.c_str()});
        !st)
      return st;
    auto stored = query_int("SELECT last_seq FROM projection_progress WHERE journal_id = $1 FOR UPDATE",
                            {b.journal_id.c_str()});
    if (!stored) return tl::unexpected(stored.error());
    const bool fresh = static_cast<std::uint64_t>(*stored) < b.first_seq;
    std::array<std::string, kTableCount> data;
    for (const auto* rows : {&b.rows, &b.sessions})
      for (const auto& r : *rows) append_copy_row(data[static_cast<std::size_t>(r.table)], b.journal_id, r);
    for (std::size_t i = 0; i < kTableCount; ++i) {
      if (data[i].empty()) continue;
      const Table& t = table(static_cast<TableId>(i));
      const std::string cols = column_list(t);
      if (fresh && !t.replace_on_conflict) {
        if (auto st = copy_into(std::string(t.name), cols, data[i]); !st) return st;
        continue;
      }
      if (auto st = copy_into("stage_" + std::string(t.name), cols, data[i]); !st) return st;
      if (auto st = exec(fmt::format("INSERT INTO {0} {1} SELECT {2} FROM stage_{0}{3}", t.name, cols,
                                     cols.substr(1, cols.size() - 2), on_conflict(t)));
          !st)
        return st;
    }
    const std::string seq = std::to_string(b.last_seq);
    return exec_params("UPDATE projection_progress SET last_seq = $2, journal_dir = $3, "
                       "resume_state = COALESCE($4, resume_state) WHERE journal_id = $1 AND last_seq <= $2",
                       {b.journal_id.c_str(), seq.c_str(), b.journal_dir.c_str(), b.state ? b.state->c_str() : nullptr});
  }

  Status exec_params(const char* sql, std::initializer_list<const char*> params) {
    auto r = run(sql, params, {PGRES_COMMAND_OK});
    if (!r) return tl::unexpected(r.error());
    return {};
  }

  PGconn* conn_;
  std::string where_;
};

}  // namespace

Result<std::unique_ptr<Store>> open_postgresql(const std::string& conninfo) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    // libpq's message names the host and the reason, never the password.
    std::string why = first_line(PQerrorMessage(conn));
    PQfinish(conn);
    return fail("cannot connect to PostgreSQL: " + why);
  }
  auto store = std::make_unique<PostgresStore>(conn);
  if (auto st = store->open(); !st) return tl::unexpected(st.error());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace trader::projection
