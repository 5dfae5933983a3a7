// A capture read ahead on a thread of its own (exchange/capture_read_ahead.hpp): exactly
// what the stream gives, in its order, with its counts; its error in its place; and a
// reader given up on early stops without waiting for the rest.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "exchange/capture_read_ahead.hpp"
#include "exchange/capture_stream.hpp"
#include "messages/message_codec.hpp"
#include "test_support.hpp"

using namespace trader;

namespace {
// Everything an item says, to compare two readings of one capture.
struct Seen {
  CaptureItem::Kind kind;
  std::int64_t recv_ts_ns;
  std::vector<std::uint8_t> message;
  std::string stream, error, where;
  std::uint64_t lines, lines_read;
  bool operator==(const Seen&) const = default;
};

Seen seen(const CaptureItem& item, std::uint64_t lines, std::uint64_t lines_read) {
  return {item.kind, item.recv_ts_ns, item.kind == CaptureItem::Kind::message ? encode_body_canonical(item.message)
                                                                           : std::vector<std::uint8_t>{},
          item.stream, item.error, item.where, lines, lines_read};
}

struct Reading {
  std::vector<Seen> items;
  std::string error;  // empty: the capture ended
  std::uint64_t lines_read_at_end = 0;
};

Reading direct(const std::vector<std::string>& files) {
  auto stream = CaptureStream::open(files);
  REQUIRE(stream.has_value());
  Reading r;
  CaptureItem item;
  for (;;) {
    auto more = (*stream)->next(item);
    if (!more || !*more) {
      if (!more) r.error = more.error().message;
      r.lines_read_at_end = (*stream)->lines_read();
      return r;
    }
    r.items.push_back(seen(item, (*stream)->lines(), (*stream)->lines_read()));
  }
}

Reading ahead(const std::vector<std::string>& files, CaptureReadAhead::Sizes sizes) {
  auto stream = CaptureStream::open(files);
  REQUIRE(stream.has_value());
  CaptureReadAhead reader(std::move(*stream), sizes);
  Reading r;
  for (;;) {
    auto got = reader.next();
    if (!got || *got == nullptr) {
      if (!got) r.error = got.error().message;
      r.lines_read_at_end = reader.lines_read_at_end();
      auto again = reader.next();  // after the end, the end again
      REQUIRE(again.has_value());
      CHECK(*again == nullptr);
      return r;
    }
    r.items.push_back(seen((*got)->item, (*got)->lines, (*got)->lines_read));
  }
}
}  // namespace

TEST_CASE("a capture read ahead gives every item the stream gives, in its order, with its counts") {
  const std::string data(TRADER_TEST_DATA_DIR);
  // Two files merged by receive time, and a file with malformed lines among good ones.
  const std::vector<std::vector<std::string>> captures{
      {data + "/btcusdt_20240808_head20k.gz", data + "/ethusdt_20240808_head8k.gz"}, {data + "/malformed_capture.txt"}};
  for (const auto& files : captures) {
    CAPTURE(files.front());
    const Reading want = direct(files);
    REQUIRE(want.error.empty());
    REQUIRE(want.items.size() > 5);
    // Chunks of one item and one waiting (the reader waits for room at every item), chunks
    // that do not divide the stream, and the default.
    for (const CaptureReadAhead::Sizes sizes : {CaptureReadAhead::Sizes{1, 1}, CaptureReadAhead::Sizes{7, 2},
                                                CaptureReadAhead::Sizes{}}) {
      CAPTURE(sizes.chunk_items);
      const Reading got = ahead(files, sizes);
      CHECK(got.error.empty());
      CHECK(got.lines_read_at_end == want.lines_read_at_end);
      REQUIRE(got.items.size() == want.items.size());
      std::size_t same = 0;
      for (std::size_t i = 0; i < want.items.size(); ++i) same += got.items[i] == want.items[i];
      CHECK(same == want.items.size());
    }
  }
}

TEST_CASE("a capture read ahead that fails gives the stream's error after the items read before it") {
  test::TempDir tmp;
  const std::string cut = tmp.sub("cut.gz");
  {  // a gzip stream cut in its middle
    std::ifstream in(std::string(TRADER_TEST_DATA_DIR) + "/btcusdt_20240808_head20k.gz", std::ios::binary);
    std::string bytes(60000, '\0');
    in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    std::ofstream(cut, std::ios::binary).write(bytes.data(), in.gcount());
  }
  const Reading want = direct({cut});
  REQUIRE_FALSE(want.error.empty());
  REQUIRE(want.items.size() > 100);
  for (const CaptureReadAhead::Sizes sizes : {CaptureReadAhead::Sizes{1, 1}, CaptureReadAhead::Sizes{64, 3}}) {
    const Reading got = ahead({cut}, sizes);
    CHECK(got.error == want.error);
    CHECK(got.error.find("cut.gz") != std::string::npos);
    CHECK(got.lines_read_at_end == want.lines_read_at_end);
    CHECK(got.items == want.items);
  }
}

TEST_CASE("a capture read ahead given up on early stops reading and returns") {
  const std::string file = std::string(TRADER_TEST_DATA_DIR) + "/btcusdt_20240808_head20k.gz";
  for (const CaptureReadAhead::Sizes sizes : {CaptureReadAhead::Sizes{1, 1}, CaptureReadAhead::Sizes{}}) {
    auto stream = CaptureStream::open({file});
    REQUIRE(stream.has_value());
    {
      CaptureReadAhead reader(std::move(*stream), sizes);
      auto first = reader.next();
      REQUIRE(first.has_value());
      REQUIRE(*first != nullptr);
      CHECK((*first)->lines == 1);
    }  // the reader is waiting for room, or reading ahead: it must stop, not hang (ctest's timeout)
  }
}
