#include "actors/state_codec.hpp"

#include "messages/message_codec.hpp"

namespace trader {

void StateWriter::message(const Message& m) {
  u32(type_id_of(m));
  const auto body = encode_body_packed(m);
  u32(static_cast<std::uint32_t>(body.size()));
  put(body.data(), body.size());
}

Message StateReader::message() {
  const auto type = static_cast<std::uint16_t>(u32());
  const auto n = u32();
  if (!ok_ || n > in_.size() - pos_) {
    ok_ = false;
    return Message{};
  }
  auto m = decode_body_packed(type, in_.subspan(pos_, n));
  pos_ += n;
  if (!m) {
    ok_ = false;
    return Message{};
  }
  return std::move(*m);
}

}  // namespace trader
