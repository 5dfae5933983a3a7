#!/usr/bin/env python3
"""Cuts btcusdt_usdm_20240808_trades_book.gz from the shared Binance USDⓈ-M capture.

Keeps, unchanged and in order, every trade line and every bookTicker line whose best bid or
best ask price differs from the one before it (a line that only moves the sizes changes no
mid price, which is what a futures paper session marks positions at). Depth updates and the
REST snapshot are left out: futures tests read trades and the best prices.

Usage: usdm_trades_book.py SHARED/btcusdt_usdm_20240808.gz > btcusdt_usdm_20240808_trades_book.gz
(gzip level 9 with no name or time in the header, so the file is made byte for byte again.)
"""
import gzip
import json
import sys


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    last = None
    kept = []
    with gzip.open(sys.argv[1], "rt") as f:
        for line in f:
            frame = json.loads(line.split(" ", 1)[1])
            stream = frame.get("stream", "")
            if stream.endswith("@trade"):
                kept.append(line)
            elif stream.endswith("@bookTicker"):
                best = (frame["data"]["b"], frame["data"]["a"])
                if best != last:
                    kept.append(line)
                    last = best
    sys.stdout.buffer.write(gzip.compress("".join(kept).encode(), compresslevel=9, mtime=0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
