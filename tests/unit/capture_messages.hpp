#pragma once
// The messages of a capture in tests/data, in the order its stream reads them.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "exchange/capture_stream.hpp"

namespace trader::test {

inline std::vector<Message> capture_messages(const std::string& name) {
  auto stream = CaptureStream::open({std::string(TRADER_TEST_DATA_DIR) + "/" + name});
  REQUIRE_MESSAGE(stream.has_value(), name);
  std::vector<Message> out;
  CaptureItem item;
  for (;;) {
    auto more = (*stream)->next(item);
    REQUIRE_MESSAGE(more.has_value(), name);
    if (!*more) break;
    if (item.kind == CaptureItem::Kind::message) out.push_back(item.message);
  }
  return out;
}

}  // namespace trader::test
