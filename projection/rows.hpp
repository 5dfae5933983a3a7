#pragma once
// What one journal record becomes in the read model: pure, no database. The same record
// always gives the same rows, so a record projected twice is recognised by its key.
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "base/result.hpp"
#include "journal/journal.hpp"
#include "projection/tables.hpp"

namespace trader::projection {

struct Money {
  std::int64_t fixed = 0;  // 10^-8 units (messages/fixed_point.hpp)
};
struct Null {};
using Value = std::variant<Null, std::int64_t, Money, std::string, bool>;

struct Row {
  TableId table;
  std::vector<Value> values;  // one per column of the table, after journal_id
};

struct RowOptions {
  bool candles = false;  // candles are many and rebuilt from market data: only on request
};

// Appends the rows of one record. An error (a value outside what the columns hold) names
// the seq; nothing is appended then.
Status add_rows(const EnvelopeHeader& header, const Message& body, const RowOptions& options, std::vector<Row>& out);

// The UTC day of a time in milliseconds, "2023-03-01" (floor: before 1970 too).
std::string utc_day_of_ms(std::int64_t ts_ms);

// A session's row. `strategy`, `mode` and `model_id` come from its journaled config.
Row session_row(const journal::SessionInfo& s, std::string mode, std::string strategy, std::string model_id);

}  // namespace trader::projection
