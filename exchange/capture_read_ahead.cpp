#include "exchange/capture_read_ahead.hpp"

#include <algorithm>
#include <exception>
#include <string>

namespace trader {

CaptureReadAhead::CaptureReadAhead(std::unique_ptr<CaptureStream> stream, Sizes sizes)
    : stream_(std::move(stream)),
      sizes_{std::max<std::size_t>(1, sizes.chunk_items), std::max<std::size_t>(1, sizes.chunks_ahead)},
      thread_([this] { read(); }) {}

CaptureReadAhead::~CaptureReadAhead() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  room_cv_.notify_all();
  thread_.join();
}

namespace {
// The stream's next item; what it throws (no memory, say) is an error like any other, in
// its place, rather than the end of the process from a thread nobody asked.
Result<bool> next_of(CaptureStream& stream, CaptureItem& item) {
  try {
    return stream.next(item);
  } catch (const std::exception& e) {
    return fail(std::string("reading the capture failed: ") + e.what());
  }
}
}  // namespace

void CaptureReadAhead::read() {
  for (;;) {
    std::unique_ptr<Chunk> chunk;
    {
      std::unique_lock lock(mutex_);
      room_cv_.wait(lock, [&] { return stop_ || filled_.size() < sizes_.chunks_ahead; });
      if (stop_) return;
      if (!spare_.empty()) {
        chunk = std::move(spare_.back());
        spare_.pop_back();
      }
    }
    if (!chunk) chunk = std::make_unique<Chunk>();
    chunk->items.resize(sizes_.chunk_items);
    chunk->size = 0;
    chunk->last = false;
    chunk->error.reset();
    while (chunk->size < sizes_.chunk_items) {
      Item& it = chunk->items[chunk->size];
      const auto more = next_of(*stream_, it.item);
      if (!more || !*more) {
        chunk->last = true;
        if (!more) chunk->error = more.error();
        chunk->end_lines_read = stream_->lines_read();
        break;
      }
      it.lines = stream_->lines();
      it.lines_read = stream_->lines_read();
      ++chunk->size;
    }
    const bool last = chunk->last;
    {
      std::lock_guard lock(mutex_);
      if (stop_) return;
      filled_.push_back(std::move(chunk));
    }
    filled_cv_.notify_one();
    if (last) return;
  }
}

Result<const CaptureReadAhead::Item*> CaptureReadAhead::next() {
  for (;;) {
    if (current_ && at_ < current_->size) return &current_->items[at_++];
    if (ended_) return nullptr;
    if (current_ && current_->last) {
      ended_ = true;
      end_lines_read_ = current_->end_lines_read;
      if (current_->error) return tl::unexpected(*current_->error);
      return nullptr;
    }
    std::unique_lock lock(mutex_);
    if (current_) spare_.push_back(std::move(current_));
    filled_cv_.wait(lock, [&] { return !filled_.empty(); });
    current_ = std::move(filled_.front());
    filled_.pop_front();
    at_ = 0;
    lock.unlock();
    room_cv_.notify_one();
  }
}

}  // namespace trader
