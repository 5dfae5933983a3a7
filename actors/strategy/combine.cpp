#include "actors/strategy/combine.hpp"

#include <fmt/format.h>

#include "messages/enum_names.hpp"
#include "messages/fixed_point.hpp"

namespace trader {
namespace {

// "2 of 3 long", and the shorts only where there are any: a long-only config's reasons
// (journaled) read as they always did.
std::string policy_text(const CombineConfig& c, std::size_t longs, std::size_t shorts, std::size_t n) {
  const std::string counted = fmt::format("{} of {} long{}", longs, n, shorts ? fmt::format(", {} short", shorts) : "");
  switch (c.policy) {
    case CombinePolicy::any: return "any: " + counted;
    case CombinePolicy::k_of_n: return fmt::format("k_of_n: {}, {} needed", counted, c.k);
    case CombinePolicy::weighted: break;
  }
  return "weighted: " + counted;
}

// One side's views (long or short) summed as each policy reads them.
struct SideSum {
  std::size_t count = 0;
  const Ballot* lead = nullptr;  // any: the most confident view, the first on a tie
  std::uint64_t conf_sum = 0, fraction_sum = 0;
  unsigned __int128 weights = 0, weighted_conf = 0, weighted_fraction = 0;
  void add(const Ballot& b) {
    ++count;
    conf_sum += b.view->confidence_ppm;
    fraction_sum += b.view->fraction_ppm;
    weighted_conf += static_cast<unsigned __int128>(b.weight_ppm) * b.view->confidence_ppm;
    weighted_fraction += static_cast<unsigned __int128>(b.weight_ppm) * b.view->fraction_ppm;
    weights += b.weight_ppm;
    if (!lead || b.view->confidence_ppm > lead->view->confidence_ppm) lead = &b;
  }
};

}  // namespace

std::optional<View> combine(const CombineConfig& c, std::span<const Ballot> ballots) {
  std::size_t with_view = 0;
  for (const auto& b : ballots) with_view += b.view != nullptr;
  if (with_view == 0) return std::nullopt;
  if (ballots.size() == 1 && c.policy != CombinePolicy::weighted) return *ballots.front().view;

  // Short views count as long ones do, mirrored; views that disagree (a long and a short
  // both winning) leave the symbol flat: the combination never picks a side against a
  // strategy that says the other.
  SideSum longs, shorts;
  unsigned __int128 weights = 0;
  for (const auto& b : ballots) {
    weights += b.weight_ppm;
    if (b.view && b.view->direction == Direction::long_) longs.add(b);
    if (b.view && b.view->direction == Direction::short_) shorts.add(b);
  }

  View v;
  bool leans_short = false;  // weighted: the score's sign
  auto take = [&v](Direction d, std::uint64_t confidence, std::uint64_t fraction) {
    v.direction = d;
    v.confidence_ppm = static_cast<std::uint32_t>(confidence);
    v.fraction_ppm = static_cast<std::uint32_t>(fraction);
  };
  switch (c.policy) {
    case CombinePolicy::any:
      if (longs.lead && !shorts.lead) take(Direction::long_, longs.lead->view->confidence_ppm, longs.lead->view->fraction_ppm);
      if (shorts.lead && !longs.lead) take(Direction::short_, shorts.lead->view->confidence_ppm, shorts.lead->view->fraction_ppm);
      break;
    case CombinePolicy::k_of_n: {
      const bool is_long = longs.count >= c.k && longs.count > 0, is_short = shorts.count >= c.k && shorts.count > 0;
      if (is_long && !is_short) take(Direction::long_, longs.conf_sum / longs.count, longs.fraction_sum / longs.count);
      if (is_short && !is_long) take(Direction::short_, shorts.conf_sum / shorts.count, shorts.fraction_sum / shorts.count);
      break;
    }
    case CombinePolicy::weighted: {
      // The score is signed: longs' weight x confidence less shorts', over every weight.
      const bool short_side = leans_short = shorts.weighted_conf > longs.weighted_conf;
      const SideSum& side = short_side ? shorts : longs;
      const SideSum& other = short_side ? longs : shorts;
      const auto score = weights > 0 ? static_cast<std::uint32_t>((side.weighted_conf - other.weighted_conf) / weights) : 0u;
      v.confidence_ppm = score;
      if (side.count > 0 && side.weights > 0 && score >= c.min_score_ppm)
        take(short_side ? Direction::short_ : Direction::long_, score, side.weighted_fraction / side.weights);
      break;
    }
  }
  if (v.confidence_ppm > kPpm) v.confidence_ppm = kPpm;

  v.reason = policy_text(c, longs.count, shorts.count, ballots.size());
  if (c.policy == CombinePolicy::weighted)
    v.reason += fmt::format(", score {}{:.3f}", leans_short ? "-" : "", v.confidence_ppm / 1e6);
  const char* sep = " (";
  for (const auto& b : ballots) {
    if (!b.view) {
      v.reason += fmt::format("{}{} warming up", sep, b.strategy_id);
    } else {
      v.reason += fmt::format("{}{} {} {:.3f}: {}", sep, b.strategy_id, enum_name(b.view->direction),
                              b.view->confidence_ppm / 1e6, b.view->reason);
      for (const auto& value : b.view->values) v.values.push_back({b.strategy_id + "." + value.name, value.value});
    }
    sep = "; ";
  }
  v.reason += ")";
  return v;
}

}  // namespace trader
