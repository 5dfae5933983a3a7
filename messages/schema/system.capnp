@0xf1ae5f710755f762;
# Time, operator commands, feed health and errors.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("trader::schema");

# The only source of time for business cores.
struct ClockTick {
  tsNs @0 :Int64;
}

enum OperatorCommandKind { halt @0; resume @1; flatten @2; shutdown @3; }

struct OperatorCommand {
  kind @0 :OperatorCommandKind;
  issuedBy @1 :Text;         # who: "http", "cli", "signal" (never a token)
  reason @2 :Text;
  tsNs @3 :Int64;
}

enum FeedStatusKind { connected @0; disconnected @1; gap @2; reconnecting @3; endOfData @4; history @5; }

struct FeedStatus {
  kind @0 :FeedStatusKind;
  symbol @1 :Text;
  stream @2 :Text;
  expectedId @3 :UInt64;     # for gaps: the id that should have come next
  receivedId @4 :UInt64;     # for gaps: the id that came
  detail @5 :Text;
  tsNs @6 :Int64;
}

struct Error {
  code @0 :Text;             # e.g. "malformed_frame", "unknown_stream"
  message @1 :Text;
  context @2 :Text;          # e.g. "btcusdt_20240808.gz:42"
  refSeq @3 :UInt64;         # a journal seq it concerns (0 if none)
  tsNs @4 :Int64;
}
