// The SQL read model: every record's rows fill their table's columns, a record projected
// twice changes nothing, a failed batch is all or nothing, and the store refuses a database
// it does not understand before writing to it.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <sqlite3.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>

#include "alerts/alert_rules.hpp"
#include "journal/journal.hpp"
#include "journal_scan.hpp"
#include "message_samples.hpp"
#include "messages/enum_names.hpp"
#include "messages/fixed_point.hpp"
#include "projection/alert_state.hpp"
#include "projection/copy_text.hpp"
#include "projection/projector.hpp"
#include "projection/tables.hpp"
#include "test_support.hpp"

using namespace trader;
using namespace trader::projection;

namespace {

EnvelopeHeader at_seq(std::uint64_t seq, std::uint16_t type_id) {
  EnvelopeHeader h{};
  h.seq = seq;
  h.cause_seq = seq - 1;
  h.type_id = type_id;
  return h;
}

// Rows per table name, read back from a SQLite file.
std::int64_t count_rows(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(s) == SQLITE_ROW);
  const auto n = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  sqlite3_close(db);
  return n;
}

void exec_sql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
}

// A whole SQLite database as text, table by table in key order: two projections are equal
// when these are.
std::string dump_tables(const std::string& path) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  std::string out;
  for (std::size_t i = 0; i < kTableCount; ++i) {
    const auto name = std::string(table(static_cast<TableId>(i)).name);
    sqlite3_stmt* s = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, ("SELECT * FROM " + name + " ORDER BY 1, 2, 3").c_str(), -1, &s, nullptr) ==
            SQLITE_OK);
    while (sqlite3_step(s) == SQLITE_ROW) {
      out += name;
      for (int c = 0; c < sqlite3_column_count(s); ++c) {
        const auto* t = sqlite3_column_text(s, c);
        out += "|" + std::string(t ? reinterpret_cast<const char*>(t) : "NULL");
      }
      out += "\n";
    }
    sqlite3_finalize(s);
  }
  sqlite3_close(db);
  return out;
}

// A journal with one session and every message type, `copies` times over.
void write_journal(const std::string& dir, int copies) {
  auto w = journal::Writer::open(dir, {journal::Durability::nosync});
  REQUIRE(w.has_value());
  REQUIRE((*w)->put_meta("session.1.config", "[order]\nmode = \"paper\"\n[strategy]\nkind = \"rule\"\n").has_value());
  REQUIRE((*w)->put_meta("session.1.model_id", "rule:test").has_value());
  journal::SessionInfo s;
  s.node_id = "paper-7";
  s.start_ts_ns = 1723161300000000000;
  REQUIRE((*w)->begin_session(s).has_value());
  for (int c = 0; c < copies; ++c)
    for (const auto& m : test::all_message_samples()) {
      EnvelopeHeader h = test::header_at(1723161300000000000 + c, Actor::exchange);
      h.type_id = type_id_of(m);
      (*w)->append(h, m);
    }
  REQUIRE((*w)->commit().has_value());
  REQUIRE((*w)->end_session(1, 1723161400000000000, "completed").has_value());
}

// Fails the n-th write, as a database that goes away mid-run would.
class FailingStore final : public Store {
 public:
  FailingStore(Store& inner, int fail_at) : inner_(inner), fail_at_(fail_at) {}
  Result<Progress> progress(const std::string& id) override { return inner_.progress(id); }
  Status write(const Batch& b) override {
    if (++writes_ == fail_at_) return fail("the database went away");
    return inner_.write(b);
  }
  int writes() const { return writes_; }
  std::string describe() const override { return inner_.describe(); }

 private:
  Store& inner_;
  int fail_at_, writes_ = 0;
};

Result<CatchUp> project_all(const std::string& journal_dir, Store& store, ProjectOptions o = {}) {
  auto reader = journal::Reader::open(journal_dir);
  REQUIRE(reader.has_value());
  auto p = Projector::open(**reader, store, journal_dir, o);
  if (!p) return tl::unexpected(p.error());
  return p->catch_up();
}

}  // namespace

TEST_CASE("every message's rows fill exactly their table's columns, market data and ticks give none") {
  RowOptions with_candles{true};
  std::size_t projected = 0;
  for (const auto& m : test::all_message_samples()) {
    std::vector<Row> rows;
    REQUIRE(add_rows(at_seq(42, type_id_of(m)), m, with_candles, rows).has_value());
    for (const auto& r : rows) {
      CAPTURE(table(r.table).name);
      CHECK(r.values.size() == table(r.table).columns.size());
      CHECK(std::get<std::int64_t>(r.values[0]) == 42);  // seq
      CHECK(std::get<std::int64_t>(r.values[1]) == 41);  // cause_seq
    }
    const auto t = type_id_of(m);
    const bool decision_or_state = t == Signal::kTypeId || t == OrderIntent::kTypeId || t == RiskDecision::kTypeId ||
                                   t == RiskState::kTypeId || t == OrderRequest::kTypeId ||
                                   t == OrderEvent::kTypeId || t == PortfolioState::kTypeId ||
                                   t == AccountBalances::kTypeId || t == ErrorReport::kTypeId ||
                                   t == FeedStatus::kTypeId || t == OperatorCommand::kTypeId || t == Candle::kTypeId ||
                                   t == Liquidation::kTypeId;
    CHECK(rows.empty() == !decision_or_state);
    projected += decision_or_state;
  }
  CHECK(projected == 13);
  std::vector<Row> rows;
  Candle c;
  REQUIRE(add_rows(at_seq(5, Candle::kTypeId), c, RowOptions{}, rows).has_value());
  CHECK(rows.empty());  // candles only on request
}

TEST_CASE("a fill is one order_events row and one fills row, its quote amount exact") {
  OrderEvent e;
  e.client_order_id = "c1";
  e.kind = OrderEventKind::partially_filled;
  e.fill_qty = 123456;              // 0.00123456
  e.fill_price = 6173763000001;     // 61737.63000001
  e.ts_ms = 1677628860000;
  std::vector<Row> rows;
  REQUIRE(add_rows(at_seq(9, OrderEvent::kTypeId), e, {}, rows).has_value());
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].table == TableId::order_events);
  CHECK(rows[1].table == TableId::fills);
  auto col_of = [](TableId t, std::string_view name) {
    const auto& cols = table(t).columns;
    for (std::size_t i = 0; i < cols.size(); ++i)
      if (cols[i].name == name) return i;
    FAIL("no column " << name);
    return std::size_t{0};
  };
  // 0.00123456 x 61737.63000001 = 76.2188084935... (toward zero at 8 decimals)
  CHECK(format_fixed(std::get<Money>(rows[1].values[col_of(TableId::fills, "quote_qty")]).fixed) == "76.21880849");
  CHECK(std::get<std::string>(rows[1].values[col_of(TableId::fills, "day")]) == "2023-03-01");
  CHECK(std::get<std::string>(rows[0].values[col_of(TableId::order_events, "kind")]) == "partially_filled");
}

TEST_CASE("a perpetual's position row holds its margin, liquidation price and leverage, a spot one NULL there") {
  PortfolioState st;
  st.ts_ms = 1723161540000;
  st.funding = -123;
  st.positions.push_back(Position{"BTCUSDT", 50'000'000, 6'000'000'000'000, 6'100'000'000'000, 0, 0});
  Position perp{"BTCUSDT@binance_usdm", -3'200'000, 6'179'543'719'801, 6'170'525'000'000, 0, 0};
  perp.margin = 39'549'079'000;
  perp.liquidation_price = 7'404'452'000'000;
  perp.leverage = 5;
  st.positions.push_back(perp);
  std::vector<Row> rows;
  REQUIRE(add_rows(at_seq(7, PortfolioState::kTypeId), st, {}, rows).has_value());
  REQUIRE(rows.size() == 3);
  auto at = [](const Row& r, std::string_view name) {
    const auto& cols = table(r.table).columns;
    for (std::size_t i = 0; i < cols.size(); ++i)
      if (cols[i].name == name) return r.values[i];
    FAIL("no column " << name);
    return Value{Null{}};
  };
  CHECK(std::get<Money>(at(rows[0], "funding")).fixed == -123);
  CHECK(std::holds_alternative<Null>(at(rows[1], "margin")));
  CHECK(std::holds_alternative<Null>(at(rows[1], "liquidation_price")));
  CHECK(std::holds_alternative<Null>(at(rows[1], "leverage")));
  CHECK(format_fixed(std::get<Money>(at(rows[2], "margin")).fixed) == "395.49079");
  CHECK(format_fixed(std::get<Money>(at(rows[2], "liquidation_price")).fixed) == "74044.52");
  CHECK(std::get<std::int64_t>(at(rows[2], "leverage")) == 5);
  CHECK(format_fixed(std::get<Money>(at(rows[2], "qty")).fixed) == "-0.032");
}

TEST_CASE("a liquidation is a row of its own with the numbers the venue decided on, exact") {
  Liquidation l;
  l.symbol = "BTCUSDT@binance_usdm";
  l.qty = 3'200'000;                      // 0.032
  l.entry_price = 6'171'884'130'000;      // 61718.8413
  l.leverage = 125;
  l.mark_price = 6'164'985'000'000;
  l.margin = 1'580'002'338;
  l.loss = 1'580'002'338;                 // 15.80002338
  l.maintenance_rate = 750'000;           // 0.0075
  l.ts_ms = 1723161560338;
  l.cross = true;
  std::vector<Row> rows;
  REQUIRE(add_rows(at_seq(23800, Liquidation::kTypeId), l, {}, rows).has_value());
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].table == TableId::liquidations);
  auto at = [&](std::string_view name) {
    const auto& cols = table(TableId::liquidations).columns;
    for (std::size_t i = 0; i < cols.size(); ++i)
      if (cols[i].name == name) return rows[0].values[i];
    FAIL("no column " << name);
    return Value{Null{}};
  };
  CHECK(format_fixed(std::get<Money>(at("loss")).fixed) == "15.80002338");
  CHECK(format_fixed(std::get<Money>(at("entry_price")).fixed) == "61718.8413");
  CHECK(format_fixed(std::get<Money>(at("maintenance_rate")).fixed) == "0.0075");
  CHECK(std::get<std::int64_t>(at("leverage")) == 125);
  CHECK(std::get<std::string>(at("day")) == "2024-08-08");
  CHECK(std::get<bool>(at("cross_margin")));
}

TEST_CASE("an id that a BIGINT column cannot hold is an error naming the seq, and adds no row") {
  OrderEvent e;
  e.fill_qty = 1;
  e.trade_id = 0x8000000000000000ull;
  std::vector<Row> rows;
  auto st = add_rows(at_seq(77, OrderEvent::kTypeId), e, {}, rows);
  REQUIRE_FALSE(st.has_value());
  CHECK(st.error().message.find("seq 77") != std::string::npos);
  CHECK(rows.empty());
}

TEST_CASE("enum names are the schema's, as dump --json prints them") {
  CHECK(enum_name(OrderEventKind::partially_filled) == "partially_filled");
  CHECK(enum_name(Direction::long_) == "long");
  CHECK(enum_name(FeedStatusKind::end_of_data) == "end_of_data");
  CHECK(enum_name(Side::sell) == "sell");
  CHECK(enum_name(static_cast<Side>(9)) == "unknown");
}

TEST_CASE("SQLite: a journal projects once, again changes nothing, a failed batch is all or nothing") {
  test::TempDir dir;
  write_journal(dir.sub("j"), 3);
  auto store = open_store("sqlite:" + dir.sub("a.db"));
  REQUIRE(store.has_value());
  ProjectOptions small;
  small.batch_records = 7;  // several transactions
  auto first = project_all(dir.sub("j"), **store, small);
  REQUIRE(first.has_value());
  const std::uint64_t records = 3 * test::all_message_samples().size();
  CHECK(first->records == records);
  CHECK(first->batches == (records + 6) / 7);
  CHECK(count_rows(dir.sub("a.db"), "SELECT count(*) FROM order_events") == 3);
  CHECK(count_rows(dir.sub("a.db"), "SELECT count(*) FROM fills") == 3);
  CHECK(count_rows(dir.sub("a.db"), "SELECT count(*) FROM positions") == 6);  // a spot and a perpetual each
  CHECK(count_rows(dir.sub("a.db"), "SELECT count(*) FROM balances") == 6);
  CHECK(count_rows(dir.sub("a.db"), "SELECT count(*) FROM sessions WHERE end_reason = 'completed' AND "
                                    "strategy = 'rule' AND mode = 'paper' AND model_id = 'rule:test'") == 1);
  CHECK(count_rows(dir.sub("a.db"), "SELECT last_seq FROM projection_progress") == static_cast<std::int64_t>(records));
  const auto once = dump_tables(dir.sub("a.db"));

  auto again = project_all(dir.sub("j"), **store);
  REQUIRE(again.has_value());
  CHECK(again->records == 0);
  ProjectOptions from_start;
  from_start.from_seq = 1;  // everything again: kept as it was
  REQUIRE(project_all(dir.sub("j"), **store, from_start).has_value());
  CHECK(dump_tables(dir.sub("a.db")) == once);

  // A database that fails the third write: the first two batches and their progress stay;
  // the next run goes on from there, and the result is the same database.
  auto b = open_store("sqlite:" + dir.sub("b.db"));
  REQUIRE(b.has_value());
  FailingStore failing(**b, 3);
  auto broken = project_all(dir.sub("j"), failing, small);
  REQUIRE_FALSE(broken.has_value());
  CHECK(broken.error().message == "the database went away");
  CHECK(count_rows(dir.sub("b.db"), "SELECT last_seq FROM projection_progress") == 14);
  REQUIRE(project_all(dir.sub("j"), **b, small).has_value());
  CHECK(dump_tables(dir.sub("b.db")) == once);
}

TEST_CASE("a version 1 read model is migrated: the new columns and tables are added, older rows keep NULL") {
  // (version 5 added signals.strategy_id and intents.votes, version 6 the perpetuals' columns, version 7 the
  // liquidations table, dropped here too)
  test::TempDir dir;
  write_journal(dir.sub("j"), 1);
  {  // version 1: signals without inputs, risk decisions without checks, no alerts, progress without a
     // resume state, holding one journal's rows
    auto store = open_store("sqlite:" + dir.sub("v1.db"));
    REQUIRE(store.has_value());
    REQUIRE(project_all(dir.sub("j"), **store).has_value());
  }
  exec_sql(dir.sub("v1.db"), "ALTER TABLE signals DROP COLUMN inputs; ALTER TABLE risk_decisions DROP COLUMN checks; "
                             "ALTER TABLE signals DROP COLUMN strategy_id; ALTER TABLE intents DROP COLUMN votes; "
                             "ALTER TABLE positions DROP COLUMN margin; ALTER TABLE positions DROP COLUMN liquidation_price; "
                             "ALTER TABLE positions DROP COLUMN leverage; ALTER TABLE portfolio DROP COLUMN funding; "
                             "UPDATE portfolio SET journal_id = 'older'; "
                             "DROP TABLE alerts; ALTER TABLE projection_progress DROP COLUMN resume_state; "
                             "UPDATE signals SET journal_id = 'older'; UPDATE risk_decisions SET journal_id = 'older'; "
                             "UPDATE intents SET journal_id = 'older'; "
                             "DROP TABLE liquidations; "
                             "UPDATE trader_schema SET version = 1; "
                             "DELETE FROM projection_progress");
  auto store = open_store("sqlite:" + dir.sub("v1.db"));
  REQUIRE_MESSAGE(store.has_value(), (store ? "" : store.error().message));
  CHECK(count_rows(dir.sub("v1.db"), "SELECT version FROM trader_schema") == 7);
  CHECK(count_rows(dir.sub("v1.db"), "SELECT count(*) FROM liquidations") == 0);  // version 7 added it
  CHECK(count_rows(dir.sub("v1.db"), "SELECT count(*) FROM portfolio WHERE journal_id = 'older' AND funding IS NULL") > 0);
  CHECK(count_rows(dir.sub("v1.db"), "SELECT count(*) FROM alerts") == 0);
  CHECK(count_rows(dir.sub("v1.db"), "SELECT count(*) FROM signals WHERE journal_id = 'older' AND inputs IS NULL") == 1);
  REQUIRE(project_all(dir.sub("j"), **store).has_value());
  CHECK(count_rows(dir.sub("v1.db"), "SELECT count(*) FROM projection_progress WHERE resume_state LIKE '{\"v\":1,%'") == 1);
  CHECK(count_rows(dir.sub("v1.db"), "SELECT count(*) FROM signals WHERE json_extract(inputs, '$.p') = 0.71875") == 1);
  CHECK(count_rows(dir.sub("v1.db"), "SELECT count(*) FROM signals WHERE strategy_id = 'xgb-15m'") == 1);
  CHECK(count_rows(dir.sub("v1.db"), "SELECT count(*) FROM portfolio WHERE journal_id <> 'older' AND funding IS NOT NULL") > 0);
  CHECK(count_rows(dir.sub("v1.db"), "SELECT count(*) FROM intents, json_each(intents.votes) "
                                     "WHERE json_extract(value, '$.strategy_id') = 'ema-1m' AND "
                                     "json_extract(value, '$.direction') = 'long' AND "
                                     "json_extract(value, '$.confidence_ppm') = 410000") == 1);
  CHECK(count_rows(dir.sub("v1.db"), "SELECT count(*) FROM risk_decisions, json_each(risk_decisions.checks) "
                                     "WHERE json_extract(value, '$.limit') = 'max_position_notional' AND "
                                     "json_extract(value, '$.headroom') = '4960' AND NOT json_extract(value, '$.within')") == 1);
}

TEST_CASE("--from past the progress would leave a gap: refused, naming what the database holds") {
  test::TempDir dir;
  write_journal(dir.sub("j"), 2);
  auto store = open_store("sqlite:" + dir.sub("a.db"));
  REQUIRE(store.has_value());
  ProjectOptions upto;
  REQUIRE(project_all(dir.sub("j"), **store, upto).has_value());
  ProjectOptions gap;
  const std::size_t held = 2 * test::all_message_samples().size();
  gap.from_seq = held + 20;
  auto r = project_all(dir.sub("j"), **store, gap);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message.find("would leave a gap") != std::string::npos);
  CHECK(r.error().message.find("up to seq " + std::to_string(held)) != std::string::npos);
}

TEST_CASE("a database that is not a read model of ours is refused before anything is written") {
  test::TempDir dir;
  SUBCASE("a file that is not a database") {
    { std::ofstream(dir.sub("notes.db")) << "my notes, not a database\n"; }
    auto s = open_store("sqlite:" + dir.sub("notes.db"));
    REQUIRE_FALSE(s.has_value());
    CHECK(s.error().message.find("not a database") != std::string::npos);
    std::ifstream in(dir.sub("notes.db"));
    std::string line;
    std::getline(in, line);
    CHECK(line == "my notes, not a database");
    CHECK(std::filesystem::file_size(dir.sub("notes.db")) == 25);
  }
  SUBCASE("a database with tables of someone else's") {
    exec_sql(dir.sub("other.db"), "CREATE TABLE orders (id INTEGER)");
    auto s = open_store("sqlite:" + dir.sub("other.db"));
    REQUIRE_FALSE(s.has_value());
    CHECK(s.error().message.find("none is a trader read model") != std::string::npos);
    CHECK(count_rows(dir.sub("other.db"), "SELECT count(*) FROM sqlite_master") == 1);
  }
  SUBCASE("a read model newer than this build") {
    REQUIRE(open_store("sqlite:" + dir.sub("new.db")).has_value());
    exec_sql(dir.sub("new.db"), "UPDATE trader_schema SET version = 99");
    auto s = open_store("sqlite:" + dir.sub("new.db"));
    REQUIRE_FALSE(s.has_value());
    CHECK(s.error().message.find(fmt::format("schema version 99, newer than this build's {}", kSchemaVersion)) !=
          std::string::npos);
  }
  SUBCASE("not a database URL") {
    auto s = open_store("mysql://root:secret@db/trader");
    REQUIRE_FALSE(s.has_value());
    CHECK(s.error().message.find("secret") == std::string::npos);
  }
}

TEST_CASE("COPY text: tabs, newlines and backslashes escaped, nulls as \\N, bytes that are not UTF-8 replaced") {
  Row r{TableId::errors, {std::int64_t{5}, Null{}, std::string("a\tb\nc\\d"), Money{-150000000}, true,
                          std::string("caf\xC3\xA9 \xFF end"), std::string("x\ry")}};
  std::string out;
  append_copy_row(out, "j", r);
  CHECK(out == "j\t5\t\\N\ta\\tb\\nc\\\\d\t-1.5\tt\tcaf\xC3\xA9 \xEF\xBF\xBD end\tx\\ry\n");
}

namespace {
// A database that takes its time: write() waits until released.
class StalledStore final : public Store {
 public:
  explicit StalledStore(Store& inner) : inner_(inner) {}
  Result<Progress> progress(const std::string& id) override { return inner_.progress(id); }
  Status write(const Batch& b) override {
    std::unique_lock lock(m_);
    entered_ = true;
    cv_.notify_all();
    cv_.wait(lock, [&] { return released_; });
    return inner_.write(b);
  }
  std::string describe() const override { return inner_.describe(); }
  bool wait_entered() {
    std::unique_lock lock(m_);
    return cv_.wait_for(lock, std::chrono::seconds(60), [&] { return entered_; });
  }
  void release() {
    std::lock_guard lock(m_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  Store& inner_;
  std::mutex m_;
  std::condition_variable cv_;
  bool entered_ = false, released_ = false;
};
}  // namespace

TEST_CASE("a database that stalls never keeps the journal's writer from growing its map (the node goes on)") {
  // The node's projection reads the node's own journal. Were its read transaction open
  // while it writes to the database, the writer could not remap a growing file until the
  // database answered: trading would wait on the database.
  test::TempDir dir;
  journal::Options o;
  o.durability = journal::Durability::nosync;
  o.initial_map_bytes = std::size_t{1} << 20;
  auto w = journal::Writer::open(dir.sub("j"), o);
  REQUIRE(w.has_value());
  journal::SessionInfo s;
  s.node_id = "paper-9";
  REQUIRE((*w)->begin_session(s).has_value());
  for (std::uint64_t i = 1; i <= 100; ++i) {
    PortfolioState p;
    p.ts_ms = static_cast<std::int64_t>(i);
    EnvelopeHeader h = test::header_at(static_cast<std::int64_t>(i), Actor::portfolio);
    h.type_id = PortfolioState::kTypeId;
    (*w)->append(h, p);
  }
  REQUIRE((*w)->commit().has_value());
  std::shared_ptr<journal::Reader> reader = (*w)->reader();
  auto sqlite = open_store("sqlite:" + dir.sub("h.db"));
  REQUIRE(sqlite.has_value());
  StalledStore stalled(**sqlite);
  std::thread projecting([&] {
    ProjectOptions batches_of_10;  // the first write comes while records remain to be read
    batches_of_10.batch_records = 10;
    auto p = Projector::open(*reader, stalled, dir.sub("j"), batches_of_10);
    if (p) (void)p->catch_up();
  });
  REQUIRE(stalled.wait_entered());  // the projector is inside a database write now
  // Meanwhile the node journals on, well past the 1 MiB map: the map must grow.
  auto writing = std::async(std::launch::async, [&] {
    for (std::uint64_t i = 0; i < 30'000; ++i) (*w)->append(test::header_at(1), test::sample_trade(i));
    return (*w)->commit().has_value();
  });
  const bool wrote_while_stalled = writing.wait_for(std::chrono::seconds(60)) == std::future_status::ready;
  stalled.release();
  projecting.join();
  CHECK(wrote_while_stalled);
  CHECK(writing.get());
}

TEST_CASE("alerts: what the rules raise from each session's records, with its own settings, the same after a failure") {
  test::TempDir dir;
  {
    auto w = journal::Writer::open(dir.sub("j"), {journal::Durability::nosync});
    REQUIRE(w.has_value());
    REQUIRE((*w)->put_meta("session.1.config", "[order]\nmode = \"paper\"\n").has_value());
    REQUIRE((*w)->put_meta("session.2.config", "[alerts]\nfills = true\ndaily_summary = false\n").has_value());
    for (std::uint64_t id = 1; id <= 2; ++id) {
      journal::SessionInfo s;
      s.node_id = "paper-7";
      s.start_ts_ns = 1723161300000000000 + static_cast<std::int64_t>(id);
      REQUIRE((*w)->begin_session(s).has_value());
      for (int c = 0; c < 3; ++c)
        for (const auto& m : test::all_message_samples()) {
          EnvelopeHeader h = test::header_at(1723161300000000000 + c, Actor::exchange);
          h.type_id = type_id_of(m);
          (*w)->append(h, m);
        }
      REQUIRE((*w)->commit().has_value());
      REQUIRE((*w)->end_session(id, 1723161400000000000, id == 1 ? "completed" : "error: the feed failed").has_value());
      if (id == 1) {  // records of no session between the two (an import's): no rules read them
        for (const auto& m : test::all_message_samples()) {
          EnvelopeHeader h = test::header_at(1723161350000000000, Actor::exchange);
          h.type_id = type_id_of(m);
          (*w)->append(h, m);
        }
        REQUIRE((*w)->commit().has_value());
      }
    }
  }
  // What the rules raise, fed here record by record, session by session.
  std::string expected;
  {
    auto reader = journal::Reader::open(dir.sub("j"));
    REQUIRE(reader.has_value());
    auto sessions = (*reader)->sessions();
    REQUIRE(sessions.has_value());
    REQUIRE(sessions->size() == 2);
    // 3 copies of the samples in session 1, then one of none
    REQUIRE(sessions->back().start_seq == 4 * test::all_message_samples().size() + 1);
    for (const auto& s : *sessions) {
      alerts::AlertRulesConfig c;
      if (s.id == 2) {
        c.fills = true;
        c.daily_summary = false;
      }
      alerts::AlertRules rules(c);
      std::vector<alerts::Alert> raised;
      journal::Filter f;
      f.from_seq = s.start_seq;
      f.to_seq = s.end_seq;
      test::for_each_decoded(**reader, f, [&](const journal::RecordView& v, const Message& m) {
        rules.on_record(v.header.seq, m, raised);
      });
      rules.on_end(s.end_reason, s.end_reason != "completed", raised);
      for (std::size_t n = 0; n < raised.size(); ++n)
        expected += fmt::format("{}|{}|{}|{}|{}\n", s.id, n, raised[n].seq ? std::to_string(raised[n].seq) : "NULL",
                                raised[n].kind, raised[n].text);
    }
  }
  auto alerts_of = [&](const std::string& db) {
    sqlite3* h = nullptr;
    REQUIRE(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    REQUIRE(sqlite3_prepare_v2(h, "SELECT session_id, n, seq, kind, text FROM alerts ORDER BY session_id, n", -1, &s,
                               nullptr) == SQLITE_OK);
    std::string out;
    while (sqlite3_step(s) == SQLITE_ROW) {
      for (int c = 0; c < 5; ++c) {
        const auto* t = sqlite3_column_text(s, c);
        out += (c ? "|" : "") + std::string(t ? reinterpret_cast<const char*>(t) : "NULL");
      }
      out += "\n";
    }
    sqlite3_finalize(s);
    sqlite3_close(h);
    return out;
  };
  // Session 1 (defaults): halted, the day's summary. Session 2: halted and the fills, no
  // summary, and the failure.
  CHECK(expected.find("1|0|11|halted|") == 0);
  CHECK(expected.find("|fill|") != std::string::npos);
  CHECK(expected.find("2|") != std::string::npos);
  CHECK(expected.find("|session_failed|the session ended: error: the feed failed") != std::string::npos);

  auto once = open_store("sqlite:" + dir.sub("once.db"));
  REQUIRE(once.has_value());
  REQUIRE(project_all(dir.sub("j"), **once).has_value());
  CHECK(alerts_of(dir.sub("once.db")) == expected);

  // Batches of 5 records, the 20th write failing (inside session 2, just after its first fill): the
  // run after it rebuilds the rules from the session's start and numbers on where it stopped.
  auto b = open_store("sqlite:" + dir.sub("b.db"));
  REQUIRE(b.has_value());
  ProjectOptions small;
  small.batch_records = 5;
  FailingStore failing(**b, 20);
  REQUIRE_FALSE(project_all(dir.sub("j"), failing, small).has_value());
  CHECK(count_rows(dir.sub("b.db"), "SELECT last_seq FROM projection_progress") == 95);
  REQUIRE(project_all(dir.sub("j"), **b, small).has_value());
  CHECK(alerts_of(dir.sub("b.db")) == expected);
  // And once more from the start: every row already there, nothing changes.
  ProjectOptions again;
  again.from_seq = 1;
  REQUIRE(project_all(dir.sub("j"), **b, again).has_value());
  CHECK(dump_tables(dir.sub("b.db")) == dump_tables(dir.sub("once.db")));

  // Stopped after every batch in turn: the run after it resumes the rules from the state
  // stored with the progress (it re-reads no record) and raises exactly the same alerts.
  int all_writes = 0;
  {
    auto store = open_store("sqlite:" + dir.sub("count.db"));
    REQUIRE(store.has_value());
    FailingStore counting(**store, -1);
    REQUIRE(project_all(dir.sub("j"), counting, small).has_value());
    all_writes = counting.writes();
  }
  for (int fail_at = 2;; ++fail_at) {
    CAPTURE(fail_at);
    const std::string db = dir.sub(fmt::format("stop{}.db", fail_at));
    auto store = open_store("sqlite:" + db);
    REQUIRE(store.has_value());
    FailingStore stops(**store, fail_at);
    if (project_all(dir.sub("j"), stops, small).has_value()) {  // past the last write: every batch was tried
      CHECK(fail_at == all_writes + 1);
      break;
    }
    auto resumed = project_all(dir.sub("j"), **store, small);
    REQUIRE(resumed.has_value());
    CHECK(resumed->warm_up_records == 0);
    CHECK(alerts_of(db) == expected);
  }
  // A stored state that cannot be read is rebuilt from the journal: the same alerts.
  {
    const std::string db = dir.sub("garbled.db");
    auto store = open_store("sqlite:" + db);
    REQUIRE(store.has_value());
    FailingStore stops(**store, 20);
    REQUIRE_FALSE(project_all(dir.sub("j"), stops, small).has_value());
    sqlite3* h = nullptr;
    REQUIRE(sqlite3_open(db.c_str(), &h) == SQLITE_OK);
    REQUIRE(sqlite3_exec(h, "UPDATE projection_progress SET resume_state = '{\"v\":1,\"at\":' || last_seq ||"
                            " ',\"session\":2,\"next\":\"x\"}'", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(h);
    const auto progress = count_rows(db, "SELECT last_seq FROM projection_progress");
    const auto session_2_start = static_cast<std::int64_t>(4 * test::all_message_samples().size() + 1);
    REQUIRE(progress >= session_2_start);
    auto resumed = project_all(dir.sub("j"), **store, small);
    REQUIRE(resumed.has_value());
    // Session 2 up to the progress, read again.
    CHECK(resumed->warm_up_records == static_cast<std::uint64_t>(progress - session_2_start + 1));
    CHECK(alerts_of(db) == expected);
  }
}

TEST_CASE("alert state: the rules' state as text and back, exactly, text it did not write is an error") {
  SessionAlerts::State s;
  s.session = 3;
  s.next = 17;
  s.rules.trading = TradingState::reducing;
  s.rules.space_low = true;
  s.rules.down["BTCUSDT \"trades\"\n"] = {1723161300000000000, true};
  s.rules.down["depth"] = {-5, false};
  DayResult day;
  day.day = 19'943;
  day.start_net = -8'628'144'280;
  day.max_drawdown_ppm = 11'296;
  day.last_seq = 46'747;
  for (const auto& m : test::all_message_samples())
    if (const auto* p = std::get_if<PortfolioState>(&m)) day.last = *p;
  day.last.positions.push_back({"ETHUSDT", 500'000'000, 200'000'000'000, 3, -7, 11});
  PortfolioState first = day.last;
  first.fills = 2;
  s.rules.days = {day, first};
  const std::string text = encode_alert_state({46'748, s});
  auto back = decode_alert_state(text);
  REQUIRE(back.has_value());
  CHECK(back->at_seq == 46'748);
  REQUIRE(back->state.has_value());
  CHECK(back->state->session == 3);
  CHECK(back->state->next == 17);
  CHECK_FALSE(back->state->ended);
  CHECK(back->state->rules.trading == TradingState::reducing);
  CHECK(back->state->rules.space_low);
  CHECK(back->state->rules.down == s.rules.down);
  REQUIRE(back->state->rules.days.day.has_value());
  const DayResult& d = *back->state->rules.days.day;
  CHECK(d.day == day.day);
  CHECK(d.start_net == day.start_net);
  CHECK(d.max_drawdown_ppm == day.max_drawdown_ppm);
  CHECK(d.last_seq == day.last_seq);
  CHECK(d.last == day.last);
  CHECK(back->state->rules.days.first == first);
  CHECK(encode_alert_state(*back) == text);

  auto none = decode_alert_state(encode_alert_state({9, std::nullopt}));
  REQUIRE(none.has_value());
  CHECK(none->at_seq == 9);
  CHECK_FALSE(none->state.has_value());

  for (const char* bad : {"", "{}", "[1]", "{\"v\":2,\"at\":1}", "{\"v\":1,\"at\":1,\"session\":1}",
                          "{\"v\":1,\"at\":1,\"session\":1,\"next\":0,\"ended\":false,\"trading\":7,"
                          "\"space_low\":false,\"down\":[]}"}) {
    CAPTURE(bad);
    CHECK_FALSE(decode_alert_state(bad).has_value());
  }
  const std::string bad_hex = text.substr(0, text.find("\"last\":\"") + 8) + "zz" + text.substr(text.find("\"last\":\"") + 10);
  CHECK_FALSE(decode_alert_state(bad_hex).has_value());
}
