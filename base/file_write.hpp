#pragma once
// Writes a file whole or not at all: a temporary file beside it, written, flushed to disk,
// then renamed over the path. A full disk or any error leaves what was there before as it
// was, and removes the temporary file. Reports (HTML) and other outputs use it.
// A symbolic link is followed (the file it names is replaced, the link kept). A path that
// is not a regular file (/dev/stdout, /dev/null, a pipe) is written in place, its errors
// reported: renaming over it would replace a device or a link with a file.
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace trader {

Status write_file_atomically(const std::string& path, std::string_view content);

// What write_file_atomically would refuse that is known before any work: `path` is a
// directory, or the directory it names does not exist. A command checks its output paths
// with it first, so a wrong argument costs no run.
Status check_can_write(const std::string& path);

}  // namespace trader
