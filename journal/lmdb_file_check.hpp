#pragma once
// Internal: checks an LMDB data file before LMDB maps it. LMDB trusts its file: a
// truncated data.mdb makes it fault (SIGBUS) on the first access past the end. Reading
// the two meta pages ourselves turns that into a clear error.
#include <string>

#include "base/result.hpp"

namespace trader::journal {

Status check_lmdb_file(const std::string& data_file);

}  // namespace trader::journal
