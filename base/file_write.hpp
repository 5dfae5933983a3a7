#pragma once
// Writes a file whole or not at all: a temporary file beside it, written, flushed to disk,
// then renamed over the path. A full disk or any error leaves what was there before as it
// was, and removes the temporary file. Reports (HTML) and other outputs use it.
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace trader {

Status write_file_atomically(const std::string& path, std::string_view content);

}  // namespace trader
