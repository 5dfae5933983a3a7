// What this machine charges work for coming after idle time: the same small piece of the
// node's work (a candle's flat body decoded and encoded again, as an actor does with a
// delivery) timed back to back, and after spinning (as node.busy_poll does) for as long as
// the tick-to-order stream leaves between two of the same kind of message. A spinning
// thread touches almost nothing, so what grows is the cost of caches refilled.
#include <algorithm>
#include <chrono>
#include <vector>

#include "bench/bench_common.hpp"
#include "messages/message_codec.hpp"

namespace trader::bench {

double codec_after_idle_ns(std::chrono::nanoseconds idle, int samples) {
  using Clock = std::chrono::steady_clock;
  const auto flat = encode_body_flat(sample_candle());
  std::vector<double> ns;
  std::size_t sink = 0;
  for (int i = 0; i < samples + 1; ++i) {
    for (const auto spin_from = Clock::now(); Clock::now() - spin_from < idle;) {
    }
    const auto t0 = Clock::now();
    const auto decoded = decode_body_flat(Candle::kTypeId, flat);
    sink += decoded ? encode_body_flat(*decoded).size() : 0;
    if (i > 0) ns.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0).count());  // the first warms up
  }
  std::nth_element(ns.begin(), ns.begin() + static_cast<std::ptrdiff_t>(ns.size() / 2), ns.end());
  return sink > 0 ? ns[ns.size() / 2] : 0;
}

}  // namespace trader::bench
