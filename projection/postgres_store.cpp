// The read model in PostgreSQL, through libpq: each batch is COPY'd into temporary
// staging tables and moved into the tables with one INSERT ... SELECT per table, in the
// batch's transaction.
#include <array>

#include <fmt/format.h>
#include <libpq-fe.h>

#include "messages/fixed_point.hpp"
#include "projection/schema_setup.hpp"
#include "projection/store.hpp"

namespace trader::projection {
namespace {

// COPY's text format: tab-separated, \N for null, backslash escapes. Text that is not
// valid UTF-8 (a venue's message, say) would fail the whole batch: its bad bytes become U+FFFD.
void append_copy_text(std::string& out, std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool ok = len > 0 && i + len <= s.size();
    for (std::size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    if (!ok) {
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    if (len == 1) {
      switch (c) {
        case '\\': out += "\\\\"; break;
        case '\t': out += "\\t"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case 0: out += "\xEF\xBF\xBD"; break;  // PostgreSQL text holds no NUL
        default: out.push_back(static_cast<char>(c));
      }
    } else {
      out.append(s.substr(i, len));
    }
    i += len;
  }
}

void append_copy_row(std::string& out, const std::string& journal_id, const Row& row) {
  append_copy_text(out, journal_id);
  for (const auto& v : row.values) {
    out.push_back('\t');
    if (const auto* n = std::get_if<std::int64_t>(&v)) out += std::to_string(*n);
    else if (const auto* m = std::get_if<Money>(&v)) out += format_fixed(m->fixed);
    else if (const auto* t = std::get_if<std::string>(&v)) append_copy_text(out, *t);
    else if (const auto* f = std::get_if<bool>(&v)) out.push_back(*f ? 't' : 'f');
    else out += "\\N";
  }
  out.push_back('\n');
}

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
    if (auto st = exec("BEGIN"); !st) return st;
    // Two projectors creating the schema at once would collide: one waits for the other.
    auto st = exec("SELECT pg_advisory_xact_lock(7403272615)");
    if (st) st = ensure_schema(*this, where_);
    if (!st) {
      (void)exec("ROLLBACK");
      return st;
    }
    if (auto c = exec("COMMIT"); !c) return c;
    for (std::size_t i = 0; i < kTableCount; ++i) {
      const Table& t = table(static_cast<TableId>(i));
      if (auto s = exec(fmt::format("CREATE TEMP TABLE stage_{0} (LIKE {0}) ON COMMIT DELETE ROWS", t.name)); !s)
        return s;
    }
    return {};
  }

  Dialect dialect() const override { return Dialect::postgresql; }

  Status exec(const std::string& sql) override {
    PGresult* r = PQexec(conn_, sql.c_str());
    const auto status = PQresultStatus(r);
    const bool ok = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
    std::string why = ok ? "" : first_line(PQresultErrorMessage(r));
    PQclear(r);
    if (ok) return {};
    return fail(fmt::format("{}: {}", where_, why.empty() ? first_line(PQerrorMessage(conn_)) : why));
  }

  Result<std::int64_t> scalar(const std::string& sql) override { return query_int(sql.c_str(), {}); }

  Result<std::uint64_t> last_seq(const std::string& journal_id) override {
    auto v = query_int("SELECT COALESCE((SELECT last_seq FROM projection_progress WHERE journal_id = $1), 0)",
                       {journal_id.c_str()});
    if (!v) return tl::unexpected(v.error());
    return static_cast<std::uint64_t>(*v);
  }

  Status write(const Batch& b) override {
    if (auto st = exec("BEGIN"); !st) return st;
    auto st = write_rows(b);
    if (!st) {
      (void)exec("ROLLBACK");
      return st;
    }
    return exec("COMMIT");
  }

  std::string describe() const override { return where_; }

 private:
  Result<std::int64_t> query_int(const char* sql, std::initializer_list<const char*> params) {
    std::vector<const char*> p(params);
    PGresult* r = PQexecParams(conn_, sql, static_cast<int>(p.size()), nullptr, p.data(), nullptr, nullptr, 0);
    const bool ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    const std::string why = ok ? "" : first_line(PQresultErrorMessage(r));
    const std::int64_t v = ok && !PQgetisnull(r, 0, 0) ? std::stoll(PQgetvalue(r, 0, 0)) : 0;
    PQclear(r);
    if (!ok) return fail(fmt::format("{}: {}", where_, why.empty() ? "the query returned no row" : why));
    return v;
  }

  Status copy_into_stage(const Table& t, const std::string& data) {
    if (auto st = exec_copy_start(fmt::format("COPY stage_{} {} FROM STDIN", t.name, column_list(t))); !st) return st;
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

  Status exec_copy_start(const std::string& sql) {
    PGresult* r = PQexec(conn_, sql.c_str());
    const bool ok = PQresultStatus(r) == PGRES_COPY_IN;
    const std::string why = ok ? "" : first_line(PQresultErrorMessage(r));
    PQclear(r);
    if (ok) return {};
    return fail(fmt::format("{}: {}", where_, why));
  }

  Status write_rows(const Batch& b) {
    std::array<std::string, kTableCount> data;
    for (const auto* rows : {&b.rows, &b.sessions})
      for (const auto& r : *rows) append_copy_row(data[static_cast<std::size_t>(r.table)], b.journal_id, r);
    for (std::size_t i = 0; i < kTableCount; ++i) {
      if (data[i].empty()) continue;
      const Table& t = table(static_cast<TableId>(i));
      if (auto st = copy_into_stage(t, data[i]); !st) return st;
      const std::string cols = column_list(t);
      if (auto st = exec(fmt::format("INSERT INTO {0} {1} SELECT {2} FROM stage_{0}{3}", t.name, cols,
                                     cols.substr(1, cols.size() - 2), on_conflict(t)));
          !st)
        return st;
    }
    const std::string seq = std::to_string(b.last_seq);
    PGresult* r = PQexecParams(
        conn_,
        "INSERT INTO projection_progress (journal_id, last_seq, journal_dir) VALUES ($1, $2, $3) "
        "ON CONFLICT (journal_id) DO UPDATE SET last_seq = excluded.last_seq, journal_dir = excluded.journal_dir "
        "WHERE excluded.last_seq > projection_progress.last_seq",
        3, nullptr, std::array<const char*, 3>{b.journal_id.c_str(), seq.c_str(), b.journal_dir.c_str()}.data(),
        nullptr, nullptr, 0);
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    const std::string why = ok ? "" : first_line(PQresultErrorMessage(r));
    PQclear(r);
    if (!ok) return fail(fmt::format("{}: {}", where_, why));
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
