#pragma once
// The SQL each database is given, generated from tables.hpp: the schema, and the
// statement that appends (or, for sessions, replaces) a row.
#include <string>
#include <vector>

#include "projection/tables.hpp"

namespace trader::projection {

enum class Dialect { sqlite, postgresql };

// Creates every table, index and view of kSchemaVersion, the progress table
// (journal_id, last_seq, journal_dir, resume_state) and the version table. Run on an empty database only.
std::vector<std::string> create_schema(Dialect d);

// The steps that bring a database at `from` (< kSchemaVersion) to kSchemaVersion; an
// empty list when there is nothing to do. Version 1 is the first, so none exist yet.
std::vector<std::string> migrations_from(int from, Dialect d);

// "(journal_id, a, b, ...)": the column list of a table.
std::string column_list(const Table& t);
// "INSERT INTO t (journal_id, a, ...) VALUES (?1, ?2, ...)": a row of `t` as SQLite binds it.
std::string sqlite_insert(const Table& t);
// " ON CONFLICT (journal_id, key...) DO NOTHING" (or DO UPDATE for tables replaced on conflict).
std::string on_conflict(const Table& t);

}  // namespace trader::projection
