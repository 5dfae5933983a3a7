#pragma once
// Reads a capture stream on a thread of its own, up to a few chunks of items ahead of the
// caller, so that reading (gunzip, JSON, decimals) and what the caller does with each item
// (an import journals it) run on two cores. The caller sees exactly what the stream gives,
// in its order: every item, each with the stream's counts as they were after it, then the
// end or the stream's error in its place.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "base/result.hpp"
#include "exchange/capture_stream.hpp"

namespace trader {

class CaptureReadAhead {
 public:
  struct Item {
    CaptureItem item;
    std::uint64_t lines = 0;       // the stream's lines() after this item
    std::uint64_t lines_read = 0;  // and its lines_read()
  };
  struct Sizes {
    std::size_t chunk_items = 1024;  // items handed over at a time
    std::size_t chunks_ahead = 4;    // filled chunks that may wait for the caller
  };

  explicit CaptureReadAhead(std::unique_ptr<CaptureStream> stream) : CaptureReadAhead(std::move(stream), Sizes{}) {}
  CaptureReadAhead(std::unique_ptr<CaptureStream> stream, Sizes sizes);
  // Stops the reading (it may be waiting for room, or reading ahead) and waits for it.
  ~CaptureReadAhead();

  // The next item, valid until the next call; nullptr at the end. The stream's error
  // comes after the items read before it, and ends the reading.
  Result<const Item*> next();
  // The stream's lines_read() at its end or error (valid once next() said so).
  std::uint64_t lines_read_at_end() const { return end_lines_read_; }

  CaptureReadAhead(const CaptureReadAhead&) = delete;
  CaptureReadAhead& operator=(const CaptureReadAhead&) = delete;

 private:
  struct Chunk {
    std::vector<Item> items;  // reused: their messages keep their capacity
    std::size_t size = 0;
    bool last = false;               // the stream ended (or failed) after these
    std::optional<Error> error;      // what it failed with
    std::uint64_t end_lines_read = 0;
  };
  void read();  // the reading thread

  std::unique_ptr<CaptureStream> stream_;
  Sizes sizes_;
  std::mutex mutex_;
  std::condition_variable filled_cv_, room_cv_;
  std::deque<std::unique_ptr<Chunk>> filled_;  // in stream order
  std::vector<std::unique_ptr<Chunk>> spare_;  // handed back by the caller
  bool stop_ = false;
  std::unique_ptr<Chunk> current_;  // the caller's
  std::size_t at_ = 0;
  bool ended_ = false;
  std::uint64_t end_lines_read_ = 0;
  std::thread thread_;  // last: started once everything above exists
};

}  // namespace trader
