#pragma once
// Shared by the unit tests that read a journal back: every record a filter selects,
// decoded, in seq order. A read or decode error fails the calling test.
#include <doctest/doctest.h>

#include "journal/journal.hpp"

namespace trader::test {

// Calls fn(record, message) for each record `filter` selects.
template <class Fn>
void for_each_decoded(journal::Reader& reader, const journal::Filter& filter, Fn&& fn) {
  auto cursor = reader.scan(filter);
  REQUIRE_MESSAGE(cursor.has_value(), (cursor ? "" : cursor.error().message));
  for (;;) {
    auto rec = cursor->next();
    REQUIRE_MESSAGE(rec.has_value(), (rec ? "" : rec.error().message));
    if (*rec == nullptr) break;
    auto message = (*rec)->decode();
    REQUIRE_MESSAGE(message.has_value(), (message ? "" : message.error().message));
    fn(**rec, *message);
  }
}

}  // namespace trader::test
