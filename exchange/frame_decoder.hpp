#pragma once
// One venue's market-data frames, decoded into messages. A frame may hold several (a
// Coinbase market_trades frame carries every trade of its 250 ms) or none (a heartbeat).
// A decoder keeps what a connection's frames need across them (Coinbase's frame
// numbering, the symbol of Binance's REST depth snapshots): one decoder per connection or
// capture file. Exchange ids and times are kept; prices and quantities become fixed point
// exactly or the frame is malformed.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "messages/instrument.hpp"
#include "messages/message_types.hpp"

namespace trader {

struct ParsedFrame {
  enum class Kind { message, unknown_stream, malformed };
  Kind kind = Kind::malformed;
  Message message;
  std::string stream;  // the frame's stream or channel name, when it has one
  std::string error;   // for malformed frames: what is wrong
};

class FrameDecoder {
 public:
  static constexpr std::size_t kPadding = 64;  // simdjson's: what a frame's reader may touch past its end

  virtual ~FrameDecoder() = default;
  // Appends what one frame says, in order. `json` must stay readable for `capacity`
  // bytes, with capacity >= len + kPadding; bytes past `len` are never interpreted. With
  // less capacity the decoder copies the frame first (padded()).
  virtual void decode(const char* json, std::size_t len, std::size_t capacity, std::vector<ParsedFrame>& out) = 0;
  // For callers without padding: what one frame says, decoded from a padded copy.
  std::vector<ParsedFrame> decode(std::string_view json);
  // A new connection begins: numbering that runs per connection starts afresh.
  virtual void reset() {}
  // REST depth snapshots that carry no symbol take this one (Binance, KuCoin).
  virtual void set_snapshot_symbol(std::string) {}

 protected:
  // For an implementation handed less than kPadding past the frame: decodes a padded copy
  // into `out` and says so (true), or says the frame may be read in place (false).
  bool decoded_padded(const char* json, std::size_t len, std::size_t capacity, std::vector<ParsedFrame>& out);

 private:
  std::string padded_;
};

// The decoder of a venue's frames (nullptr for a venue it does not know).
std::unique_ptr<FrameDecoder> make_frame_decoder(VenueId venue);

}  // namespace trader
