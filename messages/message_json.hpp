#pragma once
// Renders a journaled message body as JSON, generically, from its Cap'n Proto schema:
// field names in snake_case, fixed-point fields (annotated `$fixed(n)`) as exact decimal
// strings, enums by name, 64-bit integers as JSON numbers. One renderer serves every
// message type, so a new type is dumpable the day it is registered.
#include <string>

#include <capnp/any.h>

#include "base/result.hpp"
#include "messages/message_types.hpp"
#include "messages/type_registry.hpp"

namespace trader {

class MessageJson {
 public:
  // Appends the body of type `type` as a JSON object to `out`.
  Status append_body(std::string& out, const TypeInfo& type, capnp::AnyPointer::Reader body);

  MessageJson();
  ~MessageJson();
  MessageJson(const MessageJson&) = delete;
  MessageJson& operator=(const MessageJson&) = delete;

 private:
  struct Impl;
  Impl* impl_;
};

// A message value as JSON, the same rendering as dump --json gives its body.
std::string to_json(const Message& message);

// Appends `text` as a JSON string literal (quoted and escaped).
void append_json_string(std::string& out, std::string_view text);
inline std::string to_json_string(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

// Appends a double as the shortest JSON number that reads back as the same double; NaN and
// infinity, which JSON lacks, as null.
void append_json_number(std::string& out, double value);

// "exchangeTsMs" -> "exchange_ts_ms".
std::string snake_case(std::string_view camel);

}  // namespace trader
