#pragma once
// Reads several captures as one stream: lines merged by receive time (ties keep file
// order), each parsed by a Binance frame parser of its own file. Used by `import` and by
// the node's market feed, so both see exactly the same messages.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "exchange/feed_source.hpp"

namespace trader {

class CaptureStream final : public FeedSource {
 public:
  // `snapshot_symbol`: the symbol for REST depth snapshots; by default each file's
  // snapshots take the symbol of the frames before them.
  static Result<std::unique_ptr<CaptureStream>> open(const std::vector<std::string>& files,
                                                     const std::string& snapshot_symbol = "");
  ~CaptureStream();

  // The next line; false at the end. A read error (damaged gzip) names the file and line.
  Result<bool> next(CaptureItem& item) override;
  std::uint64_t lines() const override;

  CaptureStream(const CaptureStream&) = delete;
  CaptureStream& operator=(const CaptureStream&) = delete;

 private:
  struct Impl;
  explicit CaptureStream(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace trader
