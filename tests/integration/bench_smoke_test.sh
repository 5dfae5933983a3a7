#!/usr/bin/env bash
# trader-bench --smoke on the bundled data (and a PostgreSQL of its own for the projection
# part): every part runs and prints every documented key with a positive number. Speed is not asserted (tests never assert on time).
source "$(dirname "$0")/lib.sh"
BENCH=${TRADER_BENCH:?set TRADER_BENCH}
start_postgres  # the projection part measures PostgreSQL too
"$BENCH" --smoke --json --data "$DATA" --work "$SCRATCH/bench" --pg "$PG_URL" > "$SCRATCH/bench.json" 2> "$SCRATCH/bench.err" \
  && ok "trader-bench --smoke runs" || bad "trader-bench failed: $(cat "$SCRATCH/bench.err")"
python3 - "$SCRATCH/bench.json" <<'PY' && ok "every key present with a positive value" || bad "bench keys: $(cat "$SCRATCH/bench.json")"
import json, sys
d = json.load(open(sys.argv[1]))
keys = ["journal_append_ratio_nosync", "journal_append_ratio_sync", "journal_append_per_s_nosync",
        "raw_lmdb_append_per_s_nosync", "raw_lmdb_append_per_s_sync", "journal_read_ratio", "journal_read_per_s",
        "journal_view_read_ratio", "journal_view_read_per_s", "journal_header_read_ratio", "journal_header_read_per_s",
        "packing_pack_speedup", "packing_unpack_speedup",
        "raw_lmdb_scan_per_s", "replay_events_per_s", "replay_events", "tick_to_order_p50_us", "tick_to_order_p99_us",
        "tick_to_order_p999_us", "tick_to_order_samples", "tick_to_order_p99_us_sync", "bytes_per_trade_record", "import_ratio", "capture_read_lines_per_s",
        "import_lines_per_s", "simdjson_parse_lines_per_s", "node_vs_replay_ratio", "node_events_per_s",
        "what_if_same_data_events_per_s", "tick_to_order_hops", "tick_to_order_p50_us_per_hop",
        "caf_round_trip_us", "caf_request_round_trip_us", "node_deliveries_per_record", "node_vs_replay_ceiling",
        "idle_codec_ns_warm", "idle_codec_ns_after_670us", "idle_codec_ns_after_33ms", "idle_penalty_33ms",
        "projection_rows", "projection_rows_per_s_sqlite", "sqlite_bulk_insert_rows_per_s", "projection_ratio_sqlite",
        "projection_rows_per_s_postgresql", "postgresql_copy_rows_per_s", "projection_ratio_postgresql",
        "bytes_per_message_journal", "bytes_per_message_compacted", "bytes_per_message_json_zstd19",
        "bytes_per_message_json_gz", "compact_mb_per_s", "compact_messages",
        "sweep_tasks", "sweep_tasks_per_s_1_worker", "sweep_tasks_per_s_2_workers", "sweep_scaling_2_workers"]
missing = [k for k in keys if not (isinstance(d.get(k), (int, float)) and d[k] > 0)]
assert not missing, missing
PY
expect_fail "bench with no data" 2 "expected the real data files" "$BENCH" --smoke --data "$SCRATCH/nowhere"
finish
