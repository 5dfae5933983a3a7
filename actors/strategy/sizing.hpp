#pragma once
// How much of the equity an entry spends: the sizing policies ([sizing] in the config),
// each a pure function in integer ppm arithmetic (no doubles: the same on every build).
// Risk limits apply to the intent afterwards.
//  - strategy:          the strategy's own share (the rule's position_fraction, the model's
//                       share linear in its probability); the default, and what was before.
//  - fixed_fraction:    `fraction` of equity.
//  - confidence_scaled: `fraction` x the view's confidence.
//  - risk_per_trade:    the share whose loss at the stop is `risk_per_trade` of equity:
//                       risk / stop distance (risk.stop_loss, percent mode).
//  - kelly:             `kelly_fraction` x (p - (1 - p) / b), with p the view's confidence
//                       (the model's probability) and b = take profit / stop loss; no entry
//                       without an edge.
// Every policy but `strategy` is capped at `max_fraction`.
#include <cstdint>
#include <string>

namespace trader {

enum class SizingPolicy : std::uint8_t { strategy = 0, fixed_fraction, confidence_scaled, risk_per_trade, kelly };

struct SizingConfig {
  SizingPolicy policy = SizingPolicy::strategy;
  std::uint32_t fraction_ppm = 100'000;        // 10%
  std::uint32_t risk_ppm = 20'000;             // 2% of equity lost at the stop
  std::uint32_t kelly_fraction_ppm = 500'000;  // half Kelly
  std::uint32_t max_fraction_ppm = 50'000;     // 5% of equity per entry
  std::uint32_t stop_loss_ppm = 20'000;        // risk's stop and take profit (percent mode)
  std::uint32_t take_profit_ppm = 40'000;
};

struct EntrySize {
  std::uint32_t fraction_ppm = 0;  // of equity; 0: no entry
  std::string why;                 // the policy's numbers, for the intent's reason ("" for `strategy`)
};

// `view_fraction_ppm` and `confidence_ppm` are the strategy's view of this candle.
EntrySize size_entry(const SizingConfig& config, std::uint32_t view_fraction_ppm, std::uint32_t confidence_ppm);

}  // namespace trader
