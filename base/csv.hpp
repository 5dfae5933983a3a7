#pragma once
// A CSV field (RFC 4180): as it is, or quoted with its quotes doubled when it holds a
// comma, a quote or a line break.
#include <string>
#include <string_view>

namespace trader {

inline std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace trader
