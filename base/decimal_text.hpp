#pragma once
// Numbers as decimal text, for the reasons cores write on every candle. std::to_chars
// writes exactly what printf's "%.Nf" and "%u" write (the standard defines it so, in the C
// locale; tests/unit/decimal_text_test.cpp holds it to snprintf), without printf's format
// parsing and locale: about a third of the time, and about half the code to fetch when a
// candle comes after idle time (bench/README.md, "Where tick to order's time goes").
#include <charconv>
#include <cstdint>
#include <string>

namespace trader {

// `x` with `decimals` digits after the point, rounded as printf rounds ("%.*f"); at most
// 60 decimals (the buffer holds DBL_MAX's 309 digits, a sign, a point and those).
inline void append_fixed(std::string& out, double x, int decimals) {
  char buf[400];
  const auto r = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::fixed, decimals);
  out.append(buf, r.ec == std::errc{} ? r.ptr : buf);
}

inline void append_decimal(std::string& out, std::uint64_t n) {
  char buf[20];
  out.append(buf, std::to_chars(buf, buf + sizeof buf, n).ptr);
}

}  // namespace trader
