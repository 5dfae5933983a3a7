#pragma once
// floor(sqrt(n)) of a 128-bit integer, exactly: a floating estimate, then corrected to the
// integer root. What the exact statistics (correlation, regimes) take roots with.
#include <cmath>

namespace trader {

inline unsigned __int128 isqrt(unsigned __int128 n) {
  auto x = static_cast<unsigned __int128>(std::sqrt(static_cast<long double>(n)));
  while (x > 0 && x * x > n) --x;
  while ((x + 1) * (x + 1) <= n) ++x;
  return x;
}

}  // namespace trader
