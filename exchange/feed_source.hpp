#pragma once
// Where market data enters the node: a recorded capture or a live stream, one item at a
// time, each a parsed message, an unknown stream, a malformed frame, or (live) the
// source's own connection status.
#include <cstdint>
#include <string>

#include "base/result.hpp"
#include "messages/message_types.hpp"

namespace trader {

struct ParsedFrame;

struct CaptureItem {
  enum class Kind { message, unknown_stream, malformed, status };  // status: the source's own FeedStatus
  Kind kind = Kind::malformed;
  std::int64_t recv_ts_ns = 0;  // for a line without a valid time: the file's previous one
  Message message;
  std::string stream;           // unknown_stream: its name
  std::string error;            // malformed: what is wrong
  std::string where;            // "file:line"
};


class FeedSource {
 public:
  virtual ~FeedSource() = default;
  // The next item; false at the end (a capture's end, or a live source told to stop).
  virtual Result<bool> next(CaptureItem& item) = 0;
  // Items delivered so far (the feed position journaled with each input).
  virtual std::uint64_t lines() const = 0;
  // Live sources are not paced, not fast-forwarded on resume, and hand over every item at once.
  virtual bool live() const { return false; }
};

// Fills `item` (kind, message / stream / error) from a parsed frame.
void set_from_frame(ParsedFrame&& parsed, CaptureItem& item);

}  // namespace trader
