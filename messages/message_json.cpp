#include "messages/message_json.hpp"
#include "base/hex.hpp"

#include <cmath>
#include <map>
#include <vector>

#include <capnp/dynamic.h>
#include <fmt/format.h>

#include "messages/fixed_point.hpp"
#include "messages/message_codec.hpp"

#include <capnp/message.h>

namespace trader {
namespace {

constexpr std::uint64_t kFixedAnnotationId = 0xb1d6a3c0e4f2a701ULL;  // annotations.capnp

struct FieldPlan {
  capnp::StructSchema::Field field;
  std::string key;         // `"name":` ready to append
  int fixed_decimals = -1; // >= 0 for $fixed fields
};

int fixed_decimals_of(const capnp::StructSchema::Field& field) {
  for (auto a : field.getProto().getAnnotations())
    if (a.getId() == kFixedAnnotationId) return a.getValue().getUint8();
  return -1;
}

}  // namespace

struct MessageJson::Impl {
  // Plans per struct schema id: the annotation and name work is done once per type.
  std::map<std::uint64_t, std::vector<FieldPlan>> plans;

  const std::vector<FieldPlan>& plan(capnp::StructSchema schema) {
    auto [it, inserted] = plans.try_emplace(schema.getProto().getId());
    if (inserted) {
      for (auto f : schema.getFields()) {
        FieldPlan p{f, {}, fixed_decimals_of(f)};
        append_json_string(p.key, snake_case(f.getProto().getName().cStr()));
        p.key.push_back(':');
        it->second.push_back(std::move(p));
      }
    }
    return it->second;
  }

  void value(std::string& out, capnp::DynamicValue::Reader v, int fixed_decimals) {
    switch (v.getType()) {
      case capnp::DynamicValue::VOID: out += "null"; break;
      case capnp::DynamicValue::BOOL: out += v.as<bool>() ? "true" : "false"; break;
      case capnp::DynamicValue::INT:
        if (fixed_decimals >= 0) {
          out.push_back('"');
          out += format_fixed(v.as<std::int64_t>(), fixed_decimals);
          out.push_back('"');
        } else {
          fmt::format_to(std::back_inserter(out), "{}", v.as<std::int64_t>());
        }
        break;
      case capnp::DynamicValue::UINT: fmt::format_to(std::back_inserter(out), "{}", v.as<std::uint64_t>()); break;
      case capnp::DynamicValue::FLOAT: append_json_number(out, v.as<double>()); break;
      case capnp::DynamicValue::TEXT: {
        auto t = v.as<capnp::Text>();
        append_json_string(out, std::string_view(t.cStr(), t.size()));
        break;
      }
      case capnp::DynamicValue::DATA: {
        auto d = v.as<capnp::Data>();
        out.push_back('"');
        append_hex(out, {d.begin(), d.size()});
        out.push_back('"');
        break;
      }
      case capnp::DynamicValue::LIST: {
        auto list = v.as<capnp::DynamicList>();
        out.push_back('[');
        bool first = true;
        for (auto e : list) {
          if (!first) out.push_back(',');
          first = false;
          value(out, e, fixed_decimals);
        }
        out.push_back(']');
        break;
      }
      case capnp::DynamicValue::ENUM: {
        auto e = v.as<capnp::DynamicEnum>();
        KJ_IF_MAYBE(en, e.getEnumerant()) {
          append_json_string(out, snake_case(en->getProto().getName().cStr()));
        } else {
          fmt::format_to(std::back_inserter(out), "{}", e.getRaw());  // newer enumerant than this build
        }
        break;
      }
      case capnp::DynamicValue::STRUCT: object(out, v.as<capnp::DynamicStruct>()); break;
      default: out += "null"; break;  // capabilities and AnyPointer never occur in message bodies
    }
  }

  void object(std::string& out, capnp::DynamicStruct::Reader s) {
    out.push_back('{');
    bool first = true;
    for (const auto& p : plan(s.getSchema())) {
      // Members of a union are printed only when active.
      if (p.field.getProto().getDiscriminantValue() != capnp::schema::Field::NO_DISCRIMINANT) {
        KJ_IF_MAYBE(active, s.which()) {
          if (*active != p.field) continue;
        } else {
          continue;
        }
      }
      if (!first) out.push_back(',');
      first = false;
      out += p.key;
      value(out, s.get(p.field), p.fixed_decimals);
    }
    out.push_back('}');
  }
};

MessageJson::MessageJson() : impl_(new Impl) {}
MessageJson::~MessageJson() { delete impl_; }

Status MessageJson::append_body(std::string& out, const TypeInfo& type, capnp::AnyPointer::Reader body) {
  const auto mark = out.size();
  try {
    impl_->object(out, body.getAs<capnp::DynamicStruct>(type.schema));
    return {};
  } catch (const kj::Exception& e) {
    out.resize(mark);
    return fail(fmt::format("malformed {} body: {}", type.name, e.getDescription().cStr()));
  }
}

std::string to_json(const Message& message) {
  capnp::MallocMessageBuilder builder;
  auto root = builder.initRoot<capnp::AnyPointer>();
  encode_body(message, root);
  std::string out;
  MessageJson json;
  if (const TypeInfo* t = find_type(type_id_of(message)); !t || !json.append_body(out, *t, root.asReader())) return "null";
  return out;
}

void append_json_number(std::string& out, double value) {
  if (std::isfinite(value)) fmt::format_to(std::back_inserter(out), "{}", value);
  else out += "null";
}

void append_json_string(std::string& out, std::string_view text) {
  out.push_back('"');
  for (const char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

std::string snake_case(std::string_view camel) {
  std::string out;
  out.reserve(camel.size() + 4);
  for (const char c : camel) {
    if (c >= 'A' && c <= 'Z') {
      if (!out.empty()) out.push_back('_');
      out.push_back(static_cast<char>(c - 'A' + 'a'));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace trader
