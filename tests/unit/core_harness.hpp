#pragma once
// Feeds messages to a core the way the node does (one delivery at a time, increasing
// seq) and picks outputs by type.
#include <vector>

#include "actors/actor_core.hpp"

namespace trader::test {

class CoreHarness {
 public:
  explicit CoreHarness(ActorCore& core) : core_(core) {}

  const Outbox& feed(const Message& m, std::int64_t recv_ts_ns = 0, Actor source = Actor::none) {
    out_.clear();
    core_.on(Delivery{++seq_, recv_ts_ns, source, m}, out_);
    return out_;
  }
  std::uint64_t last_seq() const { return seq_; }

 private:
  ActorCore& core_;
  std::uint64_t seq_ = 0;
  Outbox out_;
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
