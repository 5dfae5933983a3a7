#pragma once
// Internal: a compacted journal's block, a run of consecutive records stored as one zstd
// frame (with its content checksum) under the block's last seq.
//   block   = u8 codec (kBlockCodec), varint first_seq, varint count, zstd frame of the payload
//   payload = three length-prefixed sections, then the words and raw bytes:
//             forms (a byte a record), lengths (a varint for each words or raw record),
//             market columns (market_columns.hpp)
// Each record takes one of three forms:
//   - market: a trade, aggregate trade, book ticker or depth update, column by column, rebuilt by
//     encoding its header and message again;
//   - words: its unpacked Cap'n Proto words (they compress better than the packed form),
//     after its header bytes in a v2 journal (the header says its own length), rebuilt
//     by packing them again and recomputing the checksum;
//   - raw: its stored bytes as they are.
// The encoder picks the first form that rebuilds exactly the stored bytes, so expansion
// is byte for byte by construction.
#include <cstdint>
#include <span>
#include <vector>

#include "base/result.hpp"
#include "journal/market_columns.hpp"
#include "journal/record_format.hpp"

namespace trader::journal {

inline constexpr std::uint8_t kBlockCodec = 2;

class BlockEncoder {
 public:
  // `format`: the journal's (its records' layout).
  BlockEncoder(int zstd_level, std::uint32_t format);
  ~BlockEncoder();
  // Adds record `seq`'s stored bytes; seqs must follow each other. A record that does not
  // decode (bad checksum, bad table) is an error naming it, and nothing is added.
  Status add(std::uint64_t seq, std::span<const std::uint8_t> stored);
  std::size_t records() const { return forms_.size(); }
  std::uint64_t stored_bytes() const { return stored_bytes_; }  // of the records added since finish()
  std::uint64_t raw_records() const { return raw_total_; }
  std::uint64_t market_records() const { return market_total_; }
  std::uint64_t last_seq() const { return first_seq_ + forms_.size() - 1; }
  // The block of what was added since the last finish(); empties the encoder.
  Result<std::vector<std::uint8_t>> finish();

  BlockEncoder(const BlockEncoder&) = delete;
  BlockEncoder& operator=(const BlockEncoder&) = delete;

 private:
  bool add_market(const RecordView& record, std::span<const std::uint8_t> stored);
  int level_;
  std::uint32_t format_;
  void* cctx_;
  std::uint64_t first_seq_ = 0;
  std::vector<std::uint8_t> forms_;
  std::vector<std::uint8_t> lengths_;  // varints
  std::vector<std::uint8_t> data_;
  MarketColumnEncoder market_;
  RecordDecoder decoder_;
  RecordEncoder encoder_;
  std::vector<std::uint64_t> words_;   // unpacking scratch
  std::vector<std::uint8_t> rebuilt_;  // the round-trip checks' output
  std::uint64_t stored_bytes_ = 0, raw_total_ = 0, market_total_ = 0;
};

// What a block's uncompressed head says: the seqs it holds.
struct BlockHead {
  std::uint64_t first_seq = 0, count = 0;
};
// Reads the head of the block stored under `last_seq`, checking it ends there.
Result<BlockHead> read_block_head(std::uint64_t last_seq, std::span<const std::uint8_t> block);

// Rebuilds the stored records of one block.
class BlockDecoder {
 public:
  explicit BlockDecoder(std::uint32_t format);
  ~BlockDecoder();
  // Decodes the block stored under `last_seq`. Errors name the block's seqs.
  Status load(std::uint64_t last_seq, std::span<const std::uint8_t> block);
  std::uint64_t first_seq() const { return first_seq_; }
  std::uint64_t last_seq() const { return first_seq_ + offsets_.size() - 2; }
  bool holds(std::uint64_t seq) const { return offsets_.size() > 1 && seq >= first_seq_ && seq <= last_seq(); }
  // Record `seq`'s stored bytes (holds(seq)); valid until the next load().
  std::span<const std::uint8_t> stored(std::uint64_t seq) const;

  BlockDecoder(const BlockDecoder&) = delete;
  BlockDecoder& operator=(const BlockDecoder&) = delete;

 private:
  std::uint32_t format_;
  void* dctx_;
  std::uint64_t first_seq_ = 0;
  std::vector<std::uint8_t> payload_;
  MarketColumnDecoder market_;
  RecordEncoder encoder_;
  std::vector<std::uint64_t> words_;  // aligned copy of one record's words
  std::vector<std::uint8_t> records_;
  std::vector<std::size_t> offsets_;  // records_ offsets, one past the last at the end
};

}  // namespace trader::journal
