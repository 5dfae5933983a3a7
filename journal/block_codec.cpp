#include "journal/block_codec.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <zstd.h>

#include "journal/record_format.hpp"
#include "journal/varint.hpp"

namespace trader::journal {
namespace {

// A payload larger than this is damage, not a block this project wrote (blocks are cut
// at a few MiB).
constexpr std::uint64_t kMaxPayloadBytes = std::uint64_t{1} << 30;
// A frame claiming up to this much is decompressed in one call into a buffer of its
// claimed size (every block this project writes); a larger claim gets its buffer as
// bytes actually come, so a damaged size field costs no memory the frame does not fill.
constexpr std::size_t kOneShotPayloadBytes = std::size_t{16} << 20;

// Decompresses `frame`, which claims `size` bytes, into `out`, growing it only as output
// comes. An empty string, or what is wrong. Its own context, freed after: a streaming
// context keeps a window buffer as large as the frame claims (zstd refuses claims past
// its default window limit, 128 MiB, as too much memory).
std::string decompress_growing(std::span<const std::uint8_t> frame, std::size_t size, std::vector<std::uint8_t>& out) {
  const std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> owned(ZSTD_createDCtx(), &ZSTD_freeDCtx);
  ZSTD_DCtx* dctx = owned.get();
  if (dctx == nullptr) return "no memory for a decompression context";
  ZSTD_inBuffer in{frame.data(), frame.size(), 0};
  std::size_t produced = 0;
  out.resize(std::min(size, std::max(std::size_t{1} << 20, frame.size() * 8)));
  for (;;) {
    ZSTD_outBuffer dst{out.data(), out.size(), produced};
    const std::size_t before_in = in.pos;
    const std::size_t rc = ZSTD_decompressStream(dctx, &dst, &in);
    const bool progress = dst.pos != produced || in.pos != before_in;
    produced = dst.pos;
    if (ZSTD_isError(rc)) return ZSTD_getErrorName(rc);
    if (rc == 0) break;  // the frame is complete
    if (produced == out.size()) {
      if (out.size() == size) return fmt::format("more than the {} bytes the frame says", size);
      out.resize(std::min(size, out.size() * 2));
    } else if (!progress) {
      return "the frame ends early";
    }
  }
  if (in.pos != in.size) return fmt::format("{} bytes after the frame", in.size - in.pos);
  if (produced != size) return fmt::format("{} bytes where the frame says {}", produced, size);
  return {};
}

}  // namespace

// ---- BlockEncoder -------------------------------------------------------------------
BlockEncoder::BlockEncoder(int zstd_level, std::uint32_t format)
    : level_(zstd_level), format_(format), cctx_(ZSTD_createCCtx()), decoder_(format), encoder_(format) {}
BlockEncoder::~BlockEncoder() { ZSTD_freeCCtx(static_cast<ZSTD_CCtx*>(cctx_)); }

namespace {
enum Form : std::uint8_t { kWords = 0, kRaw = 1, kMarket = 2 };

void put_section(std::vector<std::uint8_t>& out, const std::vector<std::uint8_t>& section) {
  put_varint(out, section.size());
  out.insert(out.end(), section.begin(), section.end());
}

bool get_section(std::span<const std::uint8_t> in, std::size_t& at, std::span<const std::uint8_t>& section) {
  std::uint64_t n = 0;
  if (!get_varint(in, at, n) || n > in.size() - at) return false;
  section = in.subspan(at, n);
  at += n;
  return true;
}
}  // namespace

bool BlockEncoder::add_market(const RecordView& record, std::span<const std::uint8_t> stored) {
  if (!is_market_column_type(record.header.type_id)) return false;
  auto message = record.decode();
  if (!message) return false;
  rebuilt_.clear();
  encoder_.encode(record.header, *message, rebuilt_);
  if (!std::equal(rebuilt_.begin(), rebuilt_.end(), stored.begin(), stored.end())) return false;
  market_.add(record.header, *message);
  forms_.push_back(kMarket);
  ++market_total_;
  return true;
}

Status BlockEncoder::add(std::uint64_t seq, std::span<const std::uint8_t> stored) {
  if (forms_.empty()) first_seq_ = seq;
  else if (seq != last_seq() + 1) return fail(fmt::format("seq {}: expected seq {} next in the block", seq, last_seq() + 1));
  auto record = decoder_.decode(seq, stored);  // checks the checksum, the header and the seq (unpack_record the rest)
  if (!record) return fail(fmt::format("{}; a damaged record is not compacted", record.error().message));
  stored_bytes_ += stored.size();
  if (add_market(**record, stored)) return {};
  auto header_bytes = header_size(format_, seq, stored.subspan(kChecksumBytes));
  if (!header_bytes) return tl::unexpected(header_bytes.error());
  const auto header = stored.subspan(kChecksumBytes, *header_bytes);
  const auto packed = stored.subspan(kChecksumBytes + *header_bytes);
  auto words = unpack_record(seq, packed, words_);
  if (!words) return tl::unexpected(words.error());
  rebuilt_.clear();
  const bool same = pack_words(*words, rebuilt_) && std::equal(rebuilt_.begin(), rebuilt_.end(), packed.begin(),
                                                                packed.end());
  if (same) {
    const auto* p = reinterpret_cast<const std::uint8_t*>(words->begin());
    data_.insert(data_.end(), header.begin(), header.end());
    data_.insert(data_.end(), p, p + words->size() * sizeof(capnp::word));
    put_varint(lengths_, header.size() + words->size() * sizeof(capnp::word));
    forms_.push_back(kWords);
  } else {
    data_.insert(data_.end(), stored.begin(), stored.end());
    put_varint(lengths_, stored.size());
    forms_.push_back(kRaw);
    ++raw_total_;
  }
  return {};
}

Result<std::vector<std::uint8_t>> BlockEncoder::finish() {
  if (forms_.empty()) return fail("an empty block");
  std::vector<std::uint8_t> payload, market;
  market_.finish(market);
  payload.reserve(forms_.size() + lengths_.size() + market.size() + data_.size() + 30);
  put_section(payload, forms_);
  put_section(payload, lengths_);
  put_section(payload, market);
  payload.insert(payload.end(), data_.begin(), data_.end());

  auto* cctx = static_cast<ZSTD_CCtx*>(cctx_);
  ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level_);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
  std::vector<std::uint8_t> block{kBlockCodec};
  put_varint(block, first_seq_);
  put_varint(block, forms_.size());
  const std::size_t head = block.size();
  block.resize(head + ZSTD_compressBound(payload.size()));
  const std::size_t n = ZSTD_compress2(cctx, block.data() + head, block.size() - head, payload.data(), payload.size());
  if (ZSTD_isError(n))
    return fail(fmt::format("seq {}..{}: compression failed: {}", first_seq_, last_seq(), ZSTD_getErrorName(n)));
  block.resize(head + n);
  forms_.clear();
  lengths_.clear();
  data_.clear();
  stored_bytes_ = 0;
  return block;
}

// ---- BlockDecoder -------------------------------------------------------------------
BlockDecoder::BlockDecoder(std::uint32_t format) : format_(format), dctx_(ZSTD_createDCtx()), encoder_(format) {}
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
  if (size <= kOneShotPayloadBytes) {
    payload_.resize(size);
    const std::size_t n = ZSTD_decompressDCtx(static_cast<ZSTD_DCtx*>(dctx_), payload_.data(), payload_.size(),
                                              frame.data(), frame.size());
    if (ZSTD_isError(n)) return bad(ZSTD_getErrorName(n));
    if (n != size) return bad(fmt::format("{} bytes where the frame says {}", n, size));
  } else if (auto why = decompress_growing(frame, size, payload_); !why.empty()) {
    std::vector<std::uint8_t>().swap(payload_);  // a damaged claim keeps nothing
    return bad(fmt::format("claims {} bytes: {}", size, why));
  }

  std::size_t at = 0;
  std::span<const std::uint8_t> forms, lengths, market;
  if (!get_section(payload_, at, forms) || !get_section(payload_, at, lengths) || !get_section(payload_, at, market))
    return bad("truncated sections");
  if (forms.size() != count) return bad(fmt::format("{} forms for {} records", forms.size(), count));
  const auto data = std::span<const std::uint8_t>(payload_).subspan(at);
  if (auto st = market_.load(market); !st) return bad(st.error().message);
  first_seq_ = first;
  offsets_.reserve(count + 1);
  std::size_t lengths_at = 0, data_at = 0;
  EnvelopeHeader header;
  Message message;
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::uint64_t seq = first + i;
    offsets_.push_back(records_.size());
    if (forms[i] == kMarket) {
      if (auto st = market_.next(seq, header, message); !st) return bad(st.error().message);
      encoder_.encode(header, message, records_);
      continue;
    }
    std::uint64_t len = 0;
    if (forms[i] > kMarket || !get_varint(lengths, lengths_at, len) || len > data.size() - data_at)
      return bad(fmt::format("seq {}: its bytes run past the block", seq));
    const auto bytes = data.subspan(data_at, len);
    data_at += len;
    if (forms[i] == kRaw) {
      records_.insert(records_.end(), bytes.begin(), bytes.end());
      continue;
    }
    // The header (v2), then the message's words: a segment table at least, so no words
    // is damage (and no copy of nothing).
    auto header_len = header_size(format_, seq, bytes);
    if (!header_len) return bad(header_len.error().message);
    const std::size_t word_bytes = len - *header_len;
    if (word_bytes == 0 || word_bytes % sizeof(capnp::word) != 0)
      return bad(fmt::format("seq {}: {} bytes are not a message's words", seq, word_bytes));
    words_.resize(word_bytes / sizeof(capnp::word));
    std::memcpy(words_.data(), bytes.data() + *header_len, word_bytes);  // aligned, as words
    auto stored = store_words(format_, seq, bytes.first(*header_len),
                              kj::ArrayPtr<const capnp::word>(reinterpret_cast<const capnp::word*>(words_.data()),
                                                             words_.size()),
                              records_);
    if (!stored) return bad(fmt::format("seq {}: {}", seq, stored.error().message));
  }
  if (data_at != data.size()) return bad(fmt::format("{} bytes after the last record", data.size() - data_at));
  offsets_.push_back(records_.size());
  return {};
}

std::span<const std::uint8_t> BlockDecoder::stored(std::uint64_t seq) const {
  const std::size_t i = seq - first_seq_;
  return {records_.data() + offsets_[i], offsets_[i + 1] - offsets_[i]};
}

}  // namespace trader::journal
