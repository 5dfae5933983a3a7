#pragma once
// Test-only damage to a journal on disk, done the way a bad disk or an attacker would:
// bytes of one stored record changed in place, behind LMDB's back.
#include <cstdint>
#include <string>

namespace trader::test {

// File offset of the stored value of record `seq` in DIR/data.mdb (-1 if absent); in a
// compacted journal, of the block holding it.
std::int64_t record_offset(const std::string& dir, std::uint64_t seq, std::size_t* size = nullptr);

// XORs the byte at `offset_in_record` (negative: from the end) of record `seq` (or its
// block) with 0x01..0xff.
bool flip_record_byte(const std::string& dir, std::uint64_t seq, std::int64_t offset_in_record = -1,
                      std::uint8_t mask = 0x01);

// Overwrites the meta key in a journal (to simulate another format version).
bool set_meta(const std::string& dir, const std::string& key, const std::string& value);

}  // namespace trader::test
