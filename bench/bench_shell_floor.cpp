// The floor under the node's actor shell: what CAF alone costs per delivery. With the
// node's deliveries per record and what-if's rate it bounds the node-vs-replay ratio any
// shell can reach that delivers each record with one CAF message and one answer.
#include <chrono>
#include <future>

#include <caf/all.hpp>

#include "actors/node/wire.hpp"
#include "bench/bench_common.hpp"
#include "messages/message_codec.hpp"

namespace trader::bench {
namespace {

using namespace trader::node;

// A candle's delivery, as the node hands it to an actor.
WireDeliveries candle_delivery() {
  return WireDeliveries{{WireDelivery{1, 1677628860000000000, static_cast<std::uint16_t>(Actor::candle_builder),
                                      Candle::kTypeId, encode_body_flat(sample_candle())}},
                        true, 0};
}

// A business actor with no core work: answers every delivery with nothing, as the node's
// actors answer (a message back to the sender).
core_actor::behavior_type idle_core(core_actor::pointer self) {
  return {[self](deliver_atom, const WireDeliveries& in) {
            self->send(caf::actor_cast<answer_sink>(self->current_sender()), answer_atom::value,
                       WireAnswer{{}, {}, {}, in.ticket});
          },
          [](snapshot_atom) { return WireState{}; }};
}

// The same answering a CAF request with its response, as the node did before 2026-12-06.
caf::behavior idle_responder() {
  return {[](deliver_atom, const WireDeliveries& in) { return WireAnswer{{}, {}, {}, in.ticket}; }};
}

struct DriverState {
  caf::actor peer;
  WireDeliveries delivery;
  std::size_t left = 0;
  std::promise<void>* done = nullptr;
};
using driver_ptr = caf::stateful_actor<DriverState>*;

// Counts one answer; true (and the driver done) after the last.
bool last(driver_ptr self) {
  if (self->state.left-- > 0) return false;
  self->state.done->set_value();
  self->quit();
  return true;
}

void request_next(driver_ptr self) {
  self->request(self->state.peer, caf::infinite, deliver_atom::value, self->state.delivery).then([self](WireAnswer&) {
    if (!last(self)) request_next(self);
  });
}

// Microseconds per round trip: the peer `spawn_peer` makes, driven by an actor whose
// behavior `drive` gives (after sending the first delivery).
template <class Peer, class Drive>
double time_round_trips(std::size_t round_trips, Peer spawn_peer, Drive drive) {
  caf::actor_system_config cfg;
  add_wire_types(cfg);
  cfg.set("scheduler.max-threads", std::size_t{1});  // as the node runs (node.threads = 1)
  caf::actor_system system{cfg};
  std::promise<void> done;
  auto finished = done.get_future();
  const auto t0 = std::chrono::steady_clock::now();
  caf::actor peer = spawn_peer(system);
  system.spawn([&](driver_ptr self) -> caf::behavior {
    self->state = DriverState{peer, candle_delivery(), round_trips, &done};
    return drive(self);
  });
  finished.wait();
  const double us = seconds_since(t0) * 1e6 / static_cast<double>(round_trips);
  caf::anon_send_exit(peer, caf::exit_reason::user_shutdown);
  return us;
}

}  // namespace

double caf_round_trip_us(std::size_t round_trips) {
  return time_round_trips(
      round_trips, [](caf::actor_system& system) { return caf::actor_cast<caf::actor>(system.spawn(idle_core)); },
      [](driver_ptr self) -> caf::behavior {
        self->send(self->state.peer, deliver_atom::value, self->state.delivery);
        return {[self](answer_atom, const WireAnswer&) {
          if (!last(self)) self->send(self->state.peer, deliver_atom::value, self->state.delivery);
        }};
      });
}

double caf_request_round_trip_us(std::size_t round_trips) {
  return time_round_trips(
      round_trips, [](caf::actor_system& system) { return system.spawn(idle_responder); },
      [](driver_ptr self) -> caf::behavior {
        request_next(self);
        return {[](caf::unit_t) {}};
      });
}

}  // namespace trader::bench
