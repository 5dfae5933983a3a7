// libFuzzer target: the TOML config loader. Any text must give a config or an error that
// names where it is wrong, never a crash.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "config/node_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto config = trader::parse_node_config(text, "fuzz.toml", {}, trader::ConfigUse::replay);
  if (!config && config.error().message.empty()) std::abort();
  return 0;
}
