#include "projection/sqlite_bind.hpp"

#include "messages/fixed_point.hpp"

namespace trader::projection {

void bind_row(sqlite3_stmt* s, const std::string& journal_id, const Row& row) {
  sqlite3_bind_text(s, 1, journal_id.data(), static_cast<int>(journal_id.size()), SQLITE_STATIC);
  int i = 2;
  for (const auto& v : row.values) {
    if (const auto* n = std::get_if<std::int64_t>(&v)) {
      sqlite3_bind_int64(s, i, *n);
    } else if (const auto* m = std::get_if<Money>(&v)) {
      const std::string text = format_fixed(m->fixed);
      sqlite3_bind_text(s, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    } else if (const auto* t = std::get_if<std::string>(&v)) {
      sqlite3_bind_text(s, i, t->data(), static_cast<int>(t->size()), SQLITE_STATIC);
    } else if (const auto* f = std::get_if<bool>(&v)) {
      sqlite3_bind_int(s, i, *f ? 1 : 0);
    } else {
      sqlite3_bind_null(s, i);
    }
    ++i;
  }
}

}  // namespace trader::projection
