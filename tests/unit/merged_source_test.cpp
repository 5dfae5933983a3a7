// Several feed sources as one (exchange/merged_source.hpp): every item of each, once, each
// source's in its own order, whatever the interleaving.
#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "exchange/capture_stream.hpp"
#include "exchange/merged_source.hpp"

using namespace trader;

namespace {
// What an item is, to tell items apart and to compare orders.
std::string describe(const CaptureItem& item) { return item.where + " " + std::to_string(item.recv_ts_ns); }

std::vector<std::string> read_all(FeedSource& source) {
  std::vector<std::string> out;
  CaptureItem item;
  for (;;) {
    auto got = source.next(item);
    REQUIRE(got.has_value());
    if (!*got) return out;
    out.push_back(describe(item));
  }
}
}  // namespace

TEST_CASE("merged sources: every item of two venues' captures once, each venue's in its own order") {
  const std::string binance = std::string(TRADER_TEST_DATA_DIR) + "/btcusdt_20240808_head20k.gz";
  const std::string coinbase = std::string(TRADER_TEST_DATA_DIR) + "/coinbase_btcusd_20240808.gz";
  auto b = CaptureStream::open({binance});
  auto c = CaptureStream::open({coinbase}, "", VenueId::coinbase);
  REQUIRE(b.has_value());
  REQUIRE(c.has_value());
  const auto alone_b = read_all(**b);
  const auto alone_c = read_all(**c);
  REQUIRE(alone_b.size() > 1000);
  REQUIRE(alone_c.size() > 1000);

  std::vector<std::unique_ptr<FeedSource>> sources;
  sources.push_back(std::move(*CaptureStream::open({binance})));
  sources.push_back(std::move(*CaptureStream::open({coinbase}, "", VenueId::coinbase)));
  std::atomic<bool> stop{false};
  MergedSource merged(std::move(sources), &stop);
  const auto all = read_all(merged);
  CHECK(all.size() == alone_b.size() + alone_c.size());
  CHECK(merged.lines() == all.size());
  std::vector<std::string> from_b, from_c;
  for (const auto& d : all) (d.find("btcusdt") != std::string::npos ? from_b : from_c).push_back(d);
  CHECK(from_b == alone_b);
  CHECK(from_c == alone_c);
}

TEST_CASE("merged sources: a source that fails ends the merge with its error, after what it had read") {
  // A capture cut short in the middle of its gzip stream: read until the damage, then an error.
  const std::string cut = (std::filesystem::temp_directory_path() / "trader_merged_cut.gz").string();
  {
    std::ifstream in(std::string(TRADER_TEST_DATA_DIR) + "/coinbase_btcusd_20240808.gz", std::ios::binary);
    std::string bytes(20000, '\0');
    in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    std::ofstream(cut, std::ios::binary).write(bytes.data(), in.gcount());
  }
  auto bad = CaptureStream::open({cut}, "", VenueId::coinbase);
  REQUIRE(bad.has_value());  // it fails on reading
  std::vector<std::unique_ptr<FeedSource>> sources;
  sources.push_back(std::move(*bad));
  std::atomic<bool> stop{false};
  MergedSource merged(std::move(sources), &stop);
  CaptureItem item;
  Result<bool> got = true;
  while (got && *got) got = merged.next(item);
  REQUIRE_FALSE(got.has_value());
  CHECK(got.error().message.find("trader_merged_cut.gz") != std::string::npos);
  CHECK(merged.lines() > 0);
  std::filesystem::remove(cut);
}
