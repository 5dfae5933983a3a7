#pragma once
// Byte-exact serialization of core state for snapshots: fixed-width little-endian
// integers, doubles by their bits (a restored EMA continues exactly), strings and
// messages length-prefixed. A reader that runs past its input or finds a bad message
// turns !ok() and returns zeros; the caller reports it.
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "messages/message_types.hpp"

namespace trader {

class StateWriter {
 public:
  void u64(std::uint64_t v) { put(&v, 8); }
  void i64(std::int64_t v) { put(&v, 8); }
  void u32(std::uint32_t v) { put(&v, 4); }
  void f64(double v) { put(&v, 8); }
  void boolean(bool v) { std::uint8_t b = v ? 1 : 0; put(&b, 1); }
  void str(const std::string& s) {
    u32(static_cast<std::uint32_t>(s.size()));
    put(s.data(), s.size());
  }
  void message(const Message& m);
  std::vector<std::uint8_t>& bytes() { return buf_; }

 private:
  void put(const void* p, std::size_t n) {
    const auto* b = static_cast<const std::uint8_t*>(p);
    buf_.insert(buf_.end(), b, b + n);
  }
  std::vector<std::uint8_t> buf_;
};

class StateReader {
 public:
  explicit StateReader(std::span<const std::uint8_t> bytes) : in_(bytes) {}
  std::uint64_t u64() { std::uint64_t v = 0; get(&v, 8); return v; }
  std::int64_t i64() { std::int64_t v = 0; get(&v, 8); return v; }
  std::uint32_t u32() { std::uint32_t v = 0; get(&v, 4); return v; }
  double f64() { double v = 0; get(&v, 8); return v; }
  bool boolean() { std::uint8_t b = 0; get(&b, 1); return b != 0; }
  std::string str() {
    const auto n = u32();
    if (!ok_ || n > in_.size() - pos_) { ok_ = false; return {}; }
    std::string s(reinterpret_cast<const char*>(in_.data() + pos_), n);
    pos_ += n;
    return s;
  }
  Message message();
  // A count of elements still to come; guards against absurd sizes from bad input.
  std::uint32_t count() {
    const auto n = u32();
    if (n > in_.size() - pos_) ok_ = false;
    return ok_ ? n : 0;
  }
  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == in_.size(); }

 private:
  void get(void* p, std::size_t n) {
    if (!ok_ || n > in_.size() - pos_) {
      ok_ = false;
      std::memset(p, 0, n);
      return;
    }
    std::memcpy(p, in_.data() + pos_, n);
    pos_ += n;
  }
  std::span<const std::uint8_t> in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace trader
