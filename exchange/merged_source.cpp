#include "exchange/merged_source.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

namespace trader {

struct MergedSource::Impl {
  std::vector<std::unique_ptr<FeedSource>> sources;
  const std::atomic<bool>* stop = nullptr;
  mutable std::mutex mu;
  std::condition_variable ready;   // an item, an end or an error is there
  std::condition_variable room;    // the queue has room again
  std::deque<CaptureItem> queue;
  std::optional<Error> failed;
  std::size_t running = 0;
  bool closing = false;            // the merge is being destroyed: readers stop
  std::uint64_t items = 0;
  std::vector<std::thread> readers;
  static constexpr std::size_t kMaxQueued = 4096;  // a reader waits beyond this (the consumer is behind)

  void read(FeedSource& source) {
    for (;;) {
      CaptureItem item;
      auto got = source.next(item);
      std::unique_lock lock(mu);
      if (!got || !*got) {
        if (!got && !failed) failed = got.error();
        --running;
        ready.notify_all();
        return;
      }
      room.wait(lock, [&] { return queue.size() < kMaxQueued || closing; });
      if (closing) {
        --running;
        return;
      }
      queue.push_back(std::move(item));
      ready.notify_one();
    }
  }
};

MergedSource::MergedSource(std::vector<std::unique_ptr<FeedSource>> sources, const std::atomic<bool>* stop)
    : impl_(std::make_unique<Impl>()) {
  auto& s = *impl_;
  s.sources = std::move(sources);
  s.stop = stop;
  s.running = s.sources.size();
  for (auto& source : s.sources) s.readers.emplace_back([&s, src = source.get()] { s.read(*src); });
}

MergedSource::~MergedSource() {
  auto& s = *impl_;
  {
    std::lock_guard lock(s.mu);
    s.closing = true;
  }
  s.room.notify_all();
  // Each source ends its read on `stop` (the node sets it before the feed goes away).
  for (auto& t : s.readers) t.join();
}

std::uint64_t MergedSource::lines() const {
  std::lock_guard lock(impl_->mu);
  return impl_->items;
}

Result<bool> MergedSource::next(CaptureItem& item) {
  auto& s = *impl_;
  std::unique_lock lock(s.mu);
  // Waits in slices so that a stop is seen even while every source is quiet.
  while (s.queue.empty() && !s.failed && s.running > 0) {
    if (s.stop != nullptr && s.stop->load()) return false;
    s.ready.wait_for(lock, std::chrono::milliseconds(50));
  }
  if (!s.queue.empty()) {
    item = std::move(s.queue.front());
    s.queue.pop_front();
    ++s.items;
    s.room.notify_one();
    return true;
  }
  if (s.failed) return tl::unexpected(*s.failed);
  return false;
}

}  // namespace trader
