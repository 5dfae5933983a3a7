#include "base/progress.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include <fmt/format.h>

namespace trader {
namespace {

std::string amount(double v) {
  if (v >= 1e6) return fmt::format("{:.1f}M", v / 1e6);
  if (v >= 1e4) return fmt::format("{:.1f}k", v / 1e3);
  return fmt::format("{:.0f}", v);
}

}  // namespace

bool Progress::wanted() {
  const char* ci = std::getenv("CI");
  const bool in_ci = ci != nullptr && *ci != '\0' && std::string_view(ci) != "false" && std::string_view(ci) != "0";
  return !in_ci && ::isatty(STDERR_FILENO) == 1;
}

Progress::Progress(std::string what, std::uint64_t total, std::string unit)
    : what_(std::move(what)), unit_(std::move(unit)), total_(total), shown_(wanted()),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

void Progress::clear() {
  if (!drawn_) return;
  std::fputs("\r\033[K", stderr);  // leave the terminal as it was
  std::fflush(stderr);
  drawn_ = false;
}

std::string Progress::line(const std::string& what, std::uint64_t done, std::uint64_t total, const std::string& unit,
                           double seconds) {
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  if (total == 0) return fmt::format("{}  {} {}  {} {}/s", what, done, unit, amount(rate), unit);
  const double share = std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
  constexpr int kWidth = 24;
  const int full = static_cast<int>(share * kWidth);
  const std::string bar = std::string(full, '#') + std::string(kWidth - full, '.');
  const std::string left = rate > 0 ? fmt::format("{:.0f} s left", static_cast<double>(total - std::min(done, total)) / rate)
                                    : std::string("? s left");
  return fmt::format("{}  [{}] {:3.0f}%  {}/{} {}  {} {}/s  {}", what, bar, share * 100, done, total, unit, amount(rate),
                     unit, left);
}

void Progress::update(std::uint64_t done) {
  if (!shown_) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  drawn_ = true;
  const double seconds = std::chrono::duration<double>(now - start_).count();
  std::fprintf(stderr, "\r\033[K%s", line(what_, done, total_, unit_, seconds).c_str());
  std::fflush(stderr);
}

}  // namespace trader
