#!/usr/bin/env python3
"""Rewrites a Binance USDⓈ-M combined-stream capture as a KuCoin Futures WebSocket capture:
the same prints, in the frames KuCoin Futures sends on one connection. Used once to make
tests/data/kucoin_futures_xbtusdtm_20240808.gz; kept so the file can be made again byte
for byte:

  python3 tests/data/kucoin_futures_from_binance.py ../shared/data/btcusdt_usdm_20240808.gz \
      XBTUSDTM 180 tests/data/kucoin_futures_xbtusdtm_20240808.gz

KuCoin Futures counts sizes in lots of the contract's multiplier (XBTUSDTM: 0.001 XBT a
lot); Binance's USDⓈ-M BTCUSDT quantities are whole multiples of 0.001 BTC, so each maps to
a whole number of lots exactly (the script stops if one does not).

Mapping (receive times are the capture's own):
  - the connection: a welcome frame at the first receive time, then the contract as
    `record kucoin_futures` writes it before the stream (the answer of GET
    /api/v1/contracts/XBTUSDTM: {"code":"200000","data":{...}}, with KuCoin's published
    multiplier 0.001, lot size 1, tick size 0.1, USDT-settled, not inverse), an ack for
    each of the two subscriptions (execution, tickerV2), and a pong every 18 s;
  - each trade -> a /contractMarket/execution frame (subject "match"): sequence and tradeId
    = Binance's t, side = the taker's (Binance m = buyer is maker -> "sell"), size in lots
    (a JSON number), price as a string, ts in nanoseconds from Binance's T;
  - book tickers -> a /contractMarket/tickerV2 frame at most every 100 ms of receive time,
    sizes in lots, sequence = the ticker's u, ts in nanoseconds from T.
The capture has no depth diffs here (KuCoin's level2 sends one change a message, which
Binance's batched diffs cannot be split into with true sequences), no mark price and no
funding: as with the USDⓈ-M capture, the mark comes from the book's mid and funding from a
configured schedule. Prices are written without trailing zeros ("61800.3").
"""
import gzip
import io
import json
import sys
from decimal import Decimal

LOT = Decimal("0.001")


def dec(text):
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def lots(text):
    n = Decimal(text) / LOT
    if n != n.to_integral_value():
        sys.exit(f"{text} is not a whole number of {LOT} lots")
    return int(n)


def main(src, symbol, seconds, out_path):
    lines = []
    with gzip.open(src, "rt") as f:
        for line in f:
            ts, frame = line.rstrip("\n").split(" ", 1)
            lines.append((int(ts), json.loads(frame)))
    first = lines[0][0]
    lines = [(ts, fr) for ts, fr in lines if ts <= first + seconds * 1_000_000_000]

    contract = {"symbol": symbol, "rootSymbol": "USDT", "type": "FFWCSX", "baseCurrency": "XBT",
                "quoteCurrency": "USDT", "settleCurrency": "USDT", "maxOrderQty": 1000000, "maxPrice": 1000000.0,
                "lotSize": 1, "tickSize": 0.1, "indexPriceTickSize": 0.01, "multiplier": 0.001,
                "initialMargin": 0.008, "maintainMargin": 0.004, "maxRiskLimit": 100000, "minRiskLimit": 100000,
                "riskStep": 50000, "makerFeeRate": 0.0002, "takerFeeRate": 0.0006, "isDeleverage": True,
                "isQuanto": False, "isInverse": False, "markMethod": "FairPrice", "fairMethod": "FundingRate",
                "fundingBaseSymbol": ".XBTINT8H", "fundingQuoteSymbol": ".USDTINT8H",
                "fundingRateSymbol": ".XBTUSDTMFPI8H", "indexSymbol": ".KXBTUSDT", "status": "Open",
                "maxLeverage": 125, "fundingFeeRate": 0.0001, "predictedFundingFeeRate": 0.0001,
                "fundingRateGranularity": 28800000}
    frames = [(first, {"id": "kcf-welcome-1", "type": "welcome"}),
              (first, {"code": "200000", "data": contract})]
    for n in range(2):
        frames.append((first, {"id": str(1723161000000 + n), "type": "ack"}))
    next_pong = first + 18_000_000_000
    last_ticker_window = None
    for ts, fr in lines:
        while ts >= next_pong:
            frames.append((next_pong, {"id": str(next_pong // 1_000_000), "type": "pong",
                                       "timestamp": next_pong // 1000}))
            next_pong += 18_000_000_000
        if "stream" not in fr:
            continue
        stream, d = fr["stream"], fr["data"]
        if stream.endswith("@trade"):
            frames.append((ts, {"topic": "/contractMarket/execution:" + symbol, "type": "message", "subject": "match",
                                "sn": d["t"],
                                "data": {"symbol": symbol, "sequence": d["t"], "side": "sell" if d["m"] else "buy",
                                         "size": lots(d["q"]), "price": dec(d["p"]),
                                         "takerOrderId": str(d["t"] * 2 + 1), "makerOrderId": str(d["t"] * 2),
                                         "tradeId": str(d["t"]), "ts": d["T"] * 1_000_000}}))
        elif stream.endswith("@bookTicker"):
            window = ts // 100_000_000
            if window == last_ticker_window:
                continue
            last_ticker_window = window
            frames.append((ts, {"topic": "/contractMarket/tickerV2:" + symbol, "type": "message",
                                "subject": "tickerV2", "sn": d["u"],
                                "data": {"symbol": symbol, "sequence": d["u"], "bestBidSize": lots(d["B"]),
                                         "bestBidPrice": dec(d["b"]), "bestAskPrice": dec(d["a"]),
                                         "bestAskSize": lots(d["A"]), "ts": d["T"] * 1_000_000}}))

    frames.sort(key=lambda f: f[0])  # stable: frames of one receive time keep their order
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9, mtime=0) as gz:
        for recv, frame in frames:
            gz.write(("%d %s\n" % (recv, json.dumps(frame, separators=(",", ":")))).encode())
    with open(out_path, "wb") as f:
        f.write(buf.getvalue())
    print(f"{len(frames)} frames from {len(lines)} lines into {out_path}")


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit("usage: kucoin_futures_from_binance.py BINANCE_USDM_CAPTURE SYMBOL SECONDS OUT.gz")
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])
