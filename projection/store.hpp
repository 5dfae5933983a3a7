#pragma once
// Where the read model is kept: SQLite (a file, the default) or PostgreSQL. A store
// writes a batch of rows together with the journal's progress in one transaction, so a
// crash at any point leaves either all of a batch or none of it.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "projection/rows.hpp"

namespace trader::projection {

struct Batch {
  std::string journal_id, journal_dir;
  std::vector<Row> rows;      // the records' rows, in seq order
  std::vector<Row> sessions;  // every session of the journal as it stands now
  std::uint64_t first_seq = 0;  // the first record read into this batch (its rows' seqs are >= it)
  std::uint64_t last_seq = 0;   // the progress this batch brings the journal to
  // The projector's state after `last_seq` (projection/alert_state.hpp), stored with the
  // progress; none keeps the state stored.
  std::optional<std::string> state;
};

struct Progress {
  std::uint64_t last_seq = 0;  // the last seq projected from the journal (0: none yet)
  std::string state;           // the state stored with it (empty: none)
};

class Store {
 public:
  virtual ~Store() = default;
  // How far this journal is projected, and the state stored with that.
  virtual Result<Progress> progress(const std::string& journal_id) = 0;
  // Rows, progress and state in one transaction. Rows already there are kept as they are,
  // so writing a record twice changes nothing; progress never moves backwards, and the
  // state is stored only with a progress at least the stored one.
  virtual Status write(const Batch& batch) = 0;
  // The database, for messages: never its password.
  virtual std::string describe() const = 0;
};

// "sqlite:PATH" (the file is created), or "postgresql://..." / "postgres://..." (a libpq
// connection URI). The schema is created in an empty database, migrated from an older
// version, and a newer one is refused. Errors never repeat the URL (it may hold a password).
Result<std::unique_ptr<Store>> open_store(const std::string& url);

Result<std::unique_ptr<Store>> open_sqlite(const std::string& path);
Result<std::unique_ptr<Store>> open_postgresql(const std::string& conninfo);

}  // namespace trader::projection
