// append_fixed and append_decimal write what snprintf writes: the strategies' reasons
// are journaled, so a recorded session replays equal only if every number reads the same.
#include <doctest/doctest.h>

#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>

#include "base/decimal_text.hpp"

using trader::append_decimal;
using trader::append_fixed;

namespace {
std::string printf_fixed(double x, int decimals) {
  std::string out(512, '\0');
  out.resize(static_cast<std::size_t>(std::snprintf(out.data(), out.size(), "%.*f", decimals, x)));
  return out;
}
std::string fixed(double x, int decimals) {
  std::string out = "<";  // appended to what is there
  append_fixed(out, x, decimals);
  return out.substr(1);
}
}  // namespace

TEST_CASE("append_fixed: printf's rounding, signs and special values") {
  CHECK(fixed(0.125, 2) == "0.12");  // an exact tie goes to the even digit, as printf's does
  CHECK(fixed(0.375, 2) == "0.38");
  CHECK(fixed(2.675, 2) == "2.67");  // not a tie: 2.675 is stored a little below it
  CHECK(fixed(-0.004, 2) == "-0.00");
  CHECK(fixed(-0.0, 2) == "-0.00");
  CHECK(fixed(1.5, 0) == "2");
  CHECK(fixed(2.5, 0) == "2");
  CHECK(fixed(0.61234, 4) == "0.6123");
  CHECK(fixed(1e22, 2) == "10000000000000000000000.00");
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  for (const double x : {nan, -nan, inf, -inf, DBL_MAX, -DBL_MAX, DBL_MIN, 5e-324}) {
    CAPTURE(x);
    CHECK(fixed(x, 2) == printf_fixed(x, 2));
  }
  CHECK(fixed(DBL_MAX, 6).size() == 309 + 1 + 6);
}

TEST_CASE("append_fixed equals printf's %.*f over many doubles") {
  std::mt19937_64 g(20261207);  // fixed: the same doubles every run
  std::size_t compared = 0;
  for (int i = 0; i < 200'000; ++i) {
    double x = 0;
    if (i % 2 == 0) {  // any finite bit pattern
      const std::uint64_t bits = g();
      std::memcpy(&x, &bits, sizeof x);
      if (!std::isfinite(x)) continue;
    } else {  // few fractional bits: exact ties at two to four decimals are common
      x = static_cast<double>(static_cast<std::int64_t>(g() % 2'000'000) - 1'000'000) / 1024.0 /
          static_cast<double>(1 << (g() % 12));
    }
    for (const int decimals : {0, 2, 4, 6}) {
      const std::string ours = fixed(x, decimals), theirs = printf_fixed(x, decimals);
      if (ours != theirs) {
        CAPTURE(x);
        CAPTURE(decimals);
        CHECK(ours == theirs);
      }
      ++compared;
    }
  }
  CHECK(compared > 500'000);
}

TEST_CASE("append_decimal writes an unsigned number as %llu does") {
  std::string out;
  for (const std::uint64_t n : {0ULL, 7ULL, 48ULL, 4294967295ULL, 18446744073709551615ULL}) {
    out.clear();
    append_decimal(out, n);
    CHECK(out == std::to_string(n));
  }
}
