#pragma once
// Correlation limits, a pure function of the book and of each symbol's candle returns:
// an entry in a symbol whose returns move with those of symbols already held belongs to
// their correlated group, and a group may hold at most `max_correlated` positions (the
// new one included). Refused otherwise, with the correlated symbols and their rho.
//
// rho is Pearson's correlation of the two symbols' returns (close to close, in integer
// ppm, clamped to +-100% per candle) over the last `window` candles both have, matched by
// close time. Sums are 128-bit integers and the square root is an integer one, so rho
// is exact and the same on every build. Until two symbols share `window` returns, their
// rho is not known, and they do not count as correlated.
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "actors/state_codec.hpp"
#include "messages/message_types.hpp"

namespace trader {

struct CorrelationLimits {
  std::uint32_t window = 0;               // candles of returns; 0: off
  std::uint32_t max_ppm = 700'000;        // |rho| above this: correlated
  std::uint32_t max_correlated = 1;       // positions in one correlated group, the new one included
};

// A candle's return, close to close, in ppm, clamped to +-100%: how the exact statistics
// (rho here, regimes) count a return. Both closes positive.
std::int64_t candle_return_ppm(std::int64_t prev_close, std::int64_t close);

// Each symbol's last returns, keyed by candle close time.
class ReturnHistory {
 public:
  // A candle's close. Keeps the last `keep` returns of the symbol.
  void add(const std::string& symbol, std::int64_t close_time_ms, std::int64_t close, std::uint32_t keep);
  // rho of a and b in ppm (-1e6..1e6) over their last `window` common returns; nullopt
  // while fewer are shared or one of them did not move.
  std::optional<std::int32_t> rho_ppm(const std::string& a, const std::string& b, std::uint32_t window) const;
  void save(StateWriter& w) const;
  void load(StateReader& r);

 private:
  struct Series {
    std::int64_t prev_close = 0;
    std::deque<std::pair<std::int64_t, std::int64_t>> returns;  // (close time ms, return ppm)
  };
  std::map<std::string, Series> series_;
};

struct CorrelationVerdict {
  bool refused = false;
  std::string why;                 // the correlated symbols and their rho (refused or not)
  std::optional<LimitCheck> check;  // max_correlation: the largest |rho| with a position held, and the bound
};

// Whether an entry in `symbol` fits the correlation limits, given the positions held.
CorrelationVerdict check_correlation(const CorrelationLimits& limits, const ReturnHistory& returns,
                                     const PortfolioState& book, const std::string& symbol);

}  // namespace trader
