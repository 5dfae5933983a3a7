#!/usr/bin/env python3
"""One signed Binance USDⓈ-M REST call against exchange-sim, as a client of the venue
other than the node: HMAC-SHA256 over the query, the key in X-MBX-APIKEY, the sim's
certificate trusted. Prints the answer's JSON; exits 1 on an HTTP error (printing it).
Usage: fapi_call.py BASE_URL CA_FILE METHOD PATH [name=value ...]
Key and secret from BINANCE_USDM_API_KEY / BINANCE_USDM_API_SECRET."""
import hashlib
import hmac
import os
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

base, ca, method, path, *pairs = sys.argv[1:]
params = dict(p.split("=", 1) for p in pairs)
params["timestamp"] = str(int(time.time() * 1000))
query = urllib.parse.urlencode(params)
signature = hmac.new(os.environ["BINANCE_USDM_API_SECRET"].encode(), query.encode(), hashlib.sha256).hexdigest()
request = urllib.request.Request(f"{base}{path}?{query}&signature={signature}", method=method,
                                 headers={"X-MBX-APIKEY": os.environ["BINANCE_USDM_API_KEY"]})
try:
    with urllib.request.urlopen(request, context=ssl.create_default_context(cafile=ca), timeout=10) as answer:
        print(answer.read().decode())
except urllib.error.HTTPError as e:
    print(f"HTTP {e.code}: {e.read().decode()}")
    sys.exit(1)
