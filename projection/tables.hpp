#pragma once
// The SQL read model of a journal: its tables, described once. Both databases' DDL is
// generated from this description (schema.cpp), and the rows (rows.hpp) fill its columns
// in this order.
//
// Every table has an implicit first column `journal_id` (text): one database may hold
// several journals. Record tables are keyed by (journal_id, seq[, the row's index within
// its record]) and only ever appended to, so projecting a record twice changes nothing.
// Money, prices and quantities are exact: NUMERIC(38,8) in PostgreSQL, decimal text in
// SQLite (never a float).
#include <cstdint>
#include <span>
#include <string_view>

namespace trader::projection {

// Bumped with every change to a table; schema.cpp keeps the steps from each older version.
inline constexpr int kSchemaVersion = 7;

// json: JSONB in PostgreSQL, text SQLite's json functions read.
enum class ColumnKind : std::uint8_t { integer, text, money, boolean, json };

struct Column {
  std::string_view name;
  ColumnKind kind;
  bool nullable = false;
};

enum class TableId : std::uint8_t {
  sessions,
  signals,
  intents,
  risk_decisions,
  risk_states,
  order_requests,
  order_events,
  fills,
  portfolio,
  positions,
  balances,
  candles,  // only with ProjectOptions::candles
  errors,
  feed_status,
  operator_commands,
  alerts,  // what the alert rules raise (alert_rows.hpp)
  liquidations,  // a venue's closing of a perpetual position: no order, no fill (schema 7)
};
inline constexpr std::size_t kTableCount = 17;

struct Table {
  std::string_view name;
  std::span<const Column> columns;  // after journal_id
  std::span<const std::string_view> key;  // after journal_id
  // Replaced on conflict (a session's end arrives later); other tables keep the first row.
  bool replace_on_conflict = false;
};

const Table& table(TableId id);

}  // namespace trader::projection
