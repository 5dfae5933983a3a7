#pragma once
// Reads several captures of one venue as one stream: lines merged by receive time (ties
// keep file order), each file decoded by a frame decoder of its own (a file is one
// connection's frames). A line may hold several messages (a Coinbase frame of trades) or
// none (a heartbeat); each message is one item, and lines() counts items, the feed
// position a resume skips to. Used by `import` and by the node's market feed, so both see
// exactly the same messages.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "exchange/capture_file.hpp"
#include "exchange/feed_source.hpp"
#include "messages/instrument.hpp"

namespace trader {

class CaptureStream final : public FeedSource {
 public:
  // `snapshot_symbol`: the symbol for REST depth snapshots; by default each file's
  // snapshots take the symbol of the frames before them.
  // `gunzip`: as CaptureFile::open, for each file.
  static Result<std::unique_ptr<CaptureStream>> open(const std::vector<std::string>& files,
                                                     const std::string& snapshot_symbol = "",
                                                     VenueId venue = VenueId::binance,
                                                     CaptureFile::Gunzip gunzip = CaptureFile::Gunzip::inline_);
  ~CaptureStream();

  // The next item; false at the end. A read error (damaged gzip) names the file and line.
  Result<bool> next(CaptureItem& item) override;
  std::uint64_t lines() const override;
  // Capture lines read so far (a line may make several items, or none).
  std::uint64_t lines_read() const;

  CaptureStream(const CaptureStream&) = delete;
  CaptureStream& operator=(const CaptureStream&) = delete;

 private:
  struct Impl;
  explicit CaptureStream(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace trader
