#include <fmt/format.h>

#include "actors/sequencer/sequencer.hpp"
#include "messages/type_registry.hpp"

namespace trader {

std::string quiet_broken(Actor recipient, std::uint16_t type_id, std::uint64_t seq, std::size_t outputs) {
  const auto* type = find_type(type_id);
  return fmt::format("{} declared {} deliveries quiet, then answered seq {} with {} message(s); the run stops "
                     "(a core's quiet() is wrong)",
                     actor_name(recipient), type ? std::string(type->name) : std::to_string(type_id), seq, outputs);
}

}  // namespace trader
