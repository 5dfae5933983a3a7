#pragma once
// Several live sources as one: each is read on a thread of its own and its items are
// handed out in the order they arrive, so one venue's quiet stream or reconnect never
// holds up another's. The order is arrival order, thread timing and all: live items are
// inputs, journaled as they come, and replay takes the journal's order. A source that
// fails ends the merge with its error (the node stops on a feed it cannot keep); the merge
// ends once every source has.
#include <atomic>
#include <memory>
#include <vector>

#include "exchange/feed_source.hpp"

namespace trader {

class MergedSource final : public FeedSource {
 public:
  // `stop` ends every source's reads (they are given it in their own options too).
  MergedSource(std::vector<std::unique_ptr<FeedSource>> sources, const std::atomic<bool>* stop);
  ~MergedSource() override;
  Result<bool> next(CaptureItem& item) override;
  std::uint64_t lines() const override;
  bool live() const override { return true; }

  MergedSource(const MergedSource&) = delete;
  MergedSource& operator=(const MergedSource&) = delete;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace trader
