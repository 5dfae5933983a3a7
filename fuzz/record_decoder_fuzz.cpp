// libFuzzer target: the journal's record decoder, as used on every read. Damaged bytes
// (a bad disk, an edited file) must be an error naming the seq, never a crash; a record
// that passes its checksum must decode and render.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>

#include <xxhash.h>

#include "journal/record_format.hpp"
#include "messages/message_json.hpp"
#include "messages/type_registry.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static trader::journal::RecordDecoder decoder;
  static trader::MessageJson json;
  // Half of the inputs get a valid checksum, so the fuzzer reaches the Cap'n Proto decoding.
  std::string stored(reinterpret_cast<const char*>(data), size);
  if (size >= 4 && (data[0] & 1)) {
    const auto sum = static_cast<std::uint32_t>(XXH3_64bits(stored.data() + 4, size - 4));
    std::memcpy(stored.data(), &sum, 4);
  }
  auto rec = decoder.decode(7, std::span(reinterpret_cast<const std::uint8_t*>(stored.data()), stored.size()));
  if (!rec) {
    if (rec.error().message.rfind("seq 7:", 0) != 0) std::abort();  // errors name the seq
    return 0;
  }
  (void)(*rec)->decode();
  if (const auto* type = trader::find_type((*rec)->header.type_id)) {
    std::string out;
    (void)json.append_body(out, *type, (*rec)->body);
  }
  (void)trader::journal::decode_batch(std::span(data, size));
  (void)trader::journal::decode_session(std::span(data, size));
  return 0;
}
