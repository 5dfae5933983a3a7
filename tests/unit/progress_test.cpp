// The progress line's text (what a terminal shows during import, replay, what-if, train).
#include <doctest/doctest.h>

#include "base/progress.hpp"

using trader::Progress;

TEST_CASE("progress: the bar, the share, the counts, the rate and the time left") {
  CHECK(Progress::line("verify", 12'000, 48'000, "records", 2.0) ==
        "verify  [######..................]  25%  12000/48000 records  6000 records/s  6 s left");
  CHECK(Progress::line("train", 150, 150, "rounds", 3.0) ==
        "train  [########################] 100%  150/150 rounds  50 rounds/s  0 s left");
  // More done than the total said (a range that grew): full, never past it.
  CHECK(Progress::line("what-if", 60, 50, "records", 1.0).find("[########################] 100%") != std::string::npos);
  // An unknown total: the count and the rate only.
  CHECK(Progress::line("import", 2'500'000, 0, "lines", 2.0) == "import  2500000 lines  1.2M lines/s");
  CHECK(Progress::line("import", 10, 0, "lines", 0.0) == "import  10 lines  0 lines/s");
}
