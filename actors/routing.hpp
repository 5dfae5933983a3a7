#pragma once
// Who receives what. A message with a destination goes to that actor only; a published
// message (destination none) goes to the subscribers of its type, in the fixed order
// below. That order is part of the node's determinism: the outputs of one delivery are
// sequenced recipient by recipient in this order. A message addressed to market_feed is
// one the feed did not let in: journaled for audit, delivered to no one.
#include <cstdint>
#include <span>

#include "messages/message_types.hpp"

namespace trader {

std::span<const Actor> subscribers(std::uint16_t type_id);

// The recipients of one message: its destination, or its type's subscribers.
std::span<const Actor> recipients(std::uint16_t type_id, const Actor& destination);

}  // namespace trader
