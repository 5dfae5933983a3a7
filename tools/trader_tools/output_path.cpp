#include "tools/trader_tools/output_path.hpp"

#include "base/file_write.hpp"
#include "journal/directory.hpp"

namespace trader::tools {

Status check_output_path(const std::string& path) {
  if (auto can = check_can_write(path); !can) return can;
  return journal::refuse_own_file(path);
}

}  // namespace trader::tools
