#include <array>
#include <string_view>

#include "messages/message_types.hpp"

namespace trader {
namespace {
constexpr std::array<const char*, kActorCount> kActorNames = {
    "none", "market_feed", "candle_builder", "strategy", "risk", "portfolio",
    "order", "operator", "timer", "exchange", "journal", "tools"};
}

const char* actor_name(Actor a) {
  const auto i = static_cast<std::size_t>(a);
  return i < kActorNames.size() ? kActorNames[i] : "unknown";
}

bool parse_actor(std::string_view name, Actor* out) {
  for (std::size_t i = 0; i < kActorNames.size(); ++i) {
    if (name == kActorNames[i]) {
      *out = static_cast<Actor>(i);
      return true;
    }
  }
  return false;
}

}  // namespace trader
