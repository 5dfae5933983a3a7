#!/usr/bin/env python3
"""One signed KuCoin REST call against exchange-sim, as a client of the venue other than
the node: KC-API-* headers (HMAC-SHA256 of timestamp + method + path?query + body, the
passphrase's HMAC, key version 2), the sim's certificate trusted. Prints the answer's
JSON; exits 1 on an HTTP error or a KuCoin code other than 200000 (printing it). A 429
(the sim's bursts) is tried again after a second, up to five times.
Usage: kucoin_call.py BASE_URL CA_FILE METHOD PATH [JSON_BODY]
Key, secret and passphrase from KUCOIN_CALL_KEY / KUCOIN_CALL_SECRET / KUCOIN_CALL_PASSPHRASE."""
import base64
import hashlib
import hmac
import json
import os
import ssl
import sys
import time
import urllib.error
import urllib.request

base, ca, method, path, *rest = sys.argv[1:]
body = rest[0] if rest else ""
secret = os.environ["KUCOIN_CALL_SECRET"].encode()
sign = lambda text: base64.b64encode(hmac.new(secret, text.encode(), hashlib.sha256).digest()).decode()


def call():
    now = str(int(time.time() * 1000))
    headers = {"KC-API-KEY": os.environ["KUCOIN_CALL_KEY"], "KC-API-SIGN": sign(now + method + path + body),
               "KC-API-TIMESTAMP": now, "KC-API-PASSPHRASE": sign(os.environ["KUCOIN_CALL_PASSPHRASE"]),
               "KC-API-KEY-VERSION": "2", "Content-Type": "application/json"}
    request = urllib.request.Request(base + path, data=body.encode() if body else None, method=method, headers=headers)
    with urllib.request.urlopen(request, context=ssl.create_default_context(cafile=ca), timeout=10) as answer:
        return answer.read().decode()


for attempt in range(6):
    try:
        text = call()
        break
    except urllib.error.HTTPError as e:
        if e.code == 429 and attempt < 5:
            time.sleep(1.1)
            continue
        print(f"HTTP {e.code}: {e.read().decode()}")
        sys.exit(1)
print(text)
sys.exit(0 if json.loads(text).get("code") == "200000" else 1)
