#!/usr/bin/env python3
"""The books of a perpetual session, from `trader-tools dump --json` lines (argv[1]):
every portfolio state adds up to the unit (equity - starting cash == realized + unrealized
- fees + funding), and the funding booked equals, record by record, -(position x mark) x
rate recomputed here in exact integers. Prints "shorts N funding F states S"; an
assertion names the seq that does not add up. Used by futures_paper_test.sh and
usdm_live_test.sh."""
import json, sys
from decimal import Decimal
u = lambda s: int(Decimal(s) * 100_000_000)
def trunc_div(a, b): return -((-a) // b) if (a < 0) != (b < 0) else a // b
qty, funding_expected, shorts, states, last = {}, 0, 0, 0, None  # qty: by symbol
for line in open(sys.argv[1]):
    r = json.loads(line); b = r["body"]
    if r["type"] == "risk_decision" and b["approved"] and not b["is_exit"] and b["side"] == "sell":
        shorts += 1
    elif r["type"] == "portfolio_state":
        states += 1
        net = u(b["equity"]) - u(b["starting_cash"])
        parts = u(b["realized_pnl"]) + u(b["unrealized_pnl"]) - u(b["fees"]) + u(b.get("funding", "0"))
        assert net == parts, f"seq {r['seq']}: equity - start {net} != realized + unrealized - fees + funding {parts}"
        qty = {p["symbol"]: u(p["qty"]) for p in b["positions"]}
        last = b
    elif r["type"] == "funding" and qty.get(b["symbol"], 0) != 0:
        notional = trunc_div(qty[b["symbol"]] * u(b["mark_price"]), 100_000_000)
        funding_expected += trunc_div(-notional * u(b["rate"]), 100_000_000)
    elif r["type"] == "liquidation":
        qty[b["symbol"]] = 0
booked = u(last.get("funding", "0"))
assert booked == funding_expected, f"funding booked {booked}, recomputed from the journal {funding_expected}"
print(f"shorts {shorts} funding {booked} states {states}")
