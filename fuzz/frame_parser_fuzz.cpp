// libFuzzer target: the Binance frame parser (what arrives from the network or a capture).
// Anything may come in; the parser must classify it without crashing, and a frame it
// accepts must encode and decode back to the same message.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <capnp/message.h>

#include "exchange/binance/frame_parser.hpp"
#include "messages/message_codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static trader::binance::FrameParser parser;
  parser.set_snapshot_symbol(size % 2 ? "BTCUSDT" : "");
  const auto frame = parser.parse(std::string_view(reinterpret_cast<const char*>(data), size));
  if (frame.kind == trader::binance::ParsedFrame::Kind::message) {
    capnp::MallocMessageBuilder builder;
    auto root = builder.initRoot<capnp::AnyPointer>();
    trader::encode_body(frame.message, root);
    auto back = trader::decode_body(trader::type_id_of(frame.message), root.asReader());
    if (!back || !(*back == frame.message)) std::abort();
  } else if (frame.kind == trader::binance::ParsedFrame::Kind::malformed && frame.error.empty()) {
    std::abort();  // a malformed frame must say what is wrong
  }
  return 0;
}
