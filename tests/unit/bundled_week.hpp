#pragma once
// The bundled week of real BTCUSDC 1-minute klines (tests/data), imported into a journal:
// what the model tests build candles from.
#include <doctest/doctest.h>

#include <string>

#include "journal/journal.hpp"
#include "tools/trader_tools/capture_import.hpp"

namespace trader::test {

inline void import_bundled_week(const std::string& dir) {
  auto w = journal::Writer::open(dir);
  REQUIRE(w.has_value());
  ImportOptions o;
  o.files = {std::string(TRADER_TEST_DATA_DIR) + "/btcusdc_kline1m_20230301-07.gz"};
  REQUIRE(import_captures(**w, o).has_value());
}

}  // namespace trader::test
