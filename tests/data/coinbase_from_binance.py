#!/usr/bin/env python3
"""Rewrites a Binance combined-stream capture as a Coinbase Advanced Trade WebSocket
capture: the same prints, in the frames Coinbase sends (one connection, sequence_num
counting every frame). Used once to make tests/data/coinbase_btcusd_20240808.gz; kept
so the file can be made again byte for byte:

  python3 tests/data/coinbase_from_binance.py ../shared/data/btcusdt_20240808.gz \
      BTC-USD 180 tests/data/coinbase_btcusd_20240808.gz

Mapping (receive times are the capture's own):
  - trades: those received in one 250 ms window make one market_trades frame, sent at the
    window's last receive time; trade_id = Binance's t; side is the taker's
    (Binance m = buyer is maker -> "SELL");
  - after each market_trades frame, a ticker frame with the book ticker as of its last trade;
  - the REST depth snapshot -> an l2_data snapshot; each depth diff -> an l2_data update
    (both carry absolute quantities);
  - each whole second of receive time: a heartbeats frame, and a candles frame with the
    current 5-minute candle made from the trades so far.
"""
import datetime
import gzip
import io
import json
import sys


def iso(ms):
    t = datetime.datetime.fromtimestamp(ms // 1000, tz=datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + ".%03d000Z" % (ms % 1000)


def main(src, product, seconds, out_path):
    lines = []
    with gzip.open(src, "rt") as f:
        for line in f:
            ts, frame = line.rstrip("\n").split(" ", 1)
            lines.append((int(ts), json.loads(frame)))
    first = lines[0][0]
    lines = [(ts, fr) for ts, fr in lines if ts <= first + seconds * 1_000_000_000]

    window, window_trades = None, []
    ticker = None
    last_price = None
    candle = None  # [start_s, o, h, l, c, v]
    next_second = (first // 1_000_000_000 + 1) * 1_000_000_000
    frames = []  # (recv_ns, channel, events, timestamp_ms)

    def flush_trades():
        nonlocal window_trades
        if not window_trades:
            return
        recv = window_trades[-1][0]
        trades = [{"trade_id": str(d["t"]), "product_id": product, "price": d["p"], "size": d["q"],
                   "side": "SELL" if d["m"] else "BUY", "time": iso(d["T"])} for _, d, _ in window_trades]
        frames.append((recv, "market_trades", [{"type": "update", "trades": trades}], window_trades[-1][1]["E"]))
        book = window_trades[-1][2]  # the book ticker as of the window's last trade
        if book is not None:
            frames.append((recv, "ticker", [{"type": "update", "tickers": [book]}], window_trades[-1][1]["E"]))
        window_trades = []

    last_ms = None
    for ts, fr in lines:
        while ts >= next_second:
            if window is not None and window < next_second // 250_000_000:
                flush_trades()  # its window ended before this second
            sec_ms = next_second // 1_000_000
            frames.append((next_second, "heartbeats", [{"current_time": iso(sec_ms), "heartbeat_counter": sec_ms // 1000}], sec_ms))
            if candle is not None:
                frames.append((next_second, "candles", [{"type": "update", "candles": [{
                    "start": str(candle[0]), "high": candle[2], "low": candle[3], "open": candle[1],
                    "close": candle[4], "volume": "%.8f" % candle[5], "product_id": product}]}], sec_ms))
            next_second += 1_000_000_000
        if "lastUpdateId" in fr:
            ups = [{"side": "bid", "event_time": iso(last_ms or ts // 1_000_000), "price_level": p, "new_quantity": q} for p, q in fr["bids"]]
            ups += [{"side": "offer", "event_time": iso(last_ms or ts // 1_000_000), "price_level": p, "new_quantity": q} for p, q in fr["asks"]]
            frames.append((ts, "l2_data", [{"type": "snapshot", "product_id": product, "updates": ups}], last_ms or ts // 1_000_000))
            continue
        stream, d = fr["stream"], fr["data"]
        if stream.endswith("@trade"):
            w = ts // 250_000_000
            if window is not None and w != window:
                flush_trades()
            window = w
            window_trades.append((ts, d, ticker))
            last_ms = d["E"]
            last_price = d["p"]
            start = d["T"] // 1000 // 300 * 300
            p = d["p"]
            if candle is None or candle[0] != start:
                candle = [start, p, p, p, p, 0.0]
            else:
                if float(p) > float(candle[2]): candle[2] = p
                if float(p) < float(candle[3]): candle[3] = p
                candle[4] = p
            candle[5] += float(d["q"])
        elif stream.endswith("@bookTicker"):
            ticker = {"type": "ticker", "product_id": product, "price": last_price or d["b"],
                      "best_bid": d["b"], "best_bid_quantity": d["B"], "best_ask": d["a"], "best_ask_quantity": d["A"]}
        elif "@depth" in stream:
            last_ms = d["E"]
            ups = [{"side": "bid", "event_time": iso(d["E"]), "price_level": p, "new_quantity": q} for p, q in d["b"]]
            ups += [{"side": "offer", "event_time": iso(d["E"]), "price_level": p, "new_quantity": q} for p, q in d["a"]]
            frames.append((ts, "l2_data", [{"type": "update", "product_id": product, "updates": ups}], d["E"]))
    flush_trades()

    frames.sort(key=lambda f: f[0])  # stable: frames of one receive time keep their order
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9, mtime=0) as gz:
        for seq, (recv, channel, evs, ms) in enumerate(frames):
            frame = {"channel": channel, "client_id": "", "timestamp": iso(ms), "sequence_num": seq, "events": evs}
            gz.write(("%d %s\n" % (recv, json.dumps(frame, separators=(",", ":")))).encode())
    with open(out_path, "wb") as f:
        f.write(buf.getvalue())
    print(f"{len(frames)} frames from {len(lines)} lines into {out_path}")


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit("usage: coinbase_from_binance.py BINANCE_CAPTURE PRODUCT SECONDS OUT.gz")
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])
