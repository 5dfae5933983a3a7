#pragma once
// Sleeping in the shell (reconnect backoffs, a venue's Retry-After) without holding up a
// node that is stopping: the sleep wakes every 20 ms to look at `stop`.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

namespace trader {

// Sleeps `d`, or less once `stop` (may be null) is raised. False if it was.
inline bool sleep_unless_stopped(std::chrono::milliseconds d, const std::atomic<bool>* stop) {
  const auto until = std::chrono::steady_clock::now() + d;
  for (auto now = std::chrono::steady_clock::now(); now < until; now = std::chrono::steady_clock::now()) {
    if (stop && stop->load()) return false;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(std::chrono::milliseconds(20), until - now));
  }
  return !(stop && stop->load());
}

}  // namespace trader
