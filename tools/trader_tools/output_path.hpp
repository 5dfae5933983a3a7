#pragma once
// An output a command writes at its end (a CSV, an HTML report, a model), checked before
// the work: refused if it cannot be written (a directory, a missing directory) or if it
// is a journal's own file, which writing would destroy.
#include <string>

#include "base/result.hpp"

namespace trader::tools {

Status check_output_path(const std::string& path);

}  // namespace trader::tools
