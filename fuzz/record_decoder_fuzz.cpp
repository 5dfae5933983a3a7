// libFuzzer target: the journal's record decoder, as used on every read. Damaged bytes
// (a bad disk, an edited file) must be an error naming the seq, never a crash; a record
// that passes its checksum must decode and render.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>

#include "journal/record_format.hpp"
#include "messages/message_json.hpp"
#include "messages/type_registry.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace journal = trader::journal;
  static journal::RecordDecoder v1(journal::kFormatV1), v2(journal::kFormatV2);
  static trader::MessageJson json;
  // Both formats (by the first byte's second bit); half of the inputs get a valid
  // checksum, so the fuzzer reaches the header and the Cap'n Proto decoding.
  const std::uint32_t format = size >= 1 && (data[0] & 2) ? journal::kFormatV2 : journal::kFormatV1;
  auto& decoder = format == journal::kFormatV1 ? v1 : v2;
  std::string stored(reinterpret_cast<const char*>(data), size);
  if (size >= 4 && (data[0] & 1)) {
    const auto sum = journal::record_checksum(
        format, 7, std::span(reinterpret_cast<const std::uint8_t*>(stored.data()) + 4, size - 4));
    std::memcpy(stored.data(), &sum, 4);
  }
  auto rec = decoder.decode(7, std::span(reinterpret_cast<const std::uint8_t*>(stored.data()), stored.size()));
  if (!rec) {
    if (rec.error().message.rfind("seq 7:", 0) != 0) std::abort();  // errors name the seq
    return 0;
  }
  auto body = (*rec)->body();
  if (!body) {
    if (body.error().message.rfind("seq 7:", 0) != 0) std::abort();  // so do a body's
  } else if (const auto* type = trader::find_type((*rec)->header.type_id)) {
    (void)(*rec)->decode();
    std::string out;
    (void)json.append_body(out, *type, *body);
  }
  (void)trader::journal::decode_batch(std::span(data, size));
  (void)trader::journal::decode_session(std::span(data, size));
  return 0;
}
