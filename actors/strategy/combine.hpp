#pragma once
// How several strategies' views of one symbol become the one view the strategy actor
// trades on ([combine] in the config). A pure function in integer ppm arithmetic.
//  - any:      long when any strategy is long; the most confident long view leads
//              (its confidence and share of equity). Flat when none is.
//  - k_of_n:   long when at least k of the n strategies trading the symbol are long
//              (a strategy still warming up is not long); confidence and share are the
//              means of the long views'.
//  - weighted: the score is sum(weight x confidence of the long views) / sum(weights of
//              all n); long when the score reaches min_score. The score is the confidence;
//              the share is the weight-averaged share of the long views.
// Short views (strategy.allow_short) count the same way, mirrored: short when any view is
// short (any), when k are (k_of_n), when the signed score (longs' weight x confidence
// less shorts') reaches -min_score (weighted). Where both sides would win (a long and a
// short under any; k of each) the view is flat: no side is taken against a strategy that
// says the other.
// A single strategy's view passes through unchanged under every policy but weighted, so
// a one-strategy config trades exactly as before.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "messages/message_types.hpp"

namespace trader {

enum class CombinePolicy : std::uint8_t { any = 0, k_of_n, weighted };

struct CombineConfig {
  CombinePolicy policy = CombinePolicy::any;
  std::uint32_t k = 1;
  std::uint32_t min_score_ppm = 500'000;
};

// One strategy's view of the symbol: what an intent is made from.
struct View {
  Direction direction = Direction::flat;
  std::uint32_t confidence_ppm = 0;
  std::uint32_t fraction_ppm = 0;  // share of equity for an entry
  std::string reason;
  std::vector<SignalValue> values;  // what it was computed from: journaled with signal and intent
};

// A strategy trading the symbol, and its latest view (none while it warms up).
struct Ballot {
  std::string strategy_id;
  std::uint32_t weight_ppm = 1'000'000;
  const View* view = nullptr;
};

// The combined view; nullopt when no strategy has a view yet. With several ballots its
// reason names the policy and each view, and its values are the ballots' own values
// prefixed with their strategy's id ("xgb-15m.p").
std::optional<View> combine(const CombineConfig& config, std::span<const Ballot> ballots);

}  // namespace trader
