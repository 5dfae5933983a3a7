#pragma once
// Imports raw captures of one venue into a journal: files are merged by receive time
// (ties keep file order), each frame becomes one market-data record from market_feed.
// Malformed lines are reported, counted and journaled as `error` records, so the
// journal itself says what was not imported; unknown streams are counted.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "journal/journal.hpp"
#include "messages/instrument.hpp"

namespace trader {

struct ImportOptions {
  std::vector<std::string> files;
  bool strict = false;              // stop at the first malformed line
  std::string snapshot_symbol;      // symbol for REST depth snapshots seen before any frame
  VenueId venue = VenueId::binance; // whose frames the files hold
  std::function<void(const std::string&)> on_malformed;  // "file:line: reason"
  std::function<void(std::uint64_t lines)> on_progress;  // every few thousand lines read
};

struct ImportReport {
  std::uint64_t lines = 0;          // capture lines read
  std::uint64_t records = 0;        // market-data records written
  std::uint64_t first_seq = 0, last_seq = 0;
  std::map<std::string, std::uint64_t> by_type;
  std::map<std::string, std::uint64_t> unknown_streams;
  std::uint64_t malformed = 0;
  bool stopped_early = false;       // --strict hit a malformed line
};

// Appends and commits; the records before an error stay committed.
Result<ImportReport> import_captures(journal::Writer& writer, const ImportOptions& options);

}  // namespace trader
