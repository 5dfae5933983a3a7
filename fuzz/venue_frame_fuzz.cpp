// libFuzzer target: one venue's frame decoder (FUZZ_VENUE: coinbase, kucoin or kucoin_futures; what
// arrives from the network or a capture). Anything may come in; the decoder must classify
// it without crashing (one decoder for all inputs, as for a connection, so what it keeps
// across frames is exercised too), and each message it accepts must encode and decode
// back to the same message.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <capnp/message.h>

#include "exchange/frame_decoder.hpp"
#include "messages/message_codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto decoder = trader::make_frame_decoder(trader::VenueId::FUZZ_VENUE);
  for (const auto& frame : decoder->decode(std::string_view(reinterpret_cast<const char*>(data), size))) {
    if (frame.kind == trader::ParsedFrame::Kind::message) {
      capnp::MallocMessageBuilder builder;
      auto root = builder.initRoot<capnp::AnyPointer>();
      trader::encode_body(frame.message, root);
      auto back = trader::decode_body(trader::type_id_of(frame.message), root.asReader());
      if (!back || !(*back == frame.message)) std::abort();
    } else if (frame.kind == trader::ParsedFrame::Kind::malformed && frame.error.empty()) {
      std::abort();  // a malformed frame must say what is wrong
    }
  }
  return 0;
}
