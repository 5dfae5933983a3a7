@0x8638fe05fdee1319;
# Market data as received from a venue. Prices and quantities are fixed point
# with 8 decimals (Binance's precision); exchange ids and timestamps are kept.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("trader::schema");
using import "annotations.capnp".fixed;

struct Trade {
  symbol @0 :Text;
  price @1 :Int64 $fixed(8);
  qty @2 :Int64 $fixed(8);
  tradeId @3 :UInt64;
  exchangeTsMs @4 :Int64;    # event time (E)
  tradeTsMs @5 :Int64;       # trade time (T)
  buyerMaker @6 :Bool;
}

struct AggTrade {
  symbol @0 :Text;
  price @1 :Int64 $fixed(8);
  qty @2 :Int64 $fixed(8);
  aggTradeId @3 :UInt64;
  firstTradeId @4 :UInt64;
  lastTradeId @5 :UInt64;
  exchangeTsMs @6 :Int64;
  tradeTsMs @7 :Int64;
  buyerMaker @8 :Bool;
}

struct BookTicker {
  symbol @0 :Text;
  updateId @1 :UInt64;
  bidPrice @2 :Int64 $fixed(8);
  bidQty @3 :Int64 $fixed(8);
  askPrice @4 :Int64 $fixed(8);
  askQty @5 :Int64 $fixed(8);
  exchangeTsMs @6 :Int64;    # 0 when the stream does not send one (spot bookTicker)
}

struct PriceLevel {
  price @0 :Int64 $fixed(8);
  qty @1 :Int64 $fixed(8);   # 0 removes the level
}

struct DepthUpdate {
  symbol @0 :Text;
  firstUpdateId @1 :UInt64;  # U
  finalUpdateId @2 :UInt64;  # u
  exchangeTsMs @3 :Int64;
  bids @4 :List(PriceLevel);
  asks @5 :List(PriceLevel);
}

# A REST order-book snapshot (`/api/v3/depth`), the base depth updates apply to.
struct DepthSnapshot {
  symbol @0 :Text;
  lastUpdateId @1 :UInt64;
  bids @2 :List(PriceLevel);
  asks @3 :List(PriceLevel);
}

# An exchange kline (candlestick) as streamed.
struct Kline {
  symbol @0 :Text;
  intervalS @1 :UInt32;
  openTimeMs @2 :Int64;
  closeTimeMs @3 :Int64;
  open @4 :Int64 $fixed(8);
  high @5 :Int64 $fixed(8);
  low @6 :Int64 $fixed(8);
  close @7 :Int64 $fixed(8);
  volume @8 :Int64 $fixed(8);
  quoteVolume @9 :Int64 $fixed(8);
  trades @10 :UInt64;
  takerBuyVolume @11 :Int64 $fixed(8);
  takerBuyQuoteVolume @12 :Int64 $fixed(8);
  firstTradeId @13 :Int64;   # -1 when unknown
  lastTradeId @14 :Int64;
  closed @15 :Bool;
  exchangeTsMs @16 :Int64;
  history @17 :Bool;         # fetched from the venue's kline history at warm-up, not pushed by the stream
}

# A perpetual's mark price: what its positions are valued, margined and liquidated at.
# From the venue's markPrice stream, or derived by the feed from the best bid and ask when
# the data has none (bookMid: (bid + ask) / 2, toward zero).
enum MarkSource { venue @0; bookMid @1; }
struct MarkPrice {
  symbol @0 :Text;
  price @1 :Int64 $fixed(8);
  source @2 :MarkSource;
  exchangeTsMs @3 :Int64;    # the time of what it was read from
  # What a venue's mark stream announces besides the price (Binance USDⓈ-M markPrice: r
  # and T): the funding rate for the next funding time, and that time. 0 when not known.
  fundingRate @4 :Int64 $fixed(8);
  nextFundingTimeMs @5 :Int64;
}

# A perpetual's funding at one funding time: positions open then pay (positive rate:
# longs pay shorts) or receive rate x their notional at markPrice. From the venue, from
# the configured schedule when the data has none, or (markStream) decided by the feed
# when the venue's mark stream moves on to its next funding time: at the last rate and
# mark that stream announced before it.
enum FundingSource { venue @0; schedule @1; markStream @2; }
struct Funding {
  symbol @0 :Text;
  rate @1 :Int64 $fixed(8);
  fundingTimeMs @2 :Int64;
  markPrice @3 :Int64 $fixed(8);
  source @4 :FundingSource;
}
