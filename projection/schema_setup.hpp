#pragma once
// Bringing a database to kSchemaVersion, for either store: create the schema in an empty
// database, run the migrations of an older one, refuse a newer one or one that holds
// tables that are not ours. The caller runs it inside a transaction.
#include <cstdint>
#include <string>

#include "base/result.hpp"
#include "projection/schema.hpp"

namespace trader::projection {

class SqlAccess {
 public:
  virtual ~SqlAccess() = default;
  virtual Dialect dialect() const = 0;
  virtual Status exec(const std::string& sql) = 0;
  // The first column of the first row, as an integer (the query must return one row).
  virtual Result<std::int64_t> scalar(const std::string& sql) = 0;
};

// `where` names the database in messages.
Status ensure_schema(SqlAccess& db, const std::string& where);

// Runs `body` between `begin` and COMMIT; rolls back when it fails.
template <class Body>
Status in_transaction(SqlAccess& db, const std::string& begin, Body&& body) {
  if (auto st = db.exec(begin); !st) return st;
  if (Status st = body(); !st) {
    (void)db.exec("ROLLBACK");
    return st;
  }
  return db.exec("COMMIT");
}

}  // namespace trader::projection
