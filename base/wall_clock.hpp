#pragma once
// The wall clock, for the shell only (receive times, latency, session start and end):
// cores never read it; their time is what the messages say.
#include <chrono>
#include <cstdint>

namespace trader {

inline std::int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace trader
