#!/usr/bin/env python3
"""Every paper fill's fee, recomputed from the journal (a `dump --json` file): the notional
(qty x price, truncated to 1e-8) at the venue's rate, rounded up to 1e-8, in exact integers.
Usage: paper_fees.py JOURNAL_JSONL VENUE=TAKER_BPS/MAKER_BPS ...  (a symbol without @VENUE
is binance's). Prints "fills N" or exits 1 naming the first fill that differs."""
import json
import sys
from decimal import Decimal

def units(text):
    return int(Decimal(text) * 100_000_000)

def main():
    rates = {}
    for arg in sys.argv[2:]:
        venue, bps = arg.split("=")
        taker, maker = bps.split("/")
        rates[venue] = {"taker": int(Decimal(taker) * 100), "maker": int(Decimal(maker) * 100)}  # ppm
    fills = 0
    for line in open(sys.argv[1]):
        r = json.loads(line)
        if r["type"] != "order_event" or r["body"]["kind"] not in ("filled", "partially_filled"):
            continue
        b = r["body"]
        venue = b["symbol"].rsplit("@", 1)[1] if "@" in b["symbol"] else "binance"
        notional = units(b["fill_qty"]) * units(b["fill_price"]) // 100_000_000
        want = -(-notional * rates[venue][b["liquidity"]] // 1_000_000)
        if units(b["fee"]) != want:
            sys.exit(f"seq {r['seq']}: fee {b['fee']}, expected {Decimal(want) / 100_000_000} "
                     f"({b['liquidity']} at {rates[venue][b['liquidity']] / 100} bps of {b['fill_qty']} x {b['fill_price']})")
        fills += 1
    if fills == 0:
        sys.exit("no fill in the journal")
    print(f"fills {fills}")

main()
