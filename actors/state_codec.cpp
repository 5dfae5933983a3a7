#include "actors/state_codec.hpp"

#include <capnp/serialize-packed.h>
#include <kj/io.h>

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
  try {
    kj::ArrayInputStream stream(kj::ArrayPtr<const kj::byte>(in_.data() + pos_, n));
    capnp::PackedMessageReader reader(stream);
    pos_ += n;
    auto m = decode_body(type, reader.getRoot<capnp::AnyPointer>());
    if (!m) {
      ok_ = false;
      return Message{};
    }
    return std::move(*m);
  } catch (const kj::Exception&) {
    ok_ = false;
    return Message{};
  }
}

}  // namespace trader
