// The floor under the node's actor shell: what CAF alone costs per delivery. With the
// node's deliveries per record and what-if's rate it bounds the node-vs-replay ratio any
// shell can reach that delivers each record with one CAF request and one answer.
#include <chrono>
#include <future>

#include <caf/all.hpp>

#include "actors/node/wire.hpp"
#include "bench/bench_common.hpp"
#include "messages/message_codec.hpp"

namespace trader::bench {
namespace {

using namespace trader::node;

// Answers every delivery with an empty batch: a business actor with no core work.
core_actor::behavior_type idle_core(core_actor::pointer) {
  return {[](deliver_atom, const WireDeliveries&) { return WireAnswer{}; }, [](snapshot_atom) { return WireState{}; }};
}

struct DriverState {
  core_actor peer;
  WireDeliveries delivery;
  std::size_t left = 0;
  std::promise<void>* done = nullptr;
};

void deliver_next(caf::stateful_actor<DriverState>* self) {
  auto& st = self->state;
  if (st.left-- == 0) {
    st.done->set_value();
    self->quit();
    return;
  }
  self->request(st.peer, caf::infinite, deliver_atom::value, st.delivery).then([self](WireAnswer&) { deliver_next(self); });
}

}  // namespace

double caf_round_trip_us(std::size_t round_trips) {
  caf::actor_system_config cfg;
  add_wire_types(cfg);
  cfg.set("scheduler.max-threads", std::size_t{1});  // as the node runs (node.threads = 1)
  caf::actor_system system{cfg};
  auto peer = system.spawn(idle_core);
  std::promise<void> done;
  auto finished = done.get_future();
  // The body of a 1-minute candle, as the node delivers it.
  const Candle candle{"BTCUSDC", 60, 1677628800000, 1677628859999, 2'345'678'000'000, 2'346'000'000'000,
                      2'345'000'000'000, 2'345'900'000'000, 123'456'789, 289'000'000'000'000};
  const WireDeliveries delivery{{WireDelivery{1, 1677628860000000000, static_cast<std::uint16_t>(Actor::candle_builder),
                                              Candle::kTypeId, encode_body_flat(candle)}},
                                true};
  const auto t0 = std::chrono::steady_clock::now();
  system.spawn([&](caf::stateful_actor<DriverState>* self) -> caf::behavior {
    self->state = DriverState{peer, delivery, round_trips, &done};
    deliver_next(self);
    return {[](caf::unit_t) {}};
  });
  finished.wait();
  const double us = seconds_since(t0) * 1e6 / static_cast<double>(round_trips);
  caf::anon_send_exit(peer, caf::exit_reason::user_shutdown);
  return us;
}

}  // namespace trader::bench
