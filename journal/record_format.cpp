#include "journal/record_format.hpp"
#include "base/hex.hpp"

#include <cstring>
#include <type_traits>

#include <capnp/message.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <xxhash.h>

#include "journal/packing.hpp"
#include "journal/varint.hpp"
#include "messages/flat_market.hpp"
#include "messages/message_codec.hpp"
#include "messages/schema/envelope.capnp.h"

namespace trader::journal {
namespace {

// writePackedMessage's bytes: the segment table, then each segment, each packed on its own.
void pack_segments(kj::ArrayPtr<const kj::ArrayPtr<const capnp::word>> segments, std::vector<std::uint8_t>& out) {
  constexpr std::size_t kInline = 15;  // segments whose table needs no heap (a record has one or two)
  std::uint32_t inline_table[kInline + 1];
  std::vector<std::uint32_t> heap_table;
  const std::size_t table_words = (segments.size() + 2) / 2;
  std::uint32_t* table = inline_table;
  if (segments.size() > kInline) {
    heap_table.resize(table_words * 2);
    table = heap_table.data();
  }
  table[0] = static_cast<std::uint32_t>(segments.size() - 1);
  for (std::size_t i = 0; i < segments.size(); ++i) table[i + 1] = static_cast<std::uint32_t>(segments[i].size());
  if (segments.size() % 2 == 0) table[segments.size() + 1] = 0;  // padding to a whole word
  pack_piece({reinterpret_cast<const std::uint8_t*>(table), table_words * sizeof(capnp::word)}, out);
  for (const auto& segment : segments)
    pack_piece({reinterpret_cast<const std::uint8_t*>(segment.begin()), segment.size() * sizeof(capnp::word)}, out);
}

constexpr unsigned kFirstSegmentWords = kFlatFirstSegmentWords;  // a trade envelope fits in one small segment
constexpr std::size_t kScratchWords = 16 * 1024;

}  // namespace

std::uint32_t record_checksum(std::uint32_t format, std::uint64_t seq, std::span<const std::uint8_t> after_checksum) {
  if (format == kFormatV1) return static_cast<std::uint32_t>(XXH3_64bits(after_checksum.data(), after_checksum.size()));
  return static_cast<std::uint32_t>(XXH3_64bits_withSeed(after_checksum.data(), after_checksum.size(), seq));
}

namespace {

// ---- the v2 header -------------------------------------------------------------------
constexpr std::size_t kV2FixedBytes = 2 + 1 + 1 + 8 + 1;  // type id, source, destination, receive time, flags
static_assert(kActorCount <= 256, "an actor is one byte in a v2 header");
enum V2Flag : std::uint8_t { kDestSeq = 1, kIngressSeq = 2, kCauseSeq = 4, kSchemaVersion = 8 };

void put_v2_header(const EnvelopeHeader& h, std::vector<std::uint8_t>& out) {
  std::uint8_t fixed[kV2FixedBytes];
  std::memcpy(fixed, &h.type_id, 2);
  fixed[2] = static_cast<std::uint8_t>(h.source);
  fixed[3] = static_cast<std::uint8_t>(h.destination);
  std::memcpy(fixed + 4, &h.recv_ts_ns, 8);
  fixed[12] = static_cast<std::uint8_t>((h.dest_seq != 0 ? kDestSeq : 0) | (h.ingress_seq != 0 ? kIngressSeq : 0) |
                                        (h.cause_seq != 0 ? kCauseSeq : 0) |
                                        (h.schema_version != 0 ? kSchemaVersion : 0));
  out.insert(out.end(), fixed, fixed + kV2FixedBytes);
  if (h.dest_seq != 0) put_varint(out, h.dest_seq);
  if (h.ingress_seq != 0) put_varint(out, zigzag(h.seq - h.ingress_seq));
  if (h.cause_seq != 0) put_varint(out, zigzag(h.seq - h.cause_seq));
  if (h.schema_version != 0) put_varint(out, h.schema_version);
}

// Reads a v2 header from `bytes` (what follows the checksum) into `h` for record `seq`;
// the header's size, or nothing when it is truncated or malformed.
std::optional<std::size_t> get_v2_header(std::uint64_t seq, std::span<const std::uint8_t> bytes, EnvelopeHeader& h) {
  if (bytes.size() < kV2FixedBytes) return std::nullopt;
  const std::uint8_t* p = bytes.data();
  h = EnvelopeHeader{};
  h.seq = seq;
  std::memcpy(&h.type_id, p, 2);
  h.source = static_cast<Actor>(p[2]);
  h.destination = static_cast<Actor>(p[3]);
  std::memcpy(&h.recv_ts_ns, p + 4, 8);
  const std::uint8_t flags = p[12];
  if (flags & ~(kDestSeq | kIngressSeq | kCauseSeq | kSchemaVersion)) return std::nullopt;
  std::size_t at = kV2FixedBytes;
  // A field is written only when it is not 0, so one that reads back as 0 is damage.
  const auto field = [&](std::uint8_t flag, auto&& value_of, auto& into) {
    if (!(flags & flag)) return true;
    std::uint64_t v = 0;
    if (!get_varint(bytes, at, v)) return false;
    const std::uint64_t value = value_of(v);
    into = static_cast<std::remove_reference_t<decltype(into)>>(value);
    return value != 0 && into == value;
  };
  const auto plain = [](std::uint64_t v) { return v; };
  const auto before_seq = [seq](std::uint64_t v) { return seq - unzigzag(v); };
  if (!field(kDestSeq, plain, h.dest_seq) || !field(kIngressSeq, before_seq, h.ingress_seq) ||
      !field(kCauseSeq, before_seq, h.cause_seq) || !field(kSchemaVersion, plain, h.schema_version))
    return std::nullopt;
  return at;
}

schema::Envelope::Builder init_envelope(capnp::MessageBuilder& builder, const EnvelopeHeader& header,
                                        std::uint16_t type_id) {
  auto env = builder.initRoot<schema::Envelope>();
  env.setSeq(header.seq);
  env.setRecvTsNs(header.recv_ts_ns);
  env.setSource(static_cast<schema::Actor>(header.source));
  env.setDestination(static_cast<schema::Actor>(header.destination));
  env.setDestSeq(header.dest_seq);
  env.setTypeId(type_id);
  env.setSchemaVersion(header.schema_version);
  env.setIngressSeq(header.ingress_seq);
  env.setCauseSeq(header.cause_seq);
  return env;
}

// A stored record is laid out in three steps, here only: begin_record leaves room for the
// checksum and writes the v2 header (made from `header`, or copied as stored), the caller
// appends the packed message, and seal_record fills in the checksum of everything after it.
std::size_t begin_record(std::span<const std::uint8_t> header_bytes, std::vector<std::uint8_t>& out) {
  const std::size_t start = out.size();
  out.resize(start + kChecksumBytes);
  out.insert(out.end(), header_bytes.begin(), header_bytes.end());
  return start;
}

std::size_t begin_record(std::uint32_t format, const EnvelopeHeader& header, std::vector<std::uint8_t>& out) {
  const std::size_t start = begin_record({}, out);
  if (format != kFormatV1) put_v2_header(header, out);
  return start;
}

void seal_record(std::uint32_t format, std::uint64_t seq, std::size_t start, std::vector<std::uint8_t>& out) {
  const std::uint32_t sum =
      record_checksum(format, seq, {out.data() + start + kChecksumBytes, out.size() - start - kChecksumBytes});
  std::memcpy(out.data() + start, &sum, kChecksumBytes);
}

}  // namespace

RecordEncoder::RecordEncoder(std::uint32_t format) : format_(format), segment_(kFirstSegmentWords, 0) {}

kj::ArrayPtr<capnp::word> RecordEncoder::first_segment() {
  return {reinterpret_cast<capnp::word*>(segment_.data()), segment_.size()};
}

void RecordEncoder::encode(const EnvelopeHeader& header, const Message& body, std::vector<std::uint8_t>& out) {
  EnvelopeHeader h = header;
  h.type_id = type_id_of(body);
  if (format_ != kFormatV1 && write_flat_market(body, scratch_)) {
    // Market data, the bulk of a recording: its words written without a builder (the
    // same bytes), and packed in one piece. Packing the table on its own, as
    // pack_segments does, gives the same bytes: a run only follows a word of no or all
    // nonzero bytes, and a one-segment table of under 2^24 words is neither.
    const std::size_t start = begin_record(format_, h, out);
    pack_piece({reinterpret_cast<const std::uint8_t*>(scratch_.data()), scratch_.size() * sizeof(capnp::word)}, out);
    seal_record(format_, header.seq, start, out);
    return;
  }
  capnp::MallocMessageBuilder builder(first_segment());
  if (format_ == kFormatV1) {
    auto env = init_envelope(builder, header, type_id_of(body));
    encode_body(body, env.initBody());
  } else {
    // As encode_body_flat builds a body (the same first segment size), so a record made
    // from a message and one made from its flat body are the same bytes.
    encode_body(body, builder.initRoot<capnp::AnyPointer>());
  }
  const std::size_t start = begin_record(format_, h, out);
  pack_segments(builder.getSegmentsForOutput(), out);
  seal_record(format_, header.seq, start, out);
}

Status RecordEncoder::encode_flat(const EnvelopeHeader& header, std::uint16_t type_id,
                                  std::span<const std::uint8_t> flat_body, std::vector<std::uint8_t>& out) {
  auto words = flat_words(flat_body, scratch_);
  if (!words) return fail(fmt::format("malformed message body (type id {}): {}", type_id, words.error().message));
  const std::size_t before = out.size();
  EnvelopeHeader h = header;
  h.type_id = type_id;
  try {
    capnp::FlatArrayMessageReader body(*words, reader_options_for(words->size()));
    const std::size_t start = begin_record(format_, h, out);
    if (format_ == kFormatV1) {
      capnp::MallocMessageBuilder builder(first_segment());
      init_envelope(builder, h, type_id).getBody().set(body.getRoot<capnp::AnyPointer>());
      pack_segments(builder.getSegmentsForOutput(), out);
    } else {
      // v2 stores the body's own words, packed: no copy into an envelope. Walking it once
      // (its size) checks every pointer in it, as that copy did.
      (void)body.getRoot<capnp::AnyPointer>().targetSize();
      if (auto packed = pack_words(*words, out); !packed) {
        out.resize(before);
        return fail(fmt::format("malformed message body (type id {}): {}", type_id, packed.error().message));
      }
    }
    seal_record(format_, h.seq, start, out);
    return {};
  } catch (const kj::Exception& e) {
    out.resize(before);
    return fail(fmt::format("malformed message body (type id {}): {}", type_id, e.getDescription().cStr()));
  }
}

void encode_record(std::uint32_t format, const EnvelopeHeader& header, const Message& body,
                   std::vector<std::uint8_t>& out) {
  RecordEncoder(format).encode(header, body, out);
}

Status encode_record_flat(std::uint32_t format, const EnvelopeHeader& header, std::uint16_t type_id,
                          std::span<const std::uint8_t> flat_body, std::vector<std::uint8_t>& out) {
  return RecordEncoder(format).encode_flat(header, type_id, flat_body, out);
}

RecordDecoder::RecordDecoder(std::uint32_t format) : format_(format), scratch_(kScratchWords) {}

Result<kj::ArrayPtr<const capnp::word>> unpack_record(std::uint64_t seq, std::span<const std::uint8_t> packed,
                                                      std::vector<std::uint64_t>& scratch) {
  // Reads as Cap'n Proto's stream reader does: the segment table's first word, the rest
  // of the table, then all segments at once (packed runs never cross those boundaries).
  constexpr std::size_t kWord = sizeof(capnp::word);
  constexpr std::uint64_t kMaxWords = 8u << 20;  // 64 MiB: far beyond any message we write
  std::size_t at = 0;
  auto read_words = [&](std::size_t first, std::size_t words) {
    if (scratch.size() < first + words) scratch.resize(first + words);
    return unpack_exact(packed, at, reinterpret_cast<std::uint8_t*>(scratch.data() + first), words * kWord);
  };
  if (!read_words(0, 1)) return fail(fmt::format("seq {}: undecodable record: truncated segment table", seq));
  std::uint32_t head[2];
  std::memcpy(head, scratch.data(), sizeof head);
  const std::uint64_t segments = std::uint64_t{head[0]} + 1;
  if (segments > 512) return fail(fmt::format("seq {}: undecodable record: {} segments", seq, segments));
  const std::size_t table_words = (segments + 2) / 2;  // count + sizes, padded to a word
  if (table_words > 1 && !read_words(1, table_words - 1))
    return fail(fmt::format("seq {}: undecodable record: truncated segment table", seq));
  std::uint64_t total = 0;
  for (std::uint64_t i = 0; i < segments; ++i) {
    std::uint32_t size = 0;
    std::memcpy(&size, reinterpret_cast<const std::uint8_t*>(scratch.data()) + 4 * (i + 1), 4);
    total += size;
  }
  if (total > kMaxWords) return fail(fmt::format("seq {}: undecodable record: claims {} words", seq, total));
  if (total > 0 && !read_words(table_words, total))
    return fail(fmt::format("seq {}: undecodable record: ends inside its {} words", seq, total));
  return kj::ArrayPtr<const capnp::word>(reinterpret_cast<const capnp::word*>(scratch.data()), table_words + total);
}

Status pack_words(kj::ArrayPtr<const capnp::word> words, std::vector<std::uint8_t>& out) {
  // The segments as the table at their head gives them, written as writePackedMessage
  // writes a builder's: the table, then each segment, packed piece by piece. Checked
  // first, so that nothing is written for words that are not a message.
  constexpr std::size_t kWord = sizeof(capnp::word);
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(words.begin());
  if (words.size() == 0) return fail("no segment table");
  std::uint32_t count = 0;
  std::memcpy(&count, bytes, 4);
  const std::size_t segments = std::size_t{count} + 1;
  const std::size_t table_words = (segments + 2) / 2;
  if (segments > 512 || table_words > words.size()) return fail(fmt::format("a table of {} segments", segments));
  const auto size_of = [&](std::size_t i) {
    std::uint32_t size = 0;
    std::memcpy(&size, bytes + 4 * (i + 1), 4);
    return std::size_t{size};
  };
  std::size_t at = table_words;
  for (std::size_t i = 0; i < segments; ++i) {
    if (size_of(i) > words.size() - at)
      return fail(fmt::format("segment {} runs past the message's {} words", i, words.size()));
    at += size_of(i);
  }
  if (at != words.size()) return fail(fmt::format("{} words after the last segment", words.size() - at));
  pack_piece({bytes, table_words * kWord}, out);
  at = table_words;
  for (std::size_t i = 0; i < segments; ++i) {
    pack_piece({bytes + at * kWord, size_of(i) * kWord}, out);
    at += size_of(i);
  }
  return {};
}

Status store_words(std::uint32_t format, std::uint64_t seq, std::span<const std::uint8_t> header_bytes,
                   kj::ArrayPtr<const capnp::word> words, std::vector<std::uint8_t>& out) {
  const std::size_t start = begin_record(header_bytes, out);
  if (auto packed = pack_words(words, out); !packed) {
    out.resize(start);
    return packed;
  }
  seal_record(format, seq, start, out);
  return {};
}

Result<std::size_t> header_size(std::uint32_t format, std::uint64_t seq, std::span<const std::uint8_t> after_checksum) {
  if (format == kFormatV1) return 0;
  EnvelopeHeader h;
  const auto header = get_v2_header(seq, after_checksum, h);
  if (!header) return fail(fmt::format("seq {}: undecodable record: truncated or malformed header", seq));
  return *header;
}

Result<const RecordView*> RecordDecoder::decode(std::uint64_t seq, std::span<const std::uint8_t> stored) {
  message_.reset();
  view_.decoder_ = this;
  if (stored.size() < kChecksumBytes + 8)
    return fail(fmt::format("seq {}: record too short ({} bytes)", seq, stored.size()));
  std::uint32_t sum = 0;
  std::memcpy(&sum, stored.data(), kChecksumBytes);
  const auto after = stored.subspan(kChecksumBytes);
  const std::uint32_t actual = record_checksum(format_, seq, after);
  if (sum != actual) {
    // v2 records hold no seq: one stored under another key fails here.
    const char* moved = format_ == kFormatV1 ? "" : "; moved from another seq, or edited";
    return fail(fmt::format("seq {}: checksum mismatch (stored {:08x}, computed {:08x}){}", seq, sum, actual, moved));
  }
  seq_ = seq;
  packed_ = after;
  view_.stored = stored;
  if (format_ != kFormatV1) {
    const auto header = get_v2_header(seq, after, view_.header);
    if (!header) return fail(fmt::format("seq {}: undecodable record: truncated or malformed header", seq));
    packed_ = after.subspan(*header);
    return &view_;  // the body waits for body()
  }
  if (auto st = unpack(); !st) return tl::unexpected(st.error());
  try {
    auto env = message_->getRoot<schema::Envelope>();
    view_.header = EnvelopeHeader{env.getSeq(),
                                  env.getRecvTsNs(),
                                  static_cast<Actor>(env.getSource()),
                                  static_cast<Actor>(env.getDestination()),
                                  env.getDestSeq(),
                                  env.getTypeId(),
                                  env.getSchemaVersion(),
                                  env.getIngressSeq(),
                                  env.getCauseSeq()};
    body_ = env.getBody();
  } catch (const kj::Exception& e) {
    message_.reset();
    return fail(fmt::format("seq {}: undecodable record: {}", seq, e.getDescription().cStr()));
  }
  if (view_.header.seq != seq)
    return fail(fmt::format("seq {}: record claims seq {} (moved or edited)", seq, view_.header.seq));
  return &view_;
}

Status RecordDecoder::unpack() {
  auto words = unpack_record(seq_, packed_, scratch_);
  if (!words) return tl::unexpected(words.error());
  return open(*words);
}

Status RecordDecoder::open(kj::ArrayPtr<const capnp::word> words) {
  try {
    message_.emplace(words, reader_options_for(words.size()));
    body_ = message_->getRoot<capnp::AnyPointer>();  // v1 narrows it to the envelope's body
  } catch (const kj::Exception& e) {
    message_.reset();
    return fail(fmt::format("seq {}: undecodable record: {}", seq_, e.getDescription().cStr()));
  }
  return {};
}

Result<Message> RecordDecoder::value(std::uint16_t type_id) {
  if (!message_ && format_ != kFormatV1) {
    // Market data, most of a recording: read from its words when they are laid out as
    // written, which skips the reader (its arena, root and checks) for a few comparisons.
    // Any other body is unpacked once and read as body() would.
    auto words = unpack_record(seq_, packed_, scratch_);
    if (!words) return tl::unexpected(words.error());
    if (auto m = read_flat_market(type_id, {reinterpret_cast<const std::uint64_t*>(words->begin()), words->size()}))
      return std::move(*m);
    if (auto st = open(*words); !st) return tl::unexpected(st.error());
  }
  auto b = body();
  if (!b) return tl::unexpected(b.error());
  return decode_body(type_id, *b);
}

Result<capnp::AnyPointer::Reader> RecordDecoder::body() {
  if (!message_)
    if (auto st = unpack(); !st) return tl::unexpected(st.error());
  return body_;
}

Result<capnp::AnyPointer::Reader> RecordView::body() const {
  if (!decoder_) return fail("no record read into this view");
  return decoder_->body();
}

Result<Message> RecordView::decode() const {
  if (!decoder_) return fail("no record read into this view");
  return decoder_->value(header.type_id);
}

// ---- batches -------------------------------------------------------------------------
namespace {
constexpr std::size_t kBatchBytes = 8 * 5 + 32;
}

std::vector<std::uint8_t> encode_batch(const BatchInfo& b) {
  std::vector<std::uint8_t> out(kBatchBytes);
  auto* p = out.data();
  std::memcpy(p, &b.first_seq, 8);
  std::memcpy(p + 8, &b.last_seq, 8);
  std::memcpy(p + 16, &b.min_recv_ts_ns, 8);
  std::memcpy(p + 24, &b.max_recv_ts_ns, 8);
  std::memcpy(p + 32, &b.type_mask, 8);
  std::memcpy(p + 40, b.chain.data(), 32);
  if (b.attests.empty()) return out;
  // Attested: the records hash, then each attestation (kind, key length, key, digest).
  out.insert(out.end(), b.records_hash.begin(), b.records_hash.end());
  const auto n = static_cast<std::uint32_t>(b.attests.size());
  out.insert(out.end(), reinterpret_cast<const std::uint8_t*>(&n), reinterpret_cast<const std::uint8_t*>(&n) + 4);
  for (const auto& a : b.attests) {
    out.push_back(static_cast<std::uint8_t>(a.kind));
    const auto len = static_cast<std::uint16_t>(a.key.size());
    out.insert(out.end(), reinterpret_cast<const std::uint8_t*>(&len), reinterpret_cast<const std::uint8_t*>(&len) + 2);
    out.insert(out.end(), a.key.begin(), a.key.end());
    out.insert(out.end(), a.digest.begin(), a.digest.end());
  }
  return out;
}

Result<BatchInfo> decode_batch(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < kBatchBytes)
    return fail(fmt::format("batch entry has {} bytes, expected at least {}", bytes.size(), kBatchBytes));
  BatchInfo b;
  const auto* p = bytes.data();
  std::memcpy(&b.first_seq, p, 8);
  std::memcpy(&b.last_seq, p + 8, 8);
  std::memcpy(&b.min_recv_ts_ns, p + 16, 8);
  std::memcpy(&b.max_recv_ts_ns, p + 24, 8);
  std::memcpy(&b.type_mask, p + 32, 8);
  std::memcpy(b.chain.data(), p + 40, 32);
  b.records_hash = b.chain;
  if (bytes.size() == kBatchBytes) return b;
  std::size_t at = kBatchBytes;
  auto take = [&](void* to, std::size_t n) {
    if (bytes.size() - at < n) return false;
    std::memcpy(to, bytes.data() + at, n);
    at += n;
    return true;
  };
  std::uint32_t n = 0;
  if (!take(b.records_hash.data(), 32) || !take(&n, 4) || n == 0)
    return fail("batch entry: attestations truncated or empty");
  for (std::uint32_t i = 0; i < n; ++i) {
    Attestation a;
    std::uint8_t kind = 0;
    std::uint16_t len = 0;
    if (!take(&kind, 1) || kind < 1 || kind > 3 || !take(&len, 2)) return fail("batch entry: attestation malformed");
    a.kind = static_cast<Attestation::Kind>(kind);
    a.key.resize(len);
    if (!take(a.key.data(), len) || !take(a.digest.data(), 32)) return fail("batch entry: attestation truncated");
    b.attests.push_back(std::move(a));
  }
  if (at != bytes.size()) return fail("batch entry: bytes after its attestations");
  return b;
}

Hash sha256_of(std::span<const std::uint8_t> bytes) {
  Hash h{};
  unsigned int n = 0;
  EVP_Digest(bytes.data(), bytes.size(), h.data(), &n, EVP_sha256(), nullptr);
  return h;
}

Hash session_opening_digest(SessionInfo s) {
  s.end_seq = 0;
  s.end_ts_ns = 0;
  s.end_reason.clear();
  return sha256_of(encode_session(s));
}

// ---- sessions ------------------------------------------------------------------------
std::vector<std::uint8_t> encode_session(const SessionInfo& s) {
  capnp::MallocMessageBuilder builder;
  auto o = builder.initRoot<schema::Session>();
  o.setId(s.id);
  o.setStartSeq(s.start_seq);
  o.setEndSeq(s.end_seq);
  o.setStartTsNs(s.start_ts_ns);
  o.setEndTsNs(s.end_ts_ns);
  o.setEndReason(s.end_reason);
  o.setNodeId(s.node_id);
  o.setConfigHash(s.config_hash);
  o.setCodeVersion(s.code_version);
  std::vector<std::uint8_t> out;
  pack_segments(builder.getSegmentsForOutput(), out);
  return out;
}

Result<SessionInfo> decode_session(std::span<const std::uint8_t> bytes) {
  try {
    kj::ArrayInputStream in(kj::ArrayPtr<const kj::byte>(bytes.data(), bytes.size()));
    capnp::PackedMessageReader msg(in, reader_options_for_packed(bytes.size()));
    auto s = msg.getRoot<schema::Session>();
    return SessionInfo{s.getId(), s.getStartSeq(), s.getEndSeq(), s.getStartTsNs(), s.getEndTsNs(),
                       s.getEndReason().cStr(), s.getNodeId().cStr(), s.getConfigHash().cStr(),
                       s.getCodeVersion().cStr()};
  } catch (const kj::Exception& e) {
    return fail(fmt::format("undecodable session entry: {}", e.getDescription().cStr()));
  }
}

// ---- hashing -------------------------------------------------------------------------
BatchHasher::BatchHasher(const Hash& previous) : ctx_(EVP_MD_CTX_new()) {
  auto* ctx = static_cast<EVP_MD_CTX*>(ctx_);
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx, previous.data(), previous.size());
}

BatchHasher::~BatchHasher() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void BatchHasher::add_record(std::span<const std::uint8_t> stored) {
  auto* ctx = static_cast<EVP_MD_CTX*>(ctx_);
  const auto len = static_cast<std::uint32_t>(stored.size());
  static_assert(sizeof len == kRecordLengthBytes);
  EVP_DigestUpdate(ctx, &len, sizeof len);
  EVP_DigestUpdate(ctx, stored.data(), stored.size());
}

void BatchHasher::add_length_prefixed(std::span<const std::uint8_t> records) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), records.data(), records.size());
}

Hash BatchHasher::finish(std::uint64_t first_seq, std::uint64_t last_seq) {
  auto* ctx = static_cast<EVP_MD_CTX*>(ctx_);
  EVP_DigestUpdate(ctx, &first_seq, sizeof(first_seq));
  EVP_DigestUpdate(ctx, &last_seq, sizeof(last_seq));
  Hash h{};
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx, h.data(), &n);
  return h;
}

Hash BatchHasher::chain(const Hash& records_hash, const std::vector<Attestation>& attests) {
  if (attests.empty()) return records_hash;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx, records_hash.data(), records_hash.size());
  for (const auto& a : attests) {
    const auto kind = static_cast<std::uint8_t>(a.kind);
    const auto len = static_cast<std::uint32_t>(a.key.size());
    EVP_DigestUpdate(ctx, &kind, 1);
    EVP_DigestUpdate(ctx, &len, sizeof len);
    EVP_DigestUpdate(ctx, a.key.data(), a.key.size());
    EVP_DigestUpdate(ctx, a.digest.data(), a.digest.size());
  }
  Hash h{};
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx, h.data(), &n);
  EVP_MD_CTX_free(ctx);
  return h;
}

std::string to_hex(const Hash& h) { return trader::to_hex(h); }

}  // namespace trader::journal
