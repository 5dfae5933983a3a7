#!/usr/bin/env bash
# Broken configs are errors that name the key and the line; the node starts nothing.
source "$(dirname "$0")/lib.sh"
NODE=${TRADER_NODE:?set TRADER_NODE}
cd "$DATA/../.."

cfg="$SCRATCH/c.toml"
write() { printf '%s\n' "$@" > "$cfg"; }

write '[feed]' 'files = ["tests/data/btcusdc_kline1m_20230301-07.gz"]' '[risk]' 'max_open_positionz = 3'
expect_fail "unknown key: named with its line" 2 "c.toml:4: risk.max_open_positionz: unknown key" "$NODE" --config "$cfg"
write '[feed]' 'files = ["tests/data/btcusdc_kline1m_20230301-07.gz"]' '[riskk]' 'x = 1'
expect_fail "unknown section" 2 "c.toml:3: riskk: unknown section" "$NODE" --config "$cfg"
write '[feed]' 'files = ["tests/data/btcusdc_kline1m_20230301-07.gz"]' '[risk]' 'max_open_positions = "three"'
expect_fail "wrong type: named with its line" 2 "c.toml:4: risk.max_open_positions: expected an integer, got a string" "$NODE" --config "$cfg"
write '[feed]' 'files = ["no/such/day.gz"]'
expect_fail "missing capture file" 2 "c.toml:2: feed.files: file no/such/day.gz does not exist" "$NODE" --config "$cfg"
write '[feed]' 'files = ["tests/data/btcusdc_kline1m_20230301-07.gz"]' '[market]' 'lot_step = 0.00001'
expect_fail "float for an exact amount" 2 "market.lot_step: write exact amounts as strings" "$NODE" --config "$cfg"
write '[feed]' 'files = ["tests/data/btcusdc_kline1m_20230301-07.gz"]' '[risk]' 'max_position_notional = "99999999999999999999"'
expect_fail "an amount past the fixed-point range says the range" 2 \
  'c.toml:4: risk.max_position_notional: not a decimal with at most 8 places within ±92233720368.54775807' "$NODE" --config "$cfg"
write '[feed]' 'files = ["tests/data/btcusdc_kline1m_20230301-07.gz"]' '[risk]' 'max_drawdown = 1.5'
expect_fail "out of range" 2 "risk.max_drawdown: 1.5 is out of range" "$NODE" --config "$cfg"
write '[feed]' 'files = ["tests/data/btcusdc_kline1m_20230301-07.gz"]' '[strategy]' 'interval = "7m"'
expect_fail "strategy interval not built" 2 "strategy.interval: must be one of candles.intervals" "$NODE" --config "$cfg"
write '[feed' 'files = 1'
expect_fail "TOML syntax error with line and column" 2 "c.toml:1:" "$NODE" --config "$cfg"
write '[feed]' 'files = ["tests/data/btcusdc_kline1m_20230301-07.gz"]' 'symbols = ["BTCUSDC"]' '[order]' 'mode = "live"' \
  '[portfolio]' 'quote_asset = "USDC"'
expect_fail "live mode needs --confirm-live" 2 'add --confirm-live' "$NODE" --config "$cfg"
write '[feed]' 'files = ["tests/data/btcusdc_kline1m_20230301-07.gz"]' 'symbols = ["BTCUSDC"]'
expect_fail "a symbol quoted in another asset than the portfolio's cash (default USDT)" 2 \
  'c.toml:3: feed.symbols: BTCUSDC is quoted in USDC; every instrument is quoted in portfolio.quote_asset (USDT)' \
  "$NODE" --config "$cfg"
write '[feed]' 'files = ["tests/data/btcusdc_kline1m_20230301-07.gz"]' '[order]' 'mode = "real"'
expect_fail "an unknown order mode names the choices" 2 'c.toml:4: order.mode: "real" is not one of "paper", "testnet", "live"' "$NODE" --config "$cfg"
write '[feed]' 'files = ["tests/data/btcusdc_kline1m_20230301-07.gz"]' '[order]' 'mode = "testnet"' '[venue]' 'rest_url = "http://x"'
expect_fail "a venue URL that is not https" 2 'c.toml:6: venue.rest_url: expected an https:// URL' "$NODE" --config "$cfg"
write '[feed]' 'files = ["tests/data/btcusdc_kline1m_20230301-07.gz"]' '[order]' 'mode = "testnet"'
expect_fail "a venue mode without feed.symbols is refused (no symbol's rules would be checked)" 2 \
  'c.toml: feed.symbols: order.mode = "testnet" needs the symbols it trades' "$NODE" --config "$cfg"
write '[feed]' 'files = ["tests/data/btcusdc_kline1m_20230301-07.gz"]'
expect_fail "--set with a wrong type names the override" 2 "--set risk.max_open_positions: expected an integer" \
  "$NODE" --config "$cfg" --set risk.max_open_positions=many
expect_fail "--set without =" 2 "expected key=value" "$NODE" --config "$cfg" --set journal.path
expect_fail "--set unknown key" 2 "--set risk.nope: unknown key" "$NODE" --config "$cfg" --set risk.nope=1
write '[feed]' 'files = ["tests/data/btcusdc_kline1m_20230301-07.gz"]' '[journal]' 'durability = "nosync"' '[order]' 'mode = "testnet"'
expect_fail "testnet with an unsynced journal is refused" 2 'c.toml:4: journal.durability: order.mode = "testnet" needs "sync"' "$NODE" --config "$cfg"
expect_fail "missing config file" 2 "config file $SCRATCH/none.toml does not exist" "$NODE" --config "$SCRATCH/none.toml"
expect_fail "no --config" 2 "--config is required" "$NODE"
finish
