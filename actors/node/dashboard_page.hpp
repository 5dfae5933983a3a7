#pragma once
// The dashboard's page (actors/node/dashboard/index.html), compiled into the binary by
// cmake/embed_file.cmake: one self-contained HTML file with its styles and script inline.
#include <string_view>

namespace trader::node {

std::string_view dashboard_page();

}  // namespace trader::node
