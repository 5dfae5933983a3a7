#pragma once
// Stable type ids and names of every journaled message. An id, once shipped, is never
// reused for another type: journals written today must decode tomorrow.
#include <cstdint>
#include <span>
#include <string_view>

#include <capnp/schema.h>

namespace trader {

struct TypeInfo {
  std::uint16_t id;
  std::string_view name;           // snake_case, as the tools print and filter it
  std::uint16_t schema_version;    // bumped when the schema changes incompatibly
  capnp::StructSchema schema;      // for generic decoding (dump --json)
};

std::span<const TypeInfo> all_types();
const TypeInfo* find_type(std::uint16_t id);
const TypeInfo* find_type(std::string_view name);

}  // namespace trader
