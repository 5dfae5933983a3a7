#pragma once
// Whether a file is a capture of a venue, checked before anything is journaled from it.
// Another venue's capture (or one of streams nothing reads) would otherwise be journaled
// line by line as malformed-frame errors, and an import of it recorded as done.
#include <cstdint>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "messages/instrument.hpp"

namespace trader {

// Reads `file` until its first message of `venue` (its first line, for a capture of that
// venue). A file with lines and none of them such a message is an error naming the file,
// the lines read, the first malformed line's reason and the streams it holds that are not
// read; an empty file is not (it holds no one's messages). `max_lines`: read no further
// (0: the whole file).
Status check_holds_messages(const std::string& file, VenueId venue, const std::string& snapshot_symbol = "",
                            std::uint64_t max_lines = 0);

// The venues other than `not_this` whose captures `file` reads as, judged by its first
// thousand lines: what to suggest beside the error above.
std::vector<VenueId> venues_reading(const std::string& file, VenueId not_this);

}  // namespace trader
