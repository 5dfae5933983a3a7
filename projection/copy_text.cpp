#include "projection/copy_text.hpp"

#include "messages/fixed_point.hpp"

namespace trader::projection {
namespace {

// COPY's text format: tab-separated, \N for null, backslash escapes. Text that is not
// valid UTF-8 (a venue's message, say) would fail the whole batch: its bad bytes become U+FFFD.
void append_copy_text(std::string& out, std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool ok = len > 0 && i + len <= s.size();
    for (std::size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    if (!ok) {
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    if (len == 1) {
      switch (c) {
        case '\\': out += "\\\\"; break;
        case '\t': out += "\\t"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case 0: out += "\xEF\xBF\xBD"; break;  // PostgreSQL text holds no NUL
        default: out.push_back(static_cast<char>(c));
      }
    } else {
      out.append(s.substr(i, len));
    }
    i += len;
  }
}

}  // namespace

void append_copy_row(std::string& out, const std::string& journal_id, const Row& row) {
  append_copy_text(out, journal_id);
  for (const auto& v : row.values) {
    out.push_back('\t');
    if (const auto* n = std::get_if<std::int64_t>(&v)) out += std::to_string(*n);
    else if (const auto* m = std::get_if<Money>(&v)) out += format_fixed(m->fixed);
    else if (const auto* t = std::get_if<std::string>(&v)) append_copy_text(out, *t);
    else if (const auto* f = std::get_if<bool>(&v)) out.push_back(*f ? 't' : 'f');
    else out += "\\N";
  }
  out.push_back('\n');
}

}  // namespace trader::projection
