#pragma once
// The code version of this build, "trader <git describe>" (e.g. "trader 5e3ba9f1c2d4-dirty"),
// journaled with every session so a journal says which code recorded it.
namespace trader {
const char* code_version();
}  // namespace trader
