#include "actors/node/wire.hpp"

#include "messages/message_codec.hpp"

namespace trader::node {

void add_wire_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<WireState>("trader.WireState");
  cfg.add_message_type<WireDelivery>("trader.WireDelivery");
  cfg.add_message_type<WireOutput>("trader.WireOutput");
  cfg.add_message_type<WireBatch>("trader.WireBatch");
  cfg.add_message_type<WireDeliveries>("trader.WireDeliveries");
  cfg.add_message_type<WireAnswer>("trader.WireAnswer");
  cfg.add_message_type<std::vector<WireDelivery>>("std::vector<trader.WireDelivery>");
  cfg.add_message_type<std::vector<WireOutput>>("std::vector<trader.WireOutput>");
}

WireOutput to_wire(Actor source, Actor destination, std::int64_t recv_ts_ns, const Message& m) {
  return WireOutput{static_cast<std::uint16_t>(source), static_cast<std::uint16_t>(destination), type_id_of(m),
                    recv_ts_ns, encode_body_flat(m)};
}

}  // namespace trader::node
