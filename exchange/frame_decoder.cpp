#include "exchange/frame_decoder.hpp"

#include "exchange/binance/frame_parser.hpp"
#include "exchange/coinbase/frame_parser.hpp"

namespace trader {

std::unique_ptr<FrameDecoder> make_frame_decoder(VenueId venue) {
  switch (venue) {
    case VenueId::coinbase:
      return std::make_unique<coinbase::FrameParser>();
    case VenueId::binance:
      return std::make_unique<binance::FrameParser>();
    case VenueId::kucoin:
      break;
  }
  return nullptr;
}

}  // namespace trader
