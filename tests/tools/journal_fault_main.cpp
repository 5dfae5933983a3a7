// journal-fault: damages a journal on purpose, for the integration tests.
//   journal-fault flip DIR SEQ [OFFSET]   flip one bit of record SEQ (default: its last byte;
//                                         in a compacted journal, of the block holding it)
//   journal-fault set-meta DIR KEY VALUE  overwrite a meta entry (e.g. format_version)
#include <cstdio>
#include <cstdlib>
#include <string>

#include "journal_fault.hpp"

int main(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "flip" && (argc == 4 || argc == 5)) {
    const auto seq = std::strtoull(argv[3], nullptr, 10);
    const long long off = argc == 5 ? std::atoll(argv[4]) : -1;
    if (!trader::test::flip_record_byte(argv[2], seq, off)) {
      std::fprintf(stderr, "journal-fault: no record %llu in %s\n", static_cast<unsigned long long>(seq), argv[2]);
      return 1;
    }
    return 0;
  }
  if (cmd == "set-meta" && argc == 5) return trader::test::set_meta(argv[2], argv[3], argv[4]) ? 0 : 1;
  std::fprintf(stderr, "usage: journal-fault flip DIR SEQ [OFFSET] | set-meta DIR KEY VALUE\n");
  return 2;
}
