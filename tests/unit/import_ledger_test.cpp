// tools/trader_tools/import_ledger.hpp: a capture's bytes are imported into a journal once.
#include <doctest/doctest.h>

#include <fstream>

#include "test_support.hpp"
#include "tools/trader_tools/import_ledger.hpp"

using namespace trader;

TEST_CASE("import ledger: files are named by their bytes' SHA-256, the same bytes twice are refused, an empty file is left out") {
  test::TempDir dir;
  std::ofstream(dir.sub("a.txt")) << "abc";
  std::ofstream(dir.sub("copy.txt")) << "abc";
  std::ofstream(dir.sub("b.txt")) << "abd";
  std::ofstream(dir.sub("empty.txt"));
  auto ids = identify_capture_files({dir.sub("a.txt"), dir.sub("empty.txt"), dir.sub("b.txt")});
  REQUIRE_MESSAGE(ids.has_value(), (ids ? "" : ids.error().message));
  REQUIRE(ids->size() == 2);
  CHECK((*ids)[0].sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");  // FIPS 180-2's "abc"
  CHECK((*ids)[0].bytes == 3);
  CHECK((*ids)[1].path == dir.sub("b.txt"));
  CHECK(imported_file_key((*ids)[0]) == "import.file.ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto twice = identify_capture_files({dir.sub("a.txt"), dir.sub("b.txt"), dir.sub("copy.txt")});
  REQUIRE_FALSE(twice.has_value());
  CHECK(twice.error().message == dir.sub("a.txt") + " and " + dir.sub("copy.txt") +
                                     " hold the same bytes: a capture is imported once");
  auto missing = identify_capture_files({dir.sub("none.gz")});
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().message.find(dir.sub("none.gz") + ": cannot read it") == 0);
}

TEST_CASE("import ledger: a journal records what it imported, and refuses those bytes again, naming the session") {
  test::TempDir files, dir;
  std::ofstream(files.sub("day1.gz")) << "the first day's bytes";
  std::ofstream(files.sub("day2.gz")) << "the second day's bytes";
  auto day1 = identify_capture_files({files.sub("day1.gz")});
  auto day2 = identify_capture_files({files.sub("day2.gz")});
  REQUIRE(day1.has_value());
  REQUIRE(day2.has_value());
  {
    auto w = journal::Writer::open(dir.path());
    REQUIRE(w.has_value());
    auto session = (*w)->begin_session({});
    REQUIRE(session.has_value());
    REQUIRE(record_imported(**w, *session, *day1).has_value());
    EnvelopeHeader h;
    h.recv_ts_ns = 1'000;
    h.source = Actor::market_feed;
    (*w)->append(h, Trade{"BTCUSDT", 6173763000000, 100000, 1, 2, 2, false});
    REQUIRE((*w)->commit().has_value());
    REQUIRE((*w)->end_session(*session, 5, "completed").has_value());
  }
  auto r = journal::Reader::open(dir.path());
  REQUIRE(r.has_value());
  auto meta = (*r)->meta();
  auto sessions = (*r)->sessions();
  REQUIRE(meta.has_value());
  REQUIRE(sessions.has_value());
  CHECK(meta->at(imported_file_key((*day1)[0])) == "session 1: day1.gz, 21 bytes");
  CHECK(refuse_imported_again(*meta, *sessions, *day2).has_value());  // other bytes: imported
  auto again = refuse_imported_again(*meta, *sessions, *day1);
  REQUIRE_FALSE(again.has_value());
  CHECK(again.error().message == files.sub("day1.gz") +
                                     " is in this journal already: session 1: day1.gz, 21 bytes, which ended at seq 1 "
                                     "(completed). Importing it again would hold its records twice (replay, what-if "
                                     "and training would see them twice); --again imports it anyway");
  // The record is under the hash chain: an edit that hides it fails verify.
  auto v = journal::verify(dir.path());
  REQUIRE_MESSAGE(v.has_value(), (v ? "" : v.error().message));
  CHECK(v->unattested.empty());
}
