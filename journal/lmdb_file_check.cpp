#include "journal/lmdb_file_check.hpp"

#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

namespace trader::journal {
namespace {

// Layout of an LMDB 0.9 meta page on a 64-bit build (mdb.c: MDB_page header, MDB_meta).
constexpr std::uint32_t kMagic = 0xBEEFC0DE;
constexpr std::size_t kPageHeader = 16;
constexpr std::size_t kMagicOff = kPageHeader + 0;
constexpr std::size_t kPageSizeOff = kPageHeader + 24;  // mm_dbs[FREE_DBI].md_pad holds the page size
constexpr std::size_t kLastPageOff = kPageHeader + 120;  // mm_last_pg
constexpr std::size_t kTxnIdOff = kPageHeader + 128;     // mm_txnid
constexpr std::size_t kMetaEnd = kTxnIdOff + 8;

struct Meta {
  std::uint32_t magic, page_size;
  std::uint64_t last_page, txn_id;
};

Meta parse_meta(const unsigned char* page) {
  Meta m{};
  std::memcpy(&m.magic, page + kMagicOff, 4);
  std::memcpy(&m.page_size, page + kPageSizeOff, 4);
  std::memcpy(&m.last_page, page + kLastPageOff, 8);
  std::memcpy(&m.txn_id, page + kTxnIdOff, 8);
  return m;
}

bool read_at(int fd, unsigned char* buf, std::size_t n, off_t off) {
  std::size_t got = 0;
  while (got < n) {
    const ssize_t r = ::pread(fd, buf + got, n - got, off + static_cast<off_t>(got));
    if (r <= 0) return false;
    got += static_cast<std::size_t>(r);
  }
  return true;
}

}  // namespace

Status check_lmdb_file(const std::string& data_file) {
  const int fd = ::open(data_file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(fmt::format("cannot open {}: {}", data_file, std::strerror(errno)));
  struct stat st {};
  ::fstat(fd, &st);
  const auto size = static_cast<std::uint64_t>(st.st_size);
  unsigned char page[kMetaEnd];
  if (size < kMetaEnd || !read_at(fd, page, kMetaEnd, 0)) {
    ::close(fd);
    return fail(fmt::format("{} is not an LMDB file or is truncated ({} bytes)", data_file, size));
  }
  const Meta m0 = parse_meta(page);
  if (m0.magic != kMagic || m0.page_size < 512 || m0.page_size > (1u << 16) ||
      (m0.page_size & (m0.page_size - 1)) != 0) {
    ::close(fd);
    return fail(fmt::format("{} is not an LMDB file (bad meta page)", data_file));
  }
  Meta m1{};
  const bool second = size >= m0.page_size + kMetaEnd && read_at(fd, page, kMetaEnd, m0.page_size);
  ::close(fd);
  if (second) m1 = parse_meta(page);
  if (!second || m1.magic != kMagic)
    return fail(fmt::format("{} is truncated or corrupted: second meta page missing", data_file));
  // LMDB uses the meta page with the newer transaction id.
  const Meta& live = m1.txn_id > m0.txn_id ? m1 : m0;
  const std::uint64_t needed = (live.last_page + 1) * live.page_size;
  if (size < needed)
    return fail(fmt::format("{} is truncated: {} bytes, but its last committed transaction uses {} bytes",
                            data_file, size, needed));
  return {};
}

}  // namespace trader::journal
