#include "journal/block_codec.hpp"

#include <cstring>

#include <fmt/format.h>
#include <zstd.h>

#include "journal/record_format.hpp"

namespace trader::journal {
namespace {

// A payload larger than this is damage, not a block this project wrote (blocks are cut
// at a few MiB).
constexpr std::uint64_t kMaxPayloadBytes = std::uint64_t{1} << 30;

void put_varint(std::vector<std::uint8_t>& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(v));
}

bool get_varint(std::span<const std::uint8_t> in, std::size_t& at, std::uint64_t& v) {
  v = 0;
  for (unsigned shift = 0; shift < 64 && at < in.size(); shift += 7) {
    const std::uint8_t b = in[at++];
    v |= std::uint64_t{b & 0x7fu} << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

}  // namespace

// ---- BlockEncoder -------------------------------------------------------------------
BlockEncoder::BlockEncoder(int zstd_level) : level_(zstd_level), cctx_(ZSTD_createCCtx()) {}
BlockEncoder::~BlockEncoder() { ZSTD_freeCCtx(static_cast<ZSTD_CCtx*>(cctx_)); }

Status BlockEncoder::add(std::uint64_t seq, std::span<const std::uint8_t> stored) {
  if (lengths_.empty()) first_seq_ = seq;
  else if (seq != last_seq() + 1) return fail(fmt::format("seq {}: expected seq {} next in the block", seq, last_seq() + 1));
  if (stored.size() < kChecksumBytes) return fail(fmt::format("seq {}: record too short ({} bytes)", seq, stored.size()));
  const auto packed = stored.subspan(kChecksumBytes);
  std::uint32_t sum = 0;
  std::memcpy(&sum, stored.data(), kChecksumBytes);
  if (sum != record_checksum(packed))
    return fail(fmt::format("seq {}: checksum mismatch; a damaged record is not compacted", seq));
  auto words = unpack_record(seq, packed, words_);
  if (!words) return tl::unexpected(words.error());
  repacked_.clear();
  const bool same = pack_words(*words, repacked_) && std::equal(repacked_.begin(), repacked_.end(), packed.begin(),
                                                                 packed.end());
  if (same) {
    const auto* p = reinterpret_cast<const std::uint8_t*>(words->begin());
    data_.insert(data_.end(), p, p + words->size() * sizeof(capnp::word));
    lengths_.push_back(std::uint64_t{words->size() * sizeof(capnp::word)} << 1);
  } else {
    data_.insert(data_.end(), stored.begin(), stored.end());
    lengths_.push_back(std::uint64_t{stored.size()} << 1 | 1);
    ++raw_total_;
  }
  return {};
}

Result<std::vector<std::uint8_t>> BlockEncoder::finish() {
  if (lengths_.empty()) return fail("an empty block");
  std::vector<std::uint8_t> payload;
  payload.reserve(data_.size() + 3 * lengths_.size());
  for (const auto l : lengths_) put_varint(payload, l);
  payload.insert(payload.end(), data_.begin(), data_.end());

  auto* cctx = static_cast<ZSTD_CCtx*>(cctx_);
  ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level_);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
  std::vector<std::uint8_t> block{kBlockCodec};
  put_varint(block, first_seq_);
  put_varint(block, lengths_.size());
  const std::size_t head = block.size();
  block.resize(head + ZSTD_compressBound(payload.size()));
  const std::size_t n = ZSTD_compress2(cctx, block.data() + head, block.size() - head, payload.data(), payload.size());
  if (ZSTD_isError(n))
    return fail(fmt::format("seq {}..{}: compression failed: {}", first_seq_, last_seq(), ZSTD_getErrorName(n)));
  block.resize(head + n);
  lengths_.clear();
  data_.clear();
  return block;
}

// ---- BlockDecoder -------------------------------------------------------------------
BlockDecoder::BlockDecoder() : dctx_(ZSTD_createDCtx()) {}
BlockDecoder::~BlockDecoder() { ZSTD_freeDCtx(static_cast<ZSTD_DCtx*>(dctx_)); }

namespace {
std::string damaged(std::uint64_t last_seq, const std::string& why) {
  return fmt::format("seq {}: damaged compacted block (the block ending at seq {}): {}", last_seq, last_seq, why);
}

// The head and where the zstd frame starts.
Result<std::pair<BlockHead, std::size_t>> parse_head(std::uint64_t last_seq, std::span<const std::uint8_t> block) {
  if (block.empty()) return fail(damaged(last_seq, "empty"));
  if (block[0] != kBlockCodec)
    return fail(damaged(last_seq, fmt::format("codec {}, this build reads codec {}", block[0], kBlockCodec)));
  std::size_t at = 1;
  BlockHead h;
  if (!get_varint(block, at, h.first_seq) || !get_varint(block, at, h.count)) return fail(damaged(last_seq, "truncated head"));
  if (h.count == 0 || h.first_seq == 0 || h.count - 1 > UINT64_MAX - h.first_seq || h.first_seq + (h.count - 1) != last_seq)
    return fail(damaged(last_seq, fmt::format("holds seq {} and {} more, not a run ending at seq {}", h.first_seq,
                                              h.count - 1, last_seq)));
  return std::pair{h, at};
}
}  // namespace

Result<BlockHead> read_block_head(std::uint64_t last_seq, std::span<const std::uint8_t> block) {
  auto h = parse_head(last_seq, block);
  if (!h) return tl::unexpected(h.error());
  return h->first;
}

Status BlockDecoder::load(std::uint64_t last_seq, std::span<const std::uint8_t> block) {
  offsets_.clear();
  records_.clear();
  auto head = parse_head(last_seq, block);
  if (!head) return tl::unexpected(head.error());
  const auto [first, count] = head->first;
  const auto bad = [&, first = first](const std::string& why) {
    offsets_.clear();
    return fail(fmt::format("seq {}..{}: damaged compacted block: {}", first, last_seq, why));
  };
  const auto frame = block.subspan(head->second);
  const unsigned long long size = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) return bad("not a zstd frame with its size");
  if (size > kMaxPayloadBytes) return bad(fmt::format("claims {} bytes", size));
  payload_.resize(size);
  const std::size_t n =
      ZSTD_decompressDCtx(static_cast<ZSTD_DCtx*>(dctx_), payload_.data(), payload_.size(), frame.data(), frame.size());
  if (ZSTD_isError(n)) return bad(ZSTD_getErrorName(n));
  if (n != size) return bad(fmt::format("{} bytes where the frame says {}", n, size));

  std::size_t at = 0;
  // Each length takes at least a byte: a larger count is damage (and must not size a vector).
  if (count > payload_.size()) return bad(fmt::format("{} records in {} bytes", count, payload_.size()));
  std::vector<std::uint64_t> lengths(count);
  std::uint64_t total = 0;
  for (auto& l : lengths) {
    if (!get_varint(payload_, at, l)) return bad("truncated lengths");
    if ((l >> 1) > payload_.size()) return bad(fmt::format("a record of {} bytes", l >> 1));
    total += l >> 1;  // at most count (< 2^30) times 2^30: no wrap
  }
  if (total != payload_.size() - at) return bad(fmt::format("lengths add up to {} bytes, the block holds {}", total,
                                                           payload_.size() - at));
  first_seq_ = first;
  offsets_.reserve(count + 1);
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::size_t len = lengths[i] >> 1;
    const auto bytes = std::span<const std::uint8_t>(payload_).subspan(at, len);
    at += len;
    offsets_.push_back(records_.size());
    if (lengths[i] & 1) {
      records_.insert(records_.end(), bytes.begin(), bytes.end());
      continue;
    }
    if (len % sizeof(capnp::word) != 0) return bad(fmt::format("seq {}: {} bytes are not whole words", first + i, len));
    words_.resize(len / sizeof(capnp::word));
    std::memcpy(words_.data(), bytes.data(), len);  // aligned for Cap'n Proto
    const std::size_t start = records_.size();
    records_.resize(start + kChecksumBytes);
    auto packed = pack_words(kj::ArrayPtr<const capnp::word>(reinterpret_cast<const capnp::word*>(words_.data()),
                                                            words_.size()),
                             records_);
    if (!packed) return bad(fmt::format("seq {}: {}", first + i, packed.error().message));
    const std::uint32_t sum =
        record_checksum({records_.data() + start + kChecksumBytes, records_.size() - start - kChecksumBytes});
    std::memcpy(records_.data() + start, &sum, kChecksumBytes);
  }
  offsets_.push_back(records_.size());
  return {};
}

std::span<const std::uint8_t> BlockDecoder::stored(std::uint64_t seq) const {
  const std::size_t i = seq - first_seq_;
  return {records_.data() + offsets_[i], offsets_[i + 1] - offsets_[i]};
}

}  // namespace trader::journal
