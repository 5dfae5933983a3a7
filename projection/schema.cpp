#include "projection/schema.hpp"

#include <fmt/format.h>

namespace trader::projection {
namespace {

std::string_view sql_type(ColumnKind k, Dialect d) {
  switch (k) {
    case ColumnKind::integer: return d == Dialect::sqlite ? "INTEGER" : "BIGINT";
    case ColumnKind::text: return "TEXT";
    case ColumnKind::money: return d == Dialect::sqlite ? "TEXT" : "NUMERIC(38,8)";
    case ColumnKind::boolean: return d == Dialect::sqlite ? "INTEGER" : "BOOLEAN";
    case ColumnKind::json: return d == Dialect::sqlite ? "TEXT" : "JSONB";
  }
  return "TEXT";
}

std::string key_list(const Table& t) {
  std::string out = "journal_id";
  for (auto k : t.key) out += fmt::format(", {}", k);
  return out;
}

// The order's lifecycle, one row per order: its request and its latest event.
constexpr std::string_view kOrdersView = R"(CREATE VIEW orders AS
SELECT r.journal_id, r.client_order_id, r.seq AS request_seq, r.ts_ms, r.intent_id, r.symbol, r.side, r.type,
       r.qty, r.limit_price, r.time_in_force,
       COALESCE(e.kind, 'sent') AS status, e.cum_qty, e.seq AS last_event_seq,
       (SELECT count(*) FROM order_events n WHERE n.journal_id = r.journal_id
          AND n.client_order_id = r.client_order_id) AS events,
       (SELECT count(*) FROM order_requests c WHERE c.journal_id = r.journal_id
          AND c.client_order_id = r.client_order_id AND c.cancel) AS cancel_requests
FROM order_requests r
LEFT JOIN order_events e ON e.journal_id = r.journal_id AND e.client_order_id = r.client_order_id
  AND e.seq = (SELECT max(m.seq) FROM order_events m WHERE m.journal_id = r.journal_id
                 AND m.client_order_id = r.client_order_id)
WHERE NOT r.cancel)";

}  // namespace

std::string column_list(const Table& t) {
  std::string out = "(journal_id";
  for (const auto& c : t.columns) out += fmt::format(", {}", c.name);
  return out + ")";
}

std::string sqlite_insert(const Table& t) {
  std::string sql = fmt::format("INSERT INTO {} {} VALUES (?1", t.name, column_list(t));
  for (std::size_t c = 0; c < t.columns.size(); ++c) sql += fmt::format(", ?{}", c + 2);
  return sql + ")";
}

std::string on_conflict(const Table& t) {
  std::string out = fmt::format(" ON CONFLICT ({}) DO ", key_list(t));
  if (!t.replace_on_conflict) return out + "NOTHING";
  out += "UPDATE SET ";
  bool first = true;
  for (const auto& c : t.columns) {
    bool is_key = false;
    for (auto k : t.key) is_key = is_key || k == c.name;
    if (is_key) continue;
    out += fmt::format("{}{} = excluded.{}", first ? "" : ", ", c.name, c.name);
    first = false;
  }
  return out;
}

std::string create_table(const Table& t, Dialect d) {
  std::string sql = fmt::format("CREATE TABLE {} (\n  journal_id TEXT NOT NULL", t.name);
  for (const auto& c : t.columns)
    sql += fmt::format(",\n  {} {}{}", c.name, sql_type(c.kind, d), c.nullable ? "" : " NOT NULL");
  return sql + fmt::format(",\n  PRIMARY KEY ({})\n)", key_list(t));
}

std::vector<std::string> create_schema(Dialect d) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < kTableCount; ++i) out.push_back(create_table(table(static_cast<TableId>(i)), d));
  // What the shipped queries and the orders view look up.
  out.emplace_back("CREATE INDEX order_events_by_order ON order_events (journal_id, client_order_id, seq)");
  out.emplace_back("CREATE INDEX order_requests_by_order ON order_requests (journal_id, client_order_id)");
  out.emplace_back("CREATE INDEX intents_by_id ON intents (journal_id, intent_id)");
  out.emplace_back("CREATE INDEX signals_by_time ON signals (ts_ms)");
  out.emplace_back("CREATE INDEX portfolio_by_day ON portfolio (journal_id, day, seq)");
  out.emplace_back(kOrdersView);
  out.emplace_back(fmt::format("CREATE TABLE projection_progress (\n  journal_id TEXT PRIMARY KEY,\n  last_seq {} NOT NULL,\n"
                               "  journal_dir TEXT NOT NULL,\n  resume_state TEXT\n)",
                               sql_type(ColumnKind::integer, d)));
  out.emplace_back("CREATE TABLE trader_schema (version INTEGER NOT NULL)");
  out.emplace_back(fmt::format("INSERT INTO trader_schema (version) VALUES ({})", kSchemaVersion));
  return out;
}

std::vector<std::string> migrations_from(int from, Dialect d) {
  std::vector<std::string> out;
  if (from < 2) {  // what signals were computed from, and each risk check (NULL for older journals)
    const auto json = sql_type(ColumnKind::json, d);
    out.push_back(fmt::format("ALTER TABLE signals ADD COLUMN inputs {}", json));
    out.push_back(fmt::format("ALTER TABLE risk_decisions ADD COLUMN checks {}", json));
  }
  if (from < 3) out.push_back(create_table(table(TableId::alerts), d));  // what the alert rules raise
  // The alert rules' state with the progress, so a restart does not re-read the session.
  if (from < 4) out.emplace_back("ALTER TABLE projection_progress ADD COLUMN resume_state TEXT");
  if (from < 5) {  // several strategies: which made a signal, and the views an intent was formed from
    out.emplace_back("ALTER TABLE signals ADD COLUMN strategy_id TEXT");
    out.push_back(fmt::format("ALTER TABLE intents ADD COLUMN votes {}", sql_type(ColumnKind::json, d)));
  }
  if (from < 6) {  // perpetuals: a position's margin, liquidation price and leverage, the portfolio's funding
    const auto money = sql_type(ColumnKind::money, d);
    out.push_back(fmt::format("ALTER TABLE positions ADD COLUMN margin {}", money));
    out.push_back(fmt::format("ALTER TABLE positions ADD COLUMN liquidation_price {}", money));
    out.push_back(fmt::format("ALTER TABLE positions ADD COLUMN leverage {}", sql_type(ColumnKind::integer, d)));
    out.push_back(fmt::format("ALTER TABLE portfolio ADD COLUMN funding {}", money));
  }
  if (from < 7) out.push_back(create_table(table(TableId::liquidations), d));  // a venue's liquidations
  return out;
}

}  // namespace trader::projection
