#pragma once
// What travels between the node's CAF actors: Cap'n Proto bytes only, unpacked (flat:
// encode_body_flat), so that reading them copies and unpacks nothing; only the journal packs.
//  - WireDelivery: a journaled message on its way to a recipient: its seq, receive time
//    and source as the journal holds them, and the body the journal stored.
//  - WireOutput: one message an actor sends, its body of the type named by type_id; the
//    sequencer journals it and assigns its seq.
//  - WireDeliveries: what the sequencer hands an actor in one message: the deliveries of
//    types the actor declared quiet since its last one, in journal order, and, when
//    `answer` is set, last, the delivery it answers. The actor acknowledges every one
//    with a WireAnswer sent back to the sequencer, carrying the same `ticket`.
//  - WireAnswer: that delivery's outputs and the types the actor now declares quiet
//    (ActorCore::quiet); `error` when a quiet delivery produced output.
// A delivery and its answer are two plain messages, not a CAF request and its response:
// a request also makes, stores and looks up a response handler (bench/README.md,
// `caf_request_round_trip_us` against `caf_round_trip_us`).
//  - WireState: an actor's saved state (actors/state_codec.hpp bytes).
#include <cstdint>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/actor_core.hpp"
#include "messages/message_types.hpp"

namespace trader {
// Found by argument-dependent lookup, so beside Quiet's namespace.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, Quiet& x) {
  auto& b = x.portfolio;
  return f(caf::meta::type_name("trader.Quiet"), x.types, x.ticks_before_ns, x.candle_intervals, b.on, b.from_ts_ms,
           b.to_ts_ms, b.starting_cash, b.below_drawdown_ppm, b.above_equity, b.equity_bound, b.flat);
}
}  // namespace trader

namespace trader::node {

struct WireState {
  std::vector<std::uint8_t> bytes;
};

struct WireDelivery {
  std::uint64_t seq = 0;
  std::int64_t recv_ts_ns = 0;
  std::uint16_t source = 0;  // Actor
  std::uint16_t type_id = 0;
  std::vector<std::uint8_t> body;
};

struct WireOutput {
  std::uint16_t source = 0;       // Actor
  std::uint16_t destination = 0;  // Actor; 0 = published to the type's subscribers
  std::uint16_t type_id = 0;
  std::int64_t recv_ts_ns = 0;    // set by ingress; outputs of cores inherit their input's
  std::vector<std::uint8_t> body;
  std::int64_t ingress_wall_ns = 0;  // wall clock when the feed read it (latency only; never journaled)
  std::uint64_t ingress_seq = 0;     // the feed item it came from (journaled; 0 for actors' outputs)
};

struct WireDeliveries {
  std::vector<WireDelivery> items;
  bool answer = false;       // the last item awaits an answer; all before it are quiet
  std::uint32_t ticket = 0;  // the sequencer's, echoed in the WireAnswer
};

struct WireAnswer {
  std::vector<WireOutput> items;
  Quiet quiet;
  std::string error;
  std::uint32_t ticket = 0;  // the WireDeliveries' it acknowledges
};

struct WireBatch {
  std::vector<WireOutput> items;
  bool end_of_data = false;  // from the feed: nothing follows
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, WireState& x) {
  return f(caf::meta::type_name("trader.WireState"), x.bytes);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, WireDelivery& x) {
  return f(caf::meta::type_name("trader.WireDelivery"), x.seq, x.recv_ts_ns, x.source, x.type_id, x.body);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, WireOutput& x) {
  return f(caf::meta::type_name("trader.WireOutput"), x.source, x.destination, x.type_id, x.recv_ts_ns, x.body,
           x.ingress_wall_ns, x.ingress_seq);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, WireDeliveries& x) {
  return f(caf::meta::type_name("trader.WireDeliveries"), x.items, x.answer, x.ticket);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, WireAnswer& x) {
  return f(caf::meta::type_name("trader.WireAnswer"), x.items, x.quiet, x.error, x.ticket);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, WireBatch& x) {
  return f(caf::meta::type_name("trader.WireBatch"), x.items, x.end_of_data);
}

using deliver_atom = caf::atom_constant<caf::atom("deliver")>;
using answer_atom = caf::atom_constant<caf::atom("answer")>;
using next_atom = caf::atom_constant<caf::atom("next")>;
using start_atom = caf::atom_constant<caf::atom("start")>;
using snapshot_atom = caf::atom_constant<caf::atom("snapshot")>;
using status_atom = caf::atom_constant<caf::atom("status")>;
using metrics_atom = caf::atom_constant<caf::atom("metrics")>;
using operator_atom = caf::atom_constant<caf::atom("operator")>;

// Where business actors send their answers: the sequencer, as they see it.
using answer_sink = caf::typed_actor<caf::reacts_to<answer_atom, WireAnswer>>;
// A business actor: takes delivered messages and sends their sender (an answer_sink) what
// the last one made it send; on request, answers with its state (actors/state_codec.hpp
// bytes in a WireState).
using core_actor = caf::typed_actor<caf::reacts_to<deliver_atom, WireDeliveries>,
                                    caf::replies_to<snapshot_atom>::with<WireState>>;
// The market feed: answers each request with the next external inputs.
using feed_actor = caf::typed_actor<caf::replies_to<next_atom>::with<WireBatch>>;

// Registers the wire types with an actor system config.
void add_wire_types(caf::actor_system_config& cfg);

// One message as an actor's output (or an ingress input), body flat.
WireOutput to_wire(Actor source, Actor destination, std::int64_t recv_ts_ns, const Message& m);

}  // namespace trader::node
