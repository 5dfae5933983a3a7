#include "exchange/frame_decoder.hpp"

#include <simdjson.h>

#include "exchange/binance/frame_parser.hpp"
#include "exchange/coinbase/frame_parser.hpp"
#include "exchange/kucoin/frame_parser.hpp"

namespace trader {

static_assert(simdjson::SIMDJSON_PADDING <= FrameDecoder::kPadding);

std::vector<ParsedFrame> FrameDecoder::decode(std::string_view json) {
  padded_.assign(json);
  padded_.append(kPadding, ' ');
  std::vector<ParsedFrame> out;
  decode(padded_.data(), json.size(), padded_.size(), out);
  return out;
}

bool FrameDecoder::decoded_padded(const char* json, std::size_t len, std::size_t capacity,
                                  std::vector<ParsedFrame>& out) {
  if (capacity >= len + kPadding) return false;
  for (auto& f : decode(std::string_view(json, len))) out.push_back(std::move(f));
  return true;
}

std::unique_ptr<FrameDecoder> make_frame_decoder(VenueId venue) {
  switch (venue) {
    case VenueId::coinbase:
      return std::make_unique<coinbase::FrameParser>();
    case VenueId::binance:
      return std::make_unique<binance::FrameParser>();
    case VenueId::kucoin:
      return std::make_unique<kucoin::FrameParser>();
    case VenueId::binance_usdm:
      return std::make_unique<binance::FrameParser>(VenueId::binance_usdm);
    case VenueId::kucoin_futures:
      return std::make_unique<kucoin::FrameParser>(VenueId::kucoin_futures);
  }
  return nullptr;
}

}  // namespace trader
