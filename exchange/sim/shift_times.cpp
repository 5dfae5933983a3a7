#include "exchange/sim/shift_times.hpp"

#include <cstdlib>

#include <fmt/format.h>

namespace trader::sim {

std::string shift_times(std::string_view text, std::int64_t received_ms, std::int64_t offset_ms) {
  std::string out;
  out.reserve(text.size() + 8);
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ':' && i + 14 <= text.size()) {
      std::size_t j = i + 1;
      while (j < text.size() && j - i - 1 < 14 && text[j] >= '0' && text[j] <= '9') ++j;
      const bool delimited = j < text.size() && (text[j] == ',' || text[j] == '}');
      if (j - i - 1 == 13 && delimited) {
        const std::int64_t v = std::stoll(std::string(text.substr(i + 1, 13)));
        if (std::llabs(v - received_ms) <= 86'400'000) {
          out += fmt::format(":{}", v + offset_ms);
          i = j;
          continue;
        }
      }
    }
    out.push_back(text[i++]);
  }
  return out;
}

}  // namespace trader::sim
