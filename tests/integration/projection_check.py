#!/usr/bin/env python3
"""Checks a SQL read model written by `trader-tools project` (see projection_test.sh).

  projection_check.py counts SCRATCH DB        row counts against stats, the node's summary, the journal
  projection_check.py same DB_A DB_B           both databases hold the same rows, value for value
  projection_check.py queries SCRATCH DB MD    every ```sql block of MD runs and answers as the journal does

DB is sqlite:FILE or a postgresql:// URI (read with psql). SCRATCH holds the main job's
node.out, stats.json, report.txt and dump.jsonl.
"""
import json
import re
import sqlite3
import subprocess
import sys
import time
from decimal import Decimal

TABLES = ["sessions", "signals", "intents", "risk_decisions", "risk_states", "order_requests", "order_events",
          "fills", "portfolio", "positions", "balances", "candles", "errors", "feed_status", "operator_commands",
          "alerts", "liquidations", "projection_progress"]
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def query(db, sql):
    """Rows as tuples of strings ('NULL' for null), whatever the database."""
    if db.startswith("sqlite:"):
        con = sqlite3.connect(db[len("sqlite:"):])
        rows = con.execute(sql).fetchall()
        con.close()
        return [tuple("NULL" if v is None else str(v) for v in r) for r in rows]
    out = subprocess.run(["psql", db, "-X", "-q", "-t", "-A", "-F", "\t", "-P", "null=NULL", "-v", "ON_ERROR_STOP=1",
                          "-c", sql], check=True, capture_output=True, text=True).stdout
    return [tuple(line.split("\t")) for line in out.split("\n") if line != ""]


def norm(v):
    """One spelling per value: NUMERIC's trailing zeros, SQLite's float repr, booleans, JSON
    (JSONB orders keys and spells numbers its own way)."""
    if v[:1] in ("{", "["):
        return json.dumps(json.loads(v), sort_keys=True)
    if v in ("t", "f"):
        return "1" if v == "t" else "0"
    if NUMBER.match(v):
        d = Decimal(v)
        return format(d.normalize(), "f") if d != 0 else "0"
    return v


def load(scratch):
    stats = json.load(open(f"{scratch}/stats.json"))
    node = open(f"{scratch}/node.out").read()
    report = open(f"{scratch}/report.txt").read()
    records = [json.loads(l) for l in open(f"{scratch}/dump.jsonl")]
    return stats, node, report, records


def state_changes(records):
    changes, state = 0, "active"
    for r in records:
        if r["type"] == "risk_state" and r["body"]["state"] != state:
            changes, state = changes + 1, r["body"]["state"]
    return changes


def counts(scratch, db):
    stats, node, _, records = load(scratch)
    by_type = stats["by_type"]
    fills = int(re.search(r"trades +(\d+) fills", node).group(1))
    positions = sum(len(r["body"]["positions"]) for r in records if r["type"] == "portfolio_state")
    orders = sum(1 for r in records if r["type"] == "order_request" and not r["body"]["cancel"])
    expected = {
        "sessions": 1, "signals": by_type.get("signal", 0), "intents": by_type.get("order_intent", 0),
        "risk_decisions": by_type.get("risk_decision", 0), "risk_states": by_type.get("risk_state", 0),
        "order_requests": by_type.get("order_request", 0), "order_events": by_type.get("order_event", 0),
        "fills": fills, "portfolio": by_type.get("portfolio_state", 0), "positions": positions,
        "errors": by_type.get("error", 0), "feed_status": by_type.get("feed_status", 0),
        "operator_commands": by_type.get("operator_command", 0), "orders": orders,
        "liquidations": by_type.get("liquidation", 0),
        "alerts": state_changes(records) + len({r["body"]["ts_ms"] // 86_400_000 for r in records
                                                if r["type"] == "portfolio_state"}),
    }
    bad = []
    for table, want in expected.items():
        got = int(query(db, f"SELECT count(*) FROM {table}")[0][0])
        if got != want:
            bad.append(f"{table}: {got} rows, the journal has {want}")
    progress = query(db, "SELECT last_seq FROM projection_progress")
    if progress != [(str(stats["last_seq"]),)]:
        bad.append(f"progress {progress}, last seq {stats['last_seq']}")
    if expected["fills"] == 0 or expected["signals"] == 0:
        bad.append("the journal has no fills or no signals: nothing was checked")
    print("\n".join(bad) if bad else f"{len(expected)} tables, {sum(expected.values())} rows as the journal has them")
    return not bad


def same(db_a, db_b):
    bad = []
    total = 0
    for table in TABLES:
        ncols = len(query(db_a, f"SELECT * FROM {table} LIMIT 1")[0]) if query(db_a, f"SELECT count(*) FROM {table}")[0][0] != "0" else 1
        order = ", ".join(str(i) for i in range(1, ncols + 1))
        a = [tuple(norm(v) for v in r) for r in query(db_a, f"SELECT * FROM {table} ORDER BY {order}")]
        b = [tuple(norm(v) for v in r) for r in query(db_b, f"SELECT * FROM {table} ORDER BY {order}")]
        if table == "projection_progress":  # the journal directory differs between databases of one journal
            a, b = [r[:2] for r in a], [r[:2] for r in b]
        total += len(a)
        if a != b:
            diff = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            bad.append(f"{table}: {len(a)} vs {len(b)} rows; first difference at row {diff}: "
                       f"{a[diff] if diff < len(a) else None} vs {b[diff] if diff < len(b) else None}")
    print("\n".join(bad) if bad else f"{total} rows in {len(TABLES)} tables, equal")
    return not bad


def queries(scratch, db, md):
    stats, node, report, records = load(scratch)
    blocks = re.findall(r"```sql\n(.*?)```", open(md).read(), re.S)
    days = {d: Decimal(p) for d, p in re.findall(r"^  (\d{4}-\d\d-\d\d) +(-?[0-9.]+) ", report, re.M)}
    net = Decimal(re.search(r"pnl +(-?[0-9.]+) \w+ net", node).group(1))
    equity = Decimal(re.search(r"final equity +([0-9.]+)", node).group(1))
    by_strategy = {s: (int(f), Decimal(fee)) for s, f, fee in
                   re.findall(r"^  (.+?)(?: \(stops.*\))?: \d+ signals, .* (\d+) fills, fees ([0-9.]+)", report, re.M)}
    by_strategy = {("risk" if s == "risk" else s): v for s, v in by_strategy.items()}
    signals = [r for r in records if r["type"] == "signal"]
    last_ts = max(s["body"]["ts_ms"] for s in signals)
    refusals = {}
    for r in records:
        if r["type"] == "risk_decision" and not r["body"]["approved"]:
            refusals[r["body"]["reason_code"]] = refusals.get(r["body"]["reason_code"], 0) + 1
    last_event = {}
    for r in records:
        if r["type"] == "order_event":
            last_event[r["body"]["client_order_id"]] = r["body"]["kind"]
    statuses = {}
    for r in records:
        if r["type"] == "order_request" and not r["body"]["cancel"]:
            k = last_event.get(r["body"]["client_order_id"], "sent")
            statuses[k] = statuses.get(k, 0) + 1

    def day(ms):
        return time.strftime("%Y-%m-%d", time.gmtime(ms // 1000))
    alerts, state = {}, "active"  # what the rules raise: each change of risk's state, a summary a day
    for r in records:
        if r["type"] == "risk_state" and r["body"]["state"] != state:
            state = r["body"]["state"]
            alerts[(day(r["body"]["ts_ms"]), state)] = alerts.get((day(r["body"]["ts_ms"]), state), 0) + 1
    for d in {day(r["body"]["ts_ms"]) for r in records if r["type"] == "portfolio_state"}:
        alerts[(d, "daily_summary")] = 1

    checks = [
        # predictions of the last 24 hours of data, with what each was computed from
        lambda rows: [(int(r[0]), json.loads(r[7])) for r in rows]
                     == [(s["seq"], {v["name"]: v["value"] for v in s["body"]["values"]})
                         for s in signals if s["body"]["ts_ms"] > last_ts - 86400000]
                     and len(rows) > 0 and all(r[6] == "NULL" for r in rows),  # a rule has no probability
        # PnL by day: report's days, to the unit, adding up to the net PnL
        lambda rows: {r[0]: Decimal(norm(r[3])) for r in rows} == days and sum(Decimal(norm(r[3])) for r in rows) == net
                     and all(r[1] == "rule" for r in rows),
        # fills and fees by strategy per day: report's per-strategy totals
        lambda rows: {s: (sum(int(r[2]) for r in rows if r[1] == s),
                          sum(Decimal(norm(r[3])) for r in rows if r[1] == s)) for s in {r[1] for r in rows}}
                     == by_strategy,
        # refusals by reason: the journal's risk decisions
        lambda rows: {r[0]: int(r[1]) for r in rows} == refusals and len(refusals) > 0,
        # the equity curve: every portfolio state, ending at the node's final equity
        lambda rows: len(rows) == stats["by_type"]["portfolio_state"] and Decimal(norm(rows[-1][1])) == equity,
        # orders by how they ended
        lambda rows: {r[0]: int(r[1]) for r in rows} == statuses,
        # alerts by day and kind: state changes and daily summaries, as the journal has them
        lambda rows: {(r[0], r[1]): int(r[3]) for r in rows} == alerts and len(alerts) >= 7,
    ]
    if len(blocks) != len(checks):
        print(f"{md} has {len(blocks)} queries, this check knows {len(checks)}")
        return False
    bad = []
    for i, (sql, check) in enumerate(zip(blocks, checks), 1):
        rows = query(db, sql)
        if not check(rows):
            bad.append(f"query {i} answered {rows[:8]}{' ...' if len(rows) > 8 else ''}")
    print("\n".join(bad) if bad else f"{len(blocks)} queries answered as the journal does")
    return not bad


if __name__ == "__main__":
    mode = sys.argv[1]
    ok = {"counts": lambda: counts(sys.argv[2], sys.argv[3]), "same": lambda: same(sys.argv[2], sys.argv[3]),
          "queries": lambda: queries(sys.argv[2], sys.argv[3], sys.argv[4])}[mode]()
    sys.exit(0 if ok else 1)
