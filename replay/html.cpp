#include "replay/html.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "base/time_format.hpp"

namespace trader::replay {

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string html_head(const std::string& title, const std::string& extra_css) {
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>" + html_escape(title) +
         "</title>\n<style>body{font-family:sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:12px 0}"
         "th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;font-size:13px}th{background:#f3f3f3}" +
         extra_css + "</style>\n</head>\n<body>\n";
}

std::string utc_minute(std::int64_t ts_ms) { return format_utc_minute(ts_ms * 1'000'000); }

PlotFrame::PlotFrame(double left, double top, double width, double height, std::int64_t t0, std::int64_t t1, double v0,
                     double v1)
    : left_(left), top_(top), width_(width), height_(height), t0_(t0), t1_(t1 > t0 ? t1 : t0 + 1) {
  if (v1 - v0 < 1e-9) {
    v0 -= 1;
    v1 += 1;
  }
  const double pad = (v1 - v0) * 0.05;
  v0_ = v0 - pad;
  v1_ = v1 + pad;
}

double PlotFrame::x(std::int64_t t) const {
  return left_ + width_ * static_cast<double>(t - t0_) / static_cast<double>(t1_ - t0_);
}
double PlotFrame::y(double v) const { return top_ + height_ * (1.0 - (v - v0_) / (v1_ - v0_)); }

std::string PlotFrame::grid(const char* value_format) const {
  std::string out = fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="#fafafa" stroke="#ccc"/>)", left_,
                                top_, width_, height_);
  out += "\n";
  for (int i = 0; i <= 4; ++i) {
    const double v = v0_ + (v1_ - v0_) * i / 4.0;
    out += fmt::format(R"(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="#e5e5e5"/>)", left_, y(v),
                       left_ + width_, y(v));
    out += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" font-size="11" text-anchor="end">{}</text>)", left_ - 6, y(v) + 4,
                       fmt::format(fmt::runtime(value_format), v));
    out += "\n";
  }
  for (int i = 0; i <= 4; ++i) {
    const auto t = t0_ + (t1_ - t0_) * i / 4;
    const char* anchor = i == 0 ? "start" : i == 4 ? "end" : "middle";  // keep the ends inside the picture
    out += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" font-size="11" text-anchor="{}">{}</text>)", x(t),
                       top_ + height_ + 16, anchor, html_escape(utc_minute(t)));
    out += "\n";
  }
  return out;
}

std::string PlotFrame::polyline(const std::vector<std::pair<std::int64_t, double>>& points, const char* colour,
                                std::size_t max_points) const {
  if (points.empty()) return "";
  const std::size_t step = std::max<std::size_t>(1, points.size() / max_points);
  std::string pts;
  for (std::size_t i = 0; i < points.size(); i += step) pts += fmt::format("{:.1f},{:.1f} ", x(points[i].first), y(points[i].second));
  pts += fmt::format("{:.1f},{:.1f}", x(points.back().first), y(points.back().second));
  return fmt::format(R"(<polyline fill="none" stroke="{}" stroke-width="1.5" points="{}"/>)", colour, pts) + "\n";
}

}  // namespace trader::replay
