#pragma once
// Which capture files a journal holds: import records each file's SHA-256 in the journal's
// meta (under the hash chain), and refuses a file whose bytes it already holds. Importing a
// capture twice (a script run again) would hold its records twice, and replay, what-if and
// training would then see every trade twice, the second time going back in time.
#include <map>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "journal/journal.hpp"

namespace trader {

struct CaptureFileId {
  std::string path;
  std::string sha256;  // of the file's bytes, as stored (gzip or plain), hex
  std::uint64_t bytes = 0;
};

// Hashes each file (an empty one holds no record: it is left out). The same bytes given
// twice are an error naming both paths.
Result<std::vector<CaptureFileId>> identify_capture_files(const std::vector<std::string>& files);

// The meta key that says a journal holds a file's records.
std::string imported_file_key(const CaptureFileId& file);

// An error naming the first file the journal holds already, and the session that imported it.
Status refuse_imported_again(const std::map<std::string, std::string>& meta,
                             const std::vector<journal::SessionInfo>& sessions,
                             const std::vector<CaptureFileId>& files);

// Records the files as imported by `session` (in meta; the next commit attests them).
Status record_imported(journal::Writer& writer, std::uint64_t session, const std::vector<CaptureFileId>& files);

}  // namespace trader
