#pragma once
// Helpers shared by the unit tests: temporary directories and sample messages.
#include <cstdlib>
#include <filesystem>
#include <string>

#include "messages/message_types.hpp"

namespace trader::test {

// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "trader-test-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string sub(const std::string& name) const { return (std::filesystem::path(path_) / name).string(); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline Trade sample_trade(std::uint64_t i) {
  return Trade{"BTCUSDT", 6173763000000 + static_cast<std::int64_t>(i), 2000000 + static_cast<std::int64_t>(i),
               3735683259 + i, 1723161255343 + static_cast<std::int64_t>(i), 1723161255342 + static_cast<std::int64_t>(i),
               i % 2 == 0};
}

inline EnvelopeHeader header_at(std::int64_t recv_ts_ns, Actor source = Actor::market_feed) {
  return EnvelopeHeader{0, recv_ts_ns, source, Actor::none, 0, 0, 1};
}

}  // namespace trader::test
