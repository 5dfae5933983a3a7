#include "exchange/capture_check.hpp"

#include <array>
#include <map>

#include <fmt/format.h>

#include "exchange/capture_stream.hpp"

namespace trader {

Status check_holds_messages(const std::string& file, VenueId venue, const std::string& snapshot_symbol,
                            std::uint64_t max_lines) {
  auto stream = CaptureStream::open({file}, snapshot_symbol, venue);
  if (!stream) return tl::unexpected(stream.error());
  std::string first_malformed;
  std::map<std::string, std::uint64_t> unknown;
  CaptureItem item;
  for (;;) {
    auto more = (*stream)->next(item);
    if (!more) return tl::unexpected(more.error());
    if (!*more || (max_lines > 0 && (*stream)->lines_read() > max_lines)) break;
    if (item.kind == CaptureItem::Kind::message) return {};
    if (item.kind == CaptureItem::Kind::malformed && first_malformed.empty())
      first_malformed = fmt::format("; the first malformed: {}: {}", item.where, item.error);
    if (item.kind == CaptureItem::Kind::unknown_stream) ++unknown[item.stream];
  }
  if ((*stream)->lines_read() == 0) return {};  // an empty file holds no one's messages
  std::string streams;
  for (const auto& [name, n] : unknown)
    streams += fmt::format("{}{} ({} line{})", streams.empty() ? "" : ", ", name, n, n == 1 ? "" : "s");
  return fail(fmt::format("{} holds no {} message in its {} line(s){}{}", file, venue_name(venue), (*stream)->lines_read(),
                          first_malformed, streams.empty() ? "" : "; streams it holds, which are not read: " + streams));
}

std::vector<VenueId> venues_reading(const std::string& file, VenueId not_this) {
  // Enough to tell one venue's capture from another's (their first line does), without
  // reading a wrong capture of a whole day once more for each venue.
  constexpr std::uint64_t kSniffedLines = 1000;
  constexpr std::array<VenueId, 5> kVenues{VenueId::binance, VenueId::binance_usdm, VenueId::coinbase, VenueId::kucoin,
                                           VenueId::kucoin_futures};
  std::vector<VenueId> out;
  for (const VenueId v : kVenues)
    if (v != not_this && check_holds_messages(file, v, "", kSniffedLines)) out.push_back(v);
  return out;
}

}  // namespace trader
