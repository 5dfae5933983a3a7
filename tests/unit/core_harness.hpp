#pragma once
// Feeds messages to a core the way the node does (one delivery at a time, increasing
// seq) and picks outputs by type. Every delivery also checks the core's quiet
// declaration as the sequencer relies on it: a delivery the core declared quiet after its
// last awaited one must produce nothing (ActorCore::quiet).
#include <vector>

#include <doctest/doctest.h>

#include "actors/actor_core.hpp"

namespace trader::test {

class CoreHarness {
 public:
  explicit CoreHarness(ActorCore& core) : core_(core) {}

  const Outbox& feed(const Message& m, std::int64_t recv_ts_ns = 0, Actor source = Actor::none) {
    out_.clear();
    if (const auto* t = std::get_if<ClockTick>(&m); t && recv_ts_ns == 0) recv_ts_ns = t->ts_ns;  // as the feed makes them
    const QuietProbe probe = quiet_probe(m);  // as the node and replay read it
    const bool quiet = declared_.covers(type_id_of(m), recv_ts_ns, &probe);
    core_.on(Delivery{++seq_, recv_ts_ns, source, m}, out_);
    if (quiet) {
      CHECK_MESSAGE(out_.empty(), "delivery " << seq_ << " (type " << type_id_of(m) << ") was declared quiet but answered");
      ++quiet_deliveries_;
    } else {
      declared_ = core_.quiet();
    }
    return out_;
  }
  std::uint64_t last_seq() const { return seq_; }
  std::uint64_t quiet_deliveries() const { return quiet_deliveries_; }

 private:
  ActorCore& core_;
  std::uint64_t seq_ = 0;
  Outbox out_;
  Quiet declared_;  // as of the last delivery the sequencer would have awaited
  std::uint64_t quiet_deliveries_ = 0;
};

template <class T>
std::vector<T> of_type(const Outbox& out) {
  std::vector<T> v;
  for (const auto& o : out)
    if (const auto* x = std::get_if<T>(&o.message)) v.push_back(*x);
  return v;
}

constexpr std::int64_t px(double v) { return static_cast<std::int64_t>(v * 100000000.0 + (v >= 0 ? 0.5 : -0.5)); }

}  // namespace trader::test
