#pragma once
// Fixed-point amounts for people: as a double for ratios, charts and metrics (never for
// money that is booked), and the result of checked arithmetic, which may not have fit.
#include <cstdint>
#include <optional>
#include <string>

namespace trader {

double fixed_to_double(std::int64_t fixed);
// format_fixed(*v), or "(out of range)" when the checked result did not fit.
std::string format_checked(const std::optional<std::int64_t>& v);
// Parts per million as a percent with two decimals, truncated: 123456 -> "12.34%", -5000 -> "-0.50%".
std::string percent_of_ppm(std::int64_t ppm);

}  // namespace trader
