#include "tools/trader_tools/import_ledger.hpp"

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <memory>

#include <fmt/format.h>
#include <openssl/evp.h>

#include "base/hex.hpp"

namespace trader {
namespace {

Result<CaptureFileId> identify(const std::string& path) {
  const std::unique_ptr<std::FILE, decltype(&std::fclose)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return fail(fmt::format("{}: cannot read it: {}", path, std::strerror(errno)));
  const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) return fail("SHA-256 is not available");
  CaptureFileId id{path, "", 0};
  std::vector<unsigned char> buf(std::size_t{1} << 20);
  for (std::size_t n; (n = std::fread(buf.data(), 1, buf.size(), f.get())) > 0;) {
    EVP_DigestUpdate(ctx.get(), buf.data(), n);
    id.bytes += n;
  }
  if (std::ferror(f.get())) return fail(fmt::format("{}: cannot read it: {}", path, std::strerror(errno)));
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  id.sha256 = to_hex({md, len});
  return id;
}

std::string file_name(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

Result<std::vector<CaptureFileId>> identify_capture_files(const std::vector<std::string>& files) {
  std::vector<CaptureFileId> ids;
  std::map<std::string, std::string> seen;  // hash -> path
  for (const auto& path : files) {
    auto id = identify(path);
    if (!id) return tl::unexpected(id.error());
    if (id->bytes == 0) continue;  // holds no record to hold twice
    if (auto [at, fresh] = seen.emplace(id->sha256, path); !fresh)
      return fail(fmt::format("{} and {} hold the same bytes: a capture is imported once", at->second, path));
    ids.push_back(std::move(*id));
  }
  return ids;
}

std::string imported_file_key(const CaptureFileId& file) { return "import.file." + file.sha256; }

Status refuse_imported_again(const std::map<std::string, std::string>& meta,
                             const std::vector<journal::SessionInfo>& sessions,
                             const std::vector<CaptureFileId>& files) {
  for (const auto& f : files) {
    const auto it = meta.find(imported_file_key(f));
    if (it == meta.end()) continue;
    // The value: "session N: NAME, BYTES bytes"; the session says how its import ended.
    std::string ended;
    std::uint64_t id = 0;
    const std::string_view value = it->second;
    if (value.rfind("session ", 0) == 0 &&
        std::from_chars(value.data() + 8, value.data() + value.size(), id).ec == std::errc())
      for (const auto& s : sessions)
        if (s.id == id)
          ended = s.end_reason.empty() ? ", which has not ended"
                                       : fmt::format(", which ended at seq {} ({})", s.end_seq, s.end_reason);
    return fail(fmt::format("{} is in this journal already: {}{}. Importing it again would hold its records twice "
                            "(replay, what-if and training would see them twice); --again imports it anyway",
                            f.path, it->second, ended));
  }
  return {};
}

Status record_imported(journal::Writer& writer, std::uint64_t session, const std::vector<CaptureFileId>& files) {
  for (const auto& f : files)
    if (auto st = writer.put_meta(imported_file_key(f), fmt::format("session {}: {}, {} bytes", session,
                                                                    file_name(f.path), f.bytes));
        !st)
      return st;
  return {};
}

}  // namespace trader
