#include "actors/strategy/combine.hpp"

#include <fmt/format.h>

#include "messages/enum_names.hpp"
#include "messages/fixed_point.hpp"

namespace trader {
namespace {

std::string policy_text(const CombineConfig& c, std::size_t longs, std::size_t n) {
  switch (c.policy) {
    case CombinePolicy::any: return fmt::format("any: {} of {} long", longs, n);
    case CombinePolicy::k_of_n: return fmt::format("k_of_n: {} of {} long, {} needed", longs, n, c.k);
    case CombinePolicy::weighted: break;
  }
  return fmt::format("weighted: {} of {} long", longs, n);
}

}  // namespace

std::optional<View> combine(const CombineConfig& c, std::span<const Ballot> ballots) {
  std::size_t with_view = 0;
  for (const auto& b : ballots) with_view += b.view != nullptr;
  if (with_view == 0) return std::nullopt;
  if (ballots.size() == 1 && c.policy != CombinePolicy::weighted) return *ballots.front().view;

  std::size_t longs = 0;
  const Ballot* lead = nullptr;  // any: the most confident long view, the first on a tie
  std::uint64_t conf_sum = 0, fraction_sum = 0;
  unsigned __int128 weights = 0, weighted_conf = 0, weighted_fraction = 0, long_weights = 0;
  for (const auto& b : ballots) {
    weights += b.weight_ppm;
    if (!b.view || b.view->direction != Direction::long_) continue;
    ++longs;
    conf_sum += b.view->confidence_ppm;
    fraction_sum += b.view->fraction_ppm;
    weighted_conf += static_cast<unsigned __int128>(b.weight_ppm) * b.view->confidence_ppm;
    weighted_fraction += static_cast<unsigned __int128>(b.weight_ppm) * b.view->fraction_ppm;
    long_weights += b.weight_ppm;
    if (!lead || b.view->confidence_ppm > lead->view->confidence_ppm) lead = &b;
  }

  View v;
  switch (c.policy) {
    case CombinePolicy::any:
      if (lead) {
        v.direction = Direction::long_;
        v.confidence_ppm = lead->view->confidence_ppm;
        v.fraction_ppm = lead->view->fraction_ppm;
      }
      break;
    case CombinePolicy::k_of_n:
      if (longs >= c.k && longs > 0) {
        v.direction = Direction::long_;
        v.confidence_ppm = static_cast<std::uint32_t>(conf_sum / longs);
        v.fraction_ppm = static_cast<std::uint32_t>(fraction_sum / longs);
      }
      break;
    case CombinePolicy::weighted: {
      const auto score = weights > 0 ? static_cast<std::uint32_t>(weighted_conf / weights) : 0u;
      v.confidence_ppm = score;
      if (longs > 0 && long_weights > 0 && score >= c.min_score_ppm) {
        v.direction = Direction::long_;
        v.fraction_ppm = static_cast<std::uint32_t>(weighted_fraction / long_weights);
      }
      break;
    }
  }
  if (v.confidence_ppm > kPpm) v.confidence_ppm = kPpm;

  v.reason = policy_text(c, longs, ballots.size());
  if (c.policy == CombinePolicy::weighted) v.reason += fmt::format(", score {:.3f}", v.confidence_ppm / 1e6);
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
