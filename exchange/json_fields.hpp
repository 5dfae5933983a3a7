#pragma once
// Reading a venue frame's fields (simdjson DOM): each reader returns false and keeps the
// first failure ("field \"price\": not a decimal with at most 8 places"), so a decoder
// reads a frame in one chain of &&s and says what is wrong with it first. Venue decoders
// add their own readers (times, symbols) on top.
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <simdjson.h>

#include "base/result.hpp"
#include "messages/fixed_point.hpp"
#include "messages/instrument.hpp"

namespace trader {

// A frame's root object, or why it has none ("not JSON: ...", "not a JSON object"). `json`
// is read in place: simdjson's padding must follow it.
inline Result<simdjson::dom::object> parse_object(simdjson::dom::parser& parser, const char* json, std::size_t len) {
  simdjson::dom::element doc;
  if (auto err = parser.parse(json, len, false).get(doc); err != simdjson::SUCCESS)
    return fail(std::string("not JSON: ") + simdjson::error_message(err));
  simdjson::dom::object root;
  if (doc.get_object().get(root) != simdjson::SUCCESS) return fail("not a JSON object");
  return root;
}

struct JsonFields {
  std::string error;

  bool fail(std::string_view key, std::string_view what) {
    if (error.empty()) error = fmt::format("field \"{}\": {}", key, what);
    return false;
  }
  bool str(simdjson::dom::object o, std::string_view key, std::string_view& out) {
    if (o[key].get_string().get(out) != simdjson::SUCCESS) return fail(key, "missing or not a string");
    return true;
  }
  // An exact decimal written as a string ("61837.63", or with trailing zeros past the 8th place).
  bool fixed(std::string_view key, std::string_view text, std::int64_t& out) {
    const auto f = parse_fixed(text);
    if (!f) return fail(key, "not a decimal with at most 8 places");
    out = *f;
    return true;
  }
  bool fixed(simdjson::dom::object o, std::string_view key, std::int64_t& out) {
    std::string_view v;
    return str(o, key, v) && fixed(key, v, out);
  }
  // Ids and times written as strings of digits.
  bool digits(simdjson::dom::object o, std::string_view key, std::uint64_t& out) {
    std::string_view v;
    if (!str(o, key, v)) return false;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (v.empty() || ec != std::errc() || end != v.data() + v.size()) return fail(key, "not a whole number");
    return true;
  }
  // A venue's own symbol, as messages name the instrument ("BTC-USD" -> "BTC-USD@coinbase").
  bool instrument(simdjson::dom::object o, std::string_view key, VenueId venue, std::string& out) {
    std::string_view v;
    if (!str(o, key, v)) return false;
    auto parsed = parse_instrument(instrument_name(venue, v));
    if (!parsed) return fail(key, parsed.error().message);
    out = parsed->name();
    return true;
  }
  bool array(simdjson::dom::object o, std::string_view key, simdjson::dom::array& out) {
    if (o[key].get_array().get(out) != simdjson::SUCCESS) return fail(key, "missing or not an array");
    return true;
  }
  bool object(simdjson::dom::element e, std::string_view what, simdjson::dom::object& out) {
    if (e.get_object().get(out) != simdjson::SUCCESS) return fail(what, "not an object");
    return true;
  }
};

}  // namespace trader
