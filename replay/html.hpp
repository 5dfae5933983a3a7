#pragma once
// What the self-contained HTML reports (diff, report) share: escaping, UTC labels, and a
// plot frame that maps data to an SVG's pixels and draws its grid and axis labels.
#include <cstdint>
#include <string>
#include <vector>

namespace trader::replay {

std::string html_escape(const std::string& s);
// "<!DOCTYPE html>" up to and including "<body>": the title and the reports' one style
// (`extra_css` appended to it).
std::string html_head(const std::string& title, const std::string& extra_css = "");
std::string utc_minute(std::int64_t ts_ms);  // "2023-03-01T01:14Z"

// A plot area inside an SVG, `left`/`top` its corner in pixels. Values are padded by 5%
// so that lines do not touch the frame; an empty range is widened to ±1.
class PlotFrame {
 public:
  PlotFrame(double left, double top, double width, double height, std::int64_t t0, std::int64_t t1, double v0, double v1);
  double x(std::int64_t t) const;
  double y(double v) const;
  // The frame, 5 horizontal grid lines labelled with `value_format` (a fmt format for one
  // double, e.g. "{:.2f}") and 5 UTC time labels along the bottom.
  std::string grid(const char* value_format) const;
  // A line through (t, v), thinned to about `max_points` points, the last always kept.
  std::string polyline(const std::vector<std::pair<std::int64_t, double>>& points, const char* colour,
                       std::size_t max_points = 2000) const;

 private:
  double left_, top_, width_, height_;
  std::int64_t t0_, t1_;
  double v0_, v1_;
};

}  // namespace trader::replay
