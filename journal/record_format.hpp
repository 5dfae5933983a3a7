#pragma once
// Internal: the stored form of one record and of the journal's side tables.
// A record's value, by the journal's format version (journal.hpp):
//   v1: u32 checksum (low 32 bits of XXH3-64 of what follows, little endian)
//       + the Envelope (header, seq included, and body in one Cap'n Proto message), packed.
//   v2: u32 checksum (the same, seeded with the record's seq: a record moved to another
//       key fails it although it no longer holds its seq)
//       + the header: u16 type id, u8 source, u8 destination, i64 receive time (little
//         endian), u8 flags saying which of these follow, as varints: destination seq,
//         ingress seq and cause seq (each as the zigzag of seq minus it: small numbers),
//         schema version; the seq is the key only
//       + the body as a Cap'n Proto message of its own, packed: the bytes an actor sent
//         (encode_body_flat), so the node packs them and builds no envelope.
// Packing keeps trade records small and unpacking copies into an aligned buffer,
// so Cap'n Proto never reads LMDB's 2-byte-aligned memory directly.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <capnp/serialize-packed.h>
#include <capnp/serialize.h>
#include <kj/io.h>

#include "base/result.hpp"
#include "journal/journal.hpp"
#include "messages/message_types.hpp"

namespace trader::journal {

inline constexpr std::size_t kChecksumBytes = 4;

// The checksum of a record's bytes after the checksum itself.
std::uint32_t record_checksum(std::uint32_t format, std::uint64_t seq, std::span<const std::uint8_t> after_checksum);

// The size of the header at the start of `after_checksum` (what follows a record's
// checksum), before its packed Cap'n Proto message: 0 in v1. Errors name `seq`.
Result<std::size_t> header_size(std::uint32_t format, std::uint64_t seq, std::span<const std::uint8_t> after_checksum);

// Appends the stored form of (header, body) to `out`, in `format`, under header.seq.
void encode_record(std::uint32_t format, const EnvelopeHeader& header, const Message& body,
                   std::vector<std::uint8_t>& out);

// The same, for a body already encoded as a flat message (encode_body_flat), as the
// node's actors send them. Malformed bodies are an error, and `out` is left as it was.
Status encode_record_flat(std::uint32_t format, const EnvelopeHeader& header, std::uint16_t type_id,
                          std::span<const std::uint8_t> flat_body, std::vector<std::uint8_t>& out);

// The same, reusing its buffers: no allocation for a record whose message fits the first
// segment (128 words, the size the writer has always used, so records keep their bytes).
// Cap'n Proto zeroes the part of that segment a message used when its builder ends, as
// the next message needs. The writer and compaction keep one.
class RecordEncoder {
 public:
  explicit RecordEncoder(std::uint32_t format);
  void encode(const EnvelopeHeader& header, const Message& body, std::vector<std::uint8_t>& out);
  Status encode_flat(const EnvelopeHeader& header, std::uint16_t type_id, std::span<const std::uint8_t> flat_body,
                     std::vector<std::uint8_t>& out);

 private:
  kj::ArrayPtr<capnp::word> first_segment();
  std::uint32_t format_;
  std::vector<std::uint64_t> segment_;  // the builders' first segment, zero between records
  std::vector<std::uint64_t> scratch_;  // a flat body's words, aligned
};

// Unpacks a stored record's packed envelope (after its checksum) into `scratch`, checking
// its segment table; returns the message's words (table included). Errors name `seq`.
Result<kj::ArrayPtr<const capnp::word>> unpack_record(std::uint64_t seq, std::span<const std::uint8_t> packed,
                                                      std::vector<std::uint64_t>& scratch);
// Packs words unpack_record returned, as the writer packs a message: the same bytes for
// every record this project wrote (compaction checks it per record). Words whose table
// does not match their length are an error, and nothing is written.
Status pack_words(kj::ArrayPtr<const capnp::word> words, std::vector<std::uint8_t>& out);
// The stored form of record `seq` from its header bytes (v1: none) and such words
// (checksum, header, then packed), appended to `out`; on an error `out` is left as it was.
Status store_words(std::uint32_t format, std::uint64_t seq, std::span<const std::uint8_t> header_bytes,
                   kj::ArrayPtr<const capnp::word> words, std::vector<std::uint8_t>& out);

// Decodes stored records, reusing its buffers. A decoded view lives until the next decode().
class RecordDecoder {
 public:
  explicit RecordDecoder(std::uint32_t format);
  // Checks the checksum and reads the header; the body waits for RecordView::body() (v2;
  // v1 holds its header inside the message, so it is unpacked here). `seq` is the key the
  // record was stored under; errors name it.
  Result<const RecordView*> decode(std::uint64_t seq, std::span<const std::uint8_t> stored);
  RecordDecoder(const RecordDecoder&) = delete;  // its view points at it
  RecordDecoder& operator=(const RecordDecoder&) = delete;

 private:
  friend struct RecordView;
  // The body of the record decode() returned last, unpacked once.
  Result<capnp::AnyPointer::Reader> body();
  // Its value: market data laid out as this build writes it is read from its words,
  // anything else through Cap'n Proto's reader.
  Result<Message> value(std::uint16_t type_id);
  Status unpack();
  Status open(kj::ArrayPtr<const capnp::word> words);  // Cap'n Proto's reader over unpacked words

  std::uint32_t format_;
  std::uint64_t seq_ = 0;
  std::span<const std::uint8_t> packed_;  // the body (v1: the envelope) as stored
  std::vector<std::uint64_t> scratch_;  // words (capnp::word itself is not copyable)
  // A flat reader over fully unpacked words: unlike the stream readers, destroying it
  // never touches the input, so a truncated record cannot throw from a destructor.
  std::optional<capnp::FlatArrayMessageReader> message_;
  capnp::AnyPointer::Reader body_;  // valid while message_ holds a message
  RecordView view_;
};

std::vector<std::uint8_t> encode_batch(const BatchInfo& b);
Hash sha256_of(std::span<const std::uint8_t> bytes);
// What a session's attestation covers: the session as begin_session stored it.
Hash session_opening_digest(SessionInfo s);
Result<BatchInfo> decode_batch(std::span<const std::uint8_t> bytes);

std::vector<std::uint8_t> encode_session(const SessionInfo& s);
Result<SessionInfo> decode_session(std::span<const std::uint8_t> bytes);

// A record's length, as the batch hash takes it before the record.
inline constexpr std::size_t kRecordLengthBytes = sizeof(std::uint32_t);

// Incremental SHA-256 of one batch: previous chain hash, each stored record
// (length-prefixed), then first and last seq.
class BatchHasher {
 public:
  explicit BatchHasher(const Hash& previous);
  ~BatchHasher();
  void add_record(std::span<const std::uint8_t> stored);
  // Records already laid out as add_record takes them, each after its length
  // (kRecordLengthBytes, host order): the same hash in one update.
  void add_length_prefixed(std::span<const std::uint8_t> records);
  Hash finish(std::uint64_t first_seq, std::uint64_t last_seq);
  // A batch's chain link: its records hash alone, or that and its attestations (BatchInfo).
  static Hash chain(const Hash& records_hash, const std::vector<Attestation>& attests);
  BatchHasher(const BatchHasher&) = delete;
  BatchHasher& operator=(const BatchHasher&) = delete;

 private:
  void* ctx_;
};

}  // namespace trader::journal
