#pragma once
// Reconnect delays: exponential from `initial` to `max`, each with random jitter (so many
// clients do not reconnect in step), reset after a connection that lasted.
#include <chrono>
#include <cstdint>
#include <random>

namespace trader::net {

class Backoff {
 public:
  using ms = std::chrono::milliseconds;
  Backoff(ms initial, ms max, std::uint64_t seed) : initial_(initial), max_(max), next_(initial), rng_(seed) {}

  // The delay before the next attempt: uniform in [next/2, next], then next doubles.
  ms next() {
    const auto cap = next_.count();
    std::uniform_int_distribution<std::int64_t> jitter(cap / 2, cap);
    const ms delay(jitter(rng_));
    next_ = std::min(max_, next_ * 2);
    return delay;
  }
  void reset() { next_ = initial_; }

 private:
  ms initial_, max_, next_;
  std::mt19937_64 rng_;
};

// How long to send nothing after the venue said "too many requests" (429, or 418 for an IP
// ban): its Retry-After when it gave one; when it did not (retry_after_ms 0), longer each
// time, from `initial` doubling to `max` with jitter, until a request gets through
// (reset()). A venue that bans without saying for how long is then never asked again every
// second, which is what extends a ban.
class RateLimitWait {
 public:
  using ms = std::chrono::milliseconds;
  RateLimitWait(ms initial, ms max, std::uint64_t seed) : unsaid_(initial, max, seed) {}
  ms next(std::int64_t retry_after_ms) { return retry_after_ms > 0 ? ms(retry_after_ms) : unsaid_.next(); }
  void reset() { unsaid_.reset(); }

 private:
  Backoff unsaid_;
};

}  // namespace trader::net
