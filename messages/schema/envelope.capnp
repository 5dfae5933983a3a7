@0xd232fc56bc92d951;
# The journal record: every message any actor receives is appended as one Envelope
# before it is delivered. `seq` is the total order of the node.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("trader::schema");

enum Actor {
  none @0;           # no single destination: published to the subscribers of its type
  marketFeed @1;
  candleBuilder @2;
  strategy @3;
  risk @4;
  portfolio @5;
  order @6;
  operator @7;       # a person or script, through the control API or CLI
  timer @8;          # the ClockTick source
  exchange @9;       # a venue's responses, as received
  journal @10;
  tools @11;         # offline tools (import, replay)
}

struct Envelope {
  seq @0 :UInt64;            # journal sequence number, 1-based, no gaps
  recvTsNs @1 :Int64;        # receive time, ns since the Unix epoch
  source @2 :Actor;
  destination @3 :Actor;
  destSeq @4 :UInt64;        # n-th message for this destination (0 when not tracked)
  typeId @5 :UInt16;         # see messages/type_registry.hpp
  schemaVersion @6 :UInt16;
  body @7 :AnyPointer;       # the struct named by typeId
  ingressSeq @8 :UInt64;     # external inputs: their position in the feed (e.g. capture item), 0 otherwise;
                             # a node resuming after a crash continues its feed after it
  causeSeq @9 :UInt64;       # the seq of the delivered message this one answers (its cause);
                             # 0: an external input, or a record journaled before causes were recorded
}

# A recording session of the node (journal sub-database `sessions`).
struct Session {
  id @0 :UInt64;
  startSeq @1 :UInt64;       # first seq written in the session
  endSeq @2 :UInt64;         # last seq written (0 while open)
  startTsNs @3 :Int64;
  endTsNs @4 :Int64;
  endReason @5 :Text;        # "" while open; "completed", "signal", "error: ..."
  nodeId @6 :Text;
  configHash @7 :Text;
  codeVersion @8 :Text;
}
