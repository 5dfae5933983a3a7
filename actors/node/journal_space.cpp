#include "actors/node/journal_space.hpp"

#include <fmt/format.h>

namespace trader::node {

std::optional<std::string> journal_space_halt(const journal::Space& space, std::uint64_t min_free_bytes) {
  if (space.left() >= min_free_bytes) return std::nullopt;
  constexpr double kMiB = 1024.0 * 1024.0;
  const bool cap = space.cap_left_bytes <= space.fs_free_bytes;
  return fmt::format("journal space low: {:.1f} MiB left {} (journal.min_free_mb = {}); trading halted",
                     static_cast<double>(space.left()) / kMiB,
                     cap ? "below its size cap (journal.max_size_mb)" : "on its filesystem",
                     min_free_bytes >> 20);
}

}  // namespace trader::node
