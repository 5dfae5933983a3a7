#!/usr/bin/env python3
"""Checks a journal's live candles against an independent aggregation of its trades.

Usage: candles_match_trades.py DUMP.jsonl [INTERVAL_S]   (DUMP: `trader-tools dump --json`)
Every non-history candle of the interval (default 60 s) must equal, to the unit, the
open/high/low/close/volume/count of the journaled trades (those delivered by the feed,
destination "none") whose exchange time falls in it. Exits 1, saying where, if not.
"""
import json
import sys
from decimal import Decimal

recs = [json.loads(line) for line in open(sys.argv[1])]
interval_ms = (int(sys.argv[2]) if len(sys.argv) > 2 else 60) * 1000
agg = {}
for r in recs:
    if r["type"] != "trade" or r["destination"] != "none":
        continue
    b = r["body"]
    m = b["trade_ts_ms"] // interval_ms * interval_ms
    p, q = Decimal(b["price"]), Decimal(b["qty"])
    a = agg.setdefault(m, {"open": p, "high": p, "low": p, "close": p, "volume": Decimal(0), "trades": 0})
    a["high"] = max(a["high"], p)
    a["low"] = min(a["low"], p)
    a["close"] = p
    a["volume"] += q
    a["trades"] += 1
candles = [r["body"] for r in recs
           if r["type"] == "candle" and r["body"]["interval_s"] * 1000 == interval_ms and not r["body"]["history"]]
if not candles:
    sys.exit("no candles")
for c in candles:
    a = agg[c["open_time_ms"]]
    for k in ("open", "high", "low", "close", "volume"):
        if Decimal(c[k]) != a[k]:
            sys.exit(f"candle {c['open_time_ms']}: {k} {c[k]}, the trades say {a[k]}")
    if c["trades"] != a["trades"]:
        sys.exit(f"candle {c['open_time_ms']}: {c['trades']} trades, the journal has {a['trades']}")
