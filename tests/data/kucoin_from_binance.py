#!/usr/bin/env python3
"""Rewrites a Binance combined-stream capture as a KuCoin spot WebSocket capture: the same
prints, in the frames KuCoin sends on one connection. Used once to make
tests/data/kucoin_btcusdt_20240808.gz; kept so the file can be made again byte for byte:

  python3 tests/data/kucoin_from_binance.py ../shared/data/btcusdt_20240808.gz \
      BTC-USDT 180 tests/data/kucoin_btcusdt_20240808.gz

Mapping (receive times are the capture's own):
  - the connection: a welcome frame at the first receive time, an ack for each of the
    three subscriptions (match, ticker, level2), and a pong every 18 s (pingInterval);
  - each trade -> a /market/match frame (trade.l3match): tradeId and sequence = Binance's
    t, side = the taker's (Binance m = buyer is maker -> "sell"), time in nanoseconds from
    Binance's T;
  - each depth diff -> a /market/level2 frame (trade.l2update): sequenceStart = U,
    sequenceEnd = u, each change [price, size, sequence] with absolute sizes, time = E;
  - the REST depth snapshot -> the answer of GET /api/v1/market/orderbook/level2_100 as
    `record kucoin` writes it: {"code":"200000","data":{"time","sequence","bids","asks"}},
    sequence = lastUpdateId;
  - book tickers -> a /market/ticker frame (trade.ticker) at most every 100 ms of receive
    time (KuCoin's push rate), the last trade's price and size, sequence = the ticker's u.
Decimals are written as KuCoin writes them today, without trailing zeros ("61837.63").
"""
import gzip
import io
import json
import sys


def dec(text):
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def main(src, symbol, seconds, out_path):
    lines = []
    with gzip.open(src, "rt") as f:
        for line in f:
            ts, frame = line.rstrip("\n").split(" ", 1)
            lines.append((int(ts), json.loads(frame)))
    first = lines[0][0]
    lines = [(ts, fr) for ts, fr in lines if ts <= first + seconds * 1_000_000_000]

    frames = [(first, {"id": "kc-welcome-1", "type": "welcome"})]
    for n, topic in enumerate(("/market/match:", "/market/ticker:", "/market/level2:")):
        frames.append((first, {"id": str(1723161000000 + n), "type": "ack"}))
    next_pong = first + 18_000_000_000
    last_trade = None
    last_ticker_window = None
    last_ms = None
    for ts, fr in lines:
        while ts >= next_pong:
            frames.append((next_pong, {"id": str(next_pong // 1_000_000), "type": "pong",
                                       "timestamp": next_pong // 1000}))
            next_pong += 18_000_000_000
        if "lastUpdateId" in fr:
            data = {"time": last_ms or ts // 1_000_000, "sequence": str(fr["lastUpdateId"]),
                    "bids": [[dec(p), dec(q)] for p, q in fr["bids"]],
                    "asks": [[dec(p), dec(q)] for p, q in fr["asks"]]}
            frames.append((ts, {"code": "200000", "data": data}))
            continue
        stream, d = fr["stream"], fr["data"]
        if stream.endswith("@trade"):
            last_trade = d
            last_ms = d["E"]
            frames.append((ts, {"topic": "/market/match:" + symbol, "type": "message", "subject": "trade.l3match",
                                "data": {"makerOrderId": "%024x" % (d["t"] * 2), "price": dec(d["p"]),
                                         "sequence": str(d["t"]), "side": "sell" if d["m"] else "buy",
                                         "size": dec(d["q"]), "symbol": symbol,
                                         "takerOrderId": "%024x" % (d["t"] * 2 + 1),
                                         "time": str(d["T"] * 1_000_000), "tradeId": str(d["t"]), "type": "match"}}))
        elif stream.endswith("@bookTicker"):
            window = ts // 100_000_000
            if window == last_ticker_window or last_trade is None:
                continue
            last_ticker_window = window
            frames.append((ts, {"topic": "/market/ticker:" + symbol, "type": "message", "subject": "trade.ticker",
                                "data": {"bestAsk": dec(d["a"]), "bestAskSize": dec(d["A"]), "bestBid": dec(d["b"]),
                                         "bestBidSize": dec(d["B"]), "price": dec(last_trade["p"]),
                                         "sequence": str(d["u"]), "size": dec(last_trade["q"]),
                                         "time": last_ms}}))
        elif "@depth" in stream:
            last_ms = d["E"]
            seq = lambda i: str(min(d["U"] + i, d["u"]))
            changes = {"asks": [[dec(p), dec(q), seq(i)] for i, (p, q) in enumerate(d["a"])],
                       "bids": [[dec(p), dec(q), seq(len(d["a"]) + i)] for i, (p, q) in enumerate(d["b"])]}
            frames.append((ts, {"topic": "/market/level2:" + symbol, "type": "message", "subject": "trade.l2update",
                                "data": {"changes": changes, "sequenceEnd": d["u"], "sequenceStart": d["U"],
                                         "symbol": symbol, "time": d["E"]}}))

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
        sys.exit("usage: kucoin_from_binance.py BINANCE_CAPTURE SYMBOL SECONDS OUT.gz")
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])
