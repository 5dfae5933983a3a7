#pragma once
// A row in PostgreSQL COPY's text format: how the PostgreSQL store sends rows (and how the
// benchmark's bare COPY baseline sends the same rows).
#include <string>

#include "projection/rows.hpp"

namespace trader::projection {

// Appends `journal_id`, then the row's values, tab-separated, and a newline. Null is \N;
// text is escaped, and bytes that are not UTF-8 become U+FFFD (one bad byte in a venue's
// message would otherwise fail the whole batch).
void append_copy_row(std::string& out, const std::string& journal_id, const Row& row);

}  // namespace trader::projection
