#pragma once
// A perpetual position in an actor's snapshot: the one encoding the portfolio and the
// paper venue both write and read.
#include "actors/state_codec.hpp"
#include "futures/perp_position.hpp"

namespace trader {

inline void save_position(StateWriter& w, const futures::PerpPosition& p) {
  for (auto v : {p.qty, p.cost, p.margin, p.realized, p.fees, p.funding}) w.i64(v);
  w.u32(p.leverage);
}

inline futures::PerpPosition load_position(StateReader& r) {
  futures::PerpPosition p;
  for (auto* v : {&p.qty, &p.cost, &p.margin, &p.realized, &p.fees, &p.funding}) *v = r.i64();
  p.leverage = r.u32();
  return p;
}

}  // namespace trader
