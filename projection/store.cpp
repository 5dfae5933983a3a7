#include "projection/store.hpp"

namespace trader::projection {

Result<std::unique_ptr<Store>> open_store(const std::string& url) {
  if (url.rfind("sqlite:", 0) == 0) {
    const std::string path = url.substr(7);
    if (path.empty()) return fail("--db sqlite: needs a file, e.g. sqlite:runs/paper/history.db");
    return open_sqlite(path);
  }
  if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0) return open_postgresql(url);
  return fail("a database is sqlite:FILE or postgresql://[user@]host/dbname (a libpq URI); got something else");
}

}  // namespace trader::projection
