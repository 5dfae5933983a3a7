#pragma once
// Maps the C++ value types to their Cap'n Proto structs and back. The journal stores
// the Cap'n Proto form inside an Envelope's `body`.
#include <cstdint>
#include <span>
#include <vector>

#include <capnp/any.h>
#include <capnp/common.h>
#include <capnp/message.h>
#include <kj/common.h>

#include "base/result.hpp"
#include "messages/message_types.hpp"

namespace trader {

// Writes `message` as the struct its type id names into `body`.
void encode_body(const Message& message, capnp::AnyPointer::Builder body);

// Reads the struct named by `type_id`. Unknown ids and malformed data are errors.
Result<Message> decode_body(std::uint16_t type_id, capnp::AnyPointer::Reader body);

// A body as a standalone packed Cap'n Proto message (root = the body struct): the form
// actors hand their outputs to the journal in.
std::vector<std::uint8_t> encode_body_packed(const Message& message);
// And back: a packed body of the type `type_id` names. Malformed bytes are an error.
Result<Message> decode_body_packed(std::uint16_t type_id, std::span<const std::uint8_t> packed);

// A body in Cap'n Proto's canonical form (one segment, trailing zero words and null
// pointers dropped): the same bytes for the same content on any build, and for a record
// written before the schema grew fields it leaves empty. What decision hashes are over.
std::vector<std::uint8_t> encode_body_canonical(const Message& message);

// A body as a standalone unpacked Cap'n Proto message (segment table, then segments): the
// form messages travel in between the node's actors. Reading it unpacks nothing.
std::vector<std::uint8_t> encode_body_flat(const Message& message);
// And back. Malformed bytes are an error.
Result<Message> decode_body_flat(std::uint16_t type_id, std::span<const std::uint8_t> flat);

// How to read a message of `words` words: Cap'n Proto's traversal limit (8M words by
// default, whatever the message's size) bounded by a few readings of the message itself.
// A list of zero-sized elements costs no words but counts one an element, so a record of a
// few dozen bytes could otherwise hold millions of elements to decode and render (a
// 53-byte record took 14 s). Reading more than that is an error, as a damaged pointer is.
capnp::ReaderOptions reader_options_for(std::size_t words);
// The same for a packed message of `bytes` bytes, by the most words it can unpack to (a
// run of zero words packs to two bytes for up to 256 of them).
capnp::ReaderOptions reader_options_for_packed(std::size_t bytes);
// The words of a flat message, for a capnp::FlatArrayMessageReader: in place when the
// bytes are word-aligned, else copied into `scratch`. A size that is not whole words is an error.
Result<kj::ArrayPtr<const capnp::word>> flat_words(std::span<const std::uint8_t> flat,
                                                    std::vector<std::uint64_t>& scratch);

}  // namespace trader
