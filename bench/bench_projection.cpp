// The SQL read model: `project` (read the journal, make the rows, write them with their
// progress, batch by batch) against a bare bulk insert of exactly the same rows into the
// same schema, in the same run: SQLite in one transaction, PostgreSQL by COPY.
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "bench/bench_common.hpp"
#include "journal/journal.hpp"
#include "projection/copy_text.hpp"
#include "projection/projector.hpp"
#include "projection/schema.hpp"
#include "projection/sqlite_bind.hpp"
#include "replay/replay.hpp"

namespace trader::bench {
namespace fs = std::filesystem;
namespace {

using projection::Row;

// The rows `project --candles` makes of the journal.
std::vector<Row> rows_of(const std::string& dir) {
  std::vector<Row> rows;
  auto reader = journal::Reader::open(dir);
  if (!reader) return rows;
  auto cursor = (*reader)->scan();
  if (!cursor) return rows;
  projection::RowOptions with_candles{true};
  for (;;) {
    auto rec = cursor->next();
    if (!rec || *rec == nullptr) break;
    if (auto body = (*rec)->decode(); body) (void)projection::add_rows((*rec)->header, *body, with_candles, rows);
  }
  return rows;
}

// project into a fresh store: rows per second of the projector's own work (the schema is
// created before the clock starts, as the baseline's is).
double project_rows_per_s(const std::string& journal_dir, const std::string& url, std::size_t* rows_out) {
  auto store = projection::open_store(url);
  auto reader = journal::Reader::open(journal_dir);
  if (!store || !reader) return 0;
  projection::ProjectOptions o;
  o.rows.candles = true;
  auto p = projection::Projector::open(**reader, **store, journal_dir, o);
  if (!p) return 0;
  const auto t0 = std::chrono::steady_clock::now();
  auto done = p->catch_up();
  const double secs = seconds_since(t0);
  if (!done) {
    std::fprintf(stderr, "projection bench: %s\n", done.error().message.c_str());
    return 0;
  }
  *rows_out = done->rows;
  return static_cast<double>(done->rows) / secs;
}

double sqlite_bulk_rows_per_s(const std::string& path, const std::vector<Row>& rows) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) return 0;
  auto exec = [&](const std::string& sql) { return sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK; };
  bool ok = exec("PRAGMA journal_mode = WAL") && exec("PRAGMA synchronous = NORMAL");  // as the store has it
  for (const auto& sql : projection::create_schema(projection::Dialect::sqlite)) ok = ok && exec(sql);
  std::vector<sqlite3_stmt*> inserts(projection::kTableCount, nullptr);
  for (std::size_t i = 0; ok && i < inserts.size(); ++i) {
    const auto sql = projection::sqlite_insert(projection::table(static_cast<projection::TableId>(i)));
    ok = sqlite3_prepare_v2(db, sql.c_str(), -1, &inserts[i], nullptr) == SQLITE_OK;
  }
  const std::string id = "bench";
  const auto t0 = std::chrono::steady_clock::now();
  ok = ok && exec("BEGIN");
  for (const auto& row : rows) {
    if (!ok) break;
    auto* s = inserts[static_cast<std::size_t>(row.table)];
    projection::bind_row(s, id, row);
    ok = sqlite3_step(s) == SQLITE_DONE;
    sqlite3_reset(s);
  }
  ok = ok && exec("COMMIT");
  const double secs = seconds_since(t0);
  for (auto* s : inserts) sqlite3_finalize(s);
  sqlite3_close(db);
  return ok ? static_cast<double>(rows.size()) / secs : 0;
}

bool pg_exec(PGconn* c, const std::string& sql) {
  PGresult* r = PQexec(c, sql.c_str());
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
  if (!ok) std::fprintf(stderr, "projection bench: %s", PQresultErrorMessage(r));
  PQclear(r);
  return ok;
}

// The database given is the benchmark's: the read model's tables are dropped before each run.
bool pg_drop_read_model(PGconn* c) {
  bool ok = pg_exec(c, "SET client_min_messages = warning") && pg_exec(c, "DROP VIEW IF EXISTS orders");
  for (std::size_t i = 0; i < projection::kTableCount; ++i)
    ok = ok && pg_exec(c, fmt::format("DROP TABLE IF EXISTS {}", projection::table(static_cast<projection::TableId>(i)).name));
  return ok && pg_exec(c, "DROP TABLE IF EXISTS projection_progress") && pg_exec(c, "DROP TABLE IF EXISTS trader_schema");
}

double pg_copy_rows_per_s(PGconn* c, const std::vector<Row>& rows) {
  bool ok = pg_drop_read_model(c);
  for (const auto& sql : projection::create_schema(projection::Dialect::postgresql)) ok = ok && pg_exec(c, sql);
  std::vector<std::string> data(projection::kTableCount);
  const auto t0 = std::chrono::steady_clock::now();
  for (const auto& row : rows) projection::append_copy_row(data[static_cast<std::size_t>(row.table)], "bench", row);
  ok = ok && pg_exec(c, "BEGIN");
  for (std::size_t i = 0; ok && i < data.size(); ++i) {
    if (data[i].empty()) continue;
    const auto& t = projection::table(static_cast<projection::TableId>(i));
    PGresult* r = PQexec(c, fmt::format("COPY {} {} FROM STDIN", t.name, projection::column_list(t)).c_str());
    ok = PQresultStatus(r) == PGRES_COPY_IN;
    PQclear(r);
    ok = ok && PQputCopyData(c, data[i].data(), static_cast<int>(data[i].size())) == 1 && PQputCopyEnd(c, nullptr) == 1;
    while (PGresult* e = PQgetResult(c)) {
      ok = ok && PQresultStatus(e) == PGRES_COMMAND_OK;
      PQclear(e);
    }
  }
  ok = ok && pg_exec(c, "COMMIT");
  const double secs = seconds_since(t0);
  return ok ? static_cast<double>(rows.size()) / secs : 0;
}

}  // namespace

void bench_projection(const Options& o, Results& r) {
  // A journal of decisions to project: what-if of the rule strategy over the kline file
  // repeated three times (nine weeks).
  auto klines = repeated_klines(o, o.smoke ? 1 : 3, o.smoke ? 3000 : 1'000'000);
  auto config = bench_config({});
  if (!klines || !config) return;
  const std::string journal_dir = fresh_dir(o, "projection-journal");
  fs::remove_all(journal_dir);
  if (auto w = replay::what_if(*klines, {}, *config, journal_dir); !w) {
    std::fprintf(stderr, "projection bench: %s\n", w.error().message.c_str());
    return;
  }
  const auto rows = rows_of(journal_dir);
  r["projection_rows"] = static_cast<double>(rows.size());

  double lite = 0, lite_base = 0;
  std::size_t projected = 0;
  for (int round = 0; round < 2; ++round) {  // alternating; the better run of each
    const std::string a = fresh_dir(o, fmt::format("projection-sqlite-{}", round));
    const std::string b = fresh_dir(o, fmt::format("bulk-sqlite-{}", round));
    lite = std::max(lite, project_rows_per_s(journal_dir, "sqlite:" + a + "/history.db", &projected));
    lite_base = std::max(lite_base, sqlite_bulk_rows_per_s(b + "/bulk.db", rows));
  }
  r["projection_rows_per_s_sqlite"] = lite;
  r["sqlite_bulk_insert_rows_per_s"] = lite_base;
  r["projection_ratio_sqlite"] = lite_base > 0 ? lite / lite_base : 0;
  if (o.pg_url.empty()) return;

  PGconn* c = PQconnectdb(o.pg_url.c_str());
  double pg = 0, pg_base = 0;
  for (int round = 0; PQstatus(c) == CONNECTION_OK && round < 2; ++round) {
    if (!pg_drop_read_model(c)) break;
    pg = std::max(pg, project_rows_per_s(journal_dir, o.pg_url, &projected));
    pg_base = std::max(pg_base, pg_copy_rows_per_s(c, rows));
  }
  if (PQstatus(c) != CONNECTION_OK) std::fprintf(stderr, "projection bench: %s", PQerrorMessage(c));
  else pg_drop_read_model(c);
  PQfinish(c);
  r["projection_rows_per_s_postgresql"] = pg;
  r["postgresql_copy_rows_per_s"] = pg_base;
  r["projection_ratio_postgresql"] = pg_base > 0 ? pg / pg_base : 0;
}

}  // namespace trader::bench
