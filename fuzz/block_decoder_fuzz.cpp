// libFuzzer target: a compacted block's decoder. The input is a block's payload (its zstd
// frame is made here, so the fuzzer reaches the parsing behind zstd's checksum): damage
// must be an error naming seqs, never a crash, a hang or a read past the input.
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include <zstd.h>

#include "journal/block_codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace journal = trader::journal;
  static journal::BlockDecoder v1(journal::kFormatV1), v2(journal::kFormatV2);
  if (size < 1) return 0;
  const std::uint64_t count = 1 + data[0] % 64;  // the head's record count
  auto& decoder = data[0] & 64 ? v2 : v1;          // and the journal's format
  const auto payload = std::span(data + 1, size - 1);
  std::vector<std::uint8_t> block{trader::journal::kBlockCodec, 1, static_cast<std::uint8_t>(count)};
  const std::size_t head = block.size();
  block.resize(head + ZSTD_compressBound(payload.size()));
  const std::size_t n = ZSTD_compress(block.data() + head, block.size() - head, payload.data(), payload.size(), 1);
  if (ZSTD_isError(n)) std::abort();
  block.resize(head + n);
  auto st = decoder.load(count, block);
  if (!st) {
    if (st.error().message.rfind("seq ", 0) != 0) std::abort();  // errors name the seqs
    return 0;
  }
  for (std::uint64_t seq = 1; seq <= count; ++seq) {
    if (!decoder.holds(seq)) std::abort();
    (void)decoder.stored(seq);
  }
  return 0;
}
