#pragma once
// When the journal is about to run out of room, trading stops while the journal can
// still record why: a node that cannot journal must not trade (every order is journaled
// before it is sent), and a halt written in time is one replay reproduces.
#include <cstdint>
#include <optional>
#include <string>

#include "journal/journal.hpp"

namespace trader::node {

// The halt reason when `space` leaves less than `min_free_bytes`, else nothing.
std::optional<std::string> journal_space_halt(const journal::Space& space, std::uint64_t min_free_bytes);

}  // namespace trader::node
