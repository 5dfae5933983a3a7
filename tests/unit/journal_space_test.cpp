#include <doctest/doctest.h>

#include "actors/node/journal_space.hpp"

using trader::journal::Space;
using trader::node::journal_space_halt;

TEST_CASE("journal space: halt below the threshold, naming what runs out") {
  constexpr std::uint64_t MiB = 1 << 20;
  CHECK_FALSE(journal_space_halt(Space{10 * MiB, UINT64_MAX, 500 * MiB}, 64 * MiB).has_value());
  CHECK_FALSE(journal_space_halt(Space{10 * MiB, 64 * MiB, 500 * MiB}, 64 * MiB).has_value());  // exactly enough

  auto fs = journal_space_halt(Space{10 * MiB, UINT64_MAX, 63 * MiB}, 64 * MiB);
  REQUIRE(fs.has_value());
  CHECK(fs->find("63.0 MiB left on its filesystem") != std::string::npos);
  CHECK(fs->find("journal.min_free_mb = 64") != std::string::npos);

  auto cap = journal_space_halt(Space{90 * MiB, 10 * MiB, 500 * MiB}, 64 * MiB);
  REQUIRE(cap.has_value());
  CHECK(cap->find("10.0 MiB left below its size cap") != std::string::npos);
  CHECK(journal_space_halt(Space{0, 0, 0}, 1).has_value());
  CHECK_FALSE(journal_space_halt(Space{0, 0, 0}, 0).has_value());  // 0: never halt
}
