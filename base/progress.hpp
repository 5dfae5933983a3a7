#pragma once
// A progress line for long commands (import, replay, what-if, train, project) on a terminal: how
// far, how fast, and how long is left. It stays silent when stderr is not a terminal or
// `CI` is set, so logs, pipes and CI output carry no control characters. It reads the wall
// clock: it belongs to the tools' shell, never to a core.
#include <chrono>
#include <cstdint>
#include <string>

namespace trader {

class Progress {
 public:
  // `total` 0: unknown (the line shows the count and the rate, no bar). `unit`: "records".
  Progress(std::string what, std::uint64_t total, std::string unit);
  ~Progress() { clear(); }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Whether progress is shown: stderr is a terminal and CI is unset (or "false" or "0").
  static bool wanted();
  // `done` so far; redraws at most ten times a second.
  void update(std::uint64_t done);
  void set_total(std::uint64_t total) { total_ = total; }
  // Erases the line (before the command prints its result); update() may draw it again.
  void clear();

  // The line for `done` after `seconds`, as drawn (for tests): "replay  [#####.....]  52%
  // 24000/46794 records  12.3k records/s  2 s left".
  static std::string line(const std::string& what, std::uint64_t done, std::uint64_t total, const std::string& unit,
                          double seconds);

 private:
  std::string what_, unit_;
  std::uint64_t total_;
  bool shown_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace trader
