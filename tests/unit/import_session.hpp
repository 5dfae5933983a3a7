#pragma once
// A test journal's import session: files imported between a session's opening and its
// end, as `trader-tools import` records them.
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "journal/journal.hpp"
#include "tools/trader_tools/capture_import.hpp"

namespace trader::test {

inline ImportReport import_session(journal::Writer& writer, std::vector<std::string> files,
                                   std::int64_t end_ts_ns = 0) {
  journal::SessionInfo session;
  session.node_id = "import";
  auto id = writer.begin_session(session);
  REQUIRE(id.has_value());
  ImportOptions options;
  options.files = std::move(files);
  auto report = import_captures(writer, options);
  REQUIRE_MESSAGE(report.has_value(), (report ? "" : report.error().message));
  REQUIRE(writer.end_session(*id, end_ts_ns, "completed").has_value());
  return *report;
}

}  // namespace trader::test
