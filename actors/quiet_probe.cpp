#include "actors/actor_core.hpp"

namespace trader {

QuietProbe quiet_probe(const Message& m) {
  QuietProbe p;
  if (const auto* c = std::get_if<Candle>(&m)) {
    p.candle_interval_s = c->interval_s;
  } else if (const auto* s = std::get_if<PortfolioState>(&m)) {
    p.ts_ms = s->ts_ms;
    p.equity = s->equity;
    p.starting_cash = s->starting_cash;
    p.drawdown_ppm = s->drawdown_ppm;
    p.holds_positions = holds_any(s->positions);
  }
  return p;
}

}  // namespace trader
