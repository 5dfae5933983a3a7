#pragma once
// Binding a row to a prepared SQLite INSERT: how the SQLite store writes rows (and how the
// benchmark's bare bulk-insert baseline writes the same rows).
#include <string>

#include <sqlite3.h>

#include "projection/rows.hpp"

namespace trader::projection {

// Binds ?1 to `journal_id` and ?2.. to the row's values: integers as integers, money as
// exact decimal text, booleans as 0/1. `journal_id` and the row must outlive the step.
void bind_row(sqlite3_stmt* statement, const std::string& journal_id, const Row& row);

}  // namespace trader::projection
