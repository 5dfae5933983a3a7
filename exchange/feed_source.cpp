#include "exchange/feed_source.hpp"

#include "exchange/frame_decoder.hpp"

namespace trader {

void set_from_frame(ParsedFrame&& parsed, CaptureItem& item) {
  item.stream.clear();
  item.error.clear();
  switch (parsed.kind) {
    case ParsedFrame::Kind::message:
      item.kind = CaptureItem::Kind::message;
      item.message = std::move(parsed.message);
      break;
    case ParsedFrame::Kind::unknown_stream:
      item.kind = CaptureItem::Kind::unknown_stream;
      item.stream = std::move(parsed.stream);
      break;
    case ParsedFrame::Kind::malformed:
      item.kind = CaptureItem::Kind::malformed;
      item.error = std::move(parsed.error);
      break;
  }
}

}  // namespace trader
