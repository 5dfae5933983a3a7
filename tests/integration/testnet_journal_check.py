#!/usr/bin/env python3
"""Checks the journal of a testnet session against a venue's simulator.

Usage: testnet_journal_check.py DUMP.jsonl AT_SIM VENUE SYMBOL FEE_ASSET BALANCES
  DUMP      `trader-tools dump --json` of the session
  AT_SIM    how many orders the simulator took (from its log)
  VENUE     the venue whose account the node adopted ("coinbase", "kucoin")
  SYMBOL    the instrument every order names ("BTC-USD@coinbase")
  FEE_ASSET the asset every fill's fee is in
  BALANCES  the account adopted at the start, as JSON: {"USD": ["2000", ""], "BTC": ["0.01", "BTC-USD@coinbase"]}
What must hold: one account adoption with those balances; a round trip at least; each
order's client id once and each order reaching the venue exactly once; at least one rate
limit and one unanswered order (looked up, not resent) and one stream drop; fees in the
asset, never zero; every portfolio state adding up (equity - start = realized +
unrealized - fees). Prints the counts; exits 1 (an assertion) if anything fails.
"""
import json
import sys
from decimal import Decimal as D

dump, at_sim, venue, symbol, fee_asset, balances = sys.argv[1:7]
rows = [json.loads(line) for line in open(dump)]
at_sim = int(at_sim)
acct = [r for r in rows if r["type"] == "account_balances"]
assert len(acct) == 1 and acct[0]["body"]["venue"] == venue, acct
bal = {b["asset"]: (D(b["free"]) + D(b["locked"]), b["symbol"]) for b in acct[0]["body"]["balances"]}
want = {asset: (D(amount), of) for asset, (amount, of) in json.loads(balances).items()}
assert bal == want, bal
requests = [r for r in rows if r["type"] == "order_request" and not r["body"]["cancel"]]
events = [r for r in rows if r["type"] == "order_event"]
accepted = [e for e in events if e["body"]["kind"] == "accepted"]
fills = [e for e in events if e["body"]["kind"] in ("filled", "partially_filled")]
codes = [r["body"]["code"] for r in rows if r["type"] == "error"]
status = [r["body"]["kind"] for r in rows if r["type"] == "feed_status"]
print(f"  {len(requests)} orders, {len(accepted)} accepted, {len(fills)} fills, {codes.count('venue_rate_limited')} rate limited, "
      f"{codes.count('venue_no_answer')} unanswered (looked up), {status.count('disconnected')} disconnects; the sim took {at_sim}")
assert len(requests) >= 2 and {f["body"]["side"] for f in fills} == {"buy", "sell"}, "a round trip at least"
assert all(r["body"]["symbol"] == symbol for r in requests)
ids = [r["body"]["client_order_id"] for r in requests]
assert len(ids) == len(set(ids)) and len(accepted) == at_sim, "each order reached the venue exactly once"
assert codes.count("venue_rate_limited") >= 1 and codes.count("venue_no_answer") >= 1, codes
assert status.count("disconnected") >= 1, status
assert all(f["body"]["fee_asset"] == fee_asset and D(f["body"]["fee"]) > 0 for f in fills), fills[:2]
states = [r for r in rows if r["type"] == "portfolio_state"]
assert states[-1]["body"]["fills"] == len(fills)
for r in states:
    b = r["body"]
    assert D(b["equity"]) - D(b["starting_cash"]) == D(b["realized_pnl"]) + D(b["unrealized_pnl"]) - D(b["fees"]), r
