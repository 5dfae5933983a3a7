#pragma once
// The message a decoded frame holds, as T: a test failure when it holds something else.
#include <doctest/doctest.h>

#include "exchange/frame_decoder.hpp"

namespace trader::test {

template <class T>
const T& as(const ParsedFrame& f) {
  REQUIRE(f.kind == ParsedFrame::Kind::message);
  REQUIRE(std::holds_alternative<T>(f.message));
  return std::get<T>(f.message);
}

}  // namespace trader::test
