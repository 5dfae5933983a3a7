#include "tools/trader_tools/cli_numbers.hpp"

#include <algorithm>
#include <string>

namespace trader::tools {
namespace {

// "" when `text` is a decimal whole number (a sign only if `signed_`), its leading zeros
// dropped; else what was expected.
std::string decimal(std::string& text, bool signed_) {
  const bool minus = signed_ && !text.empty() && text.front() == '-';
  std::string digits = text.substr(minus ? 1 : 0);
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return signed_ ? "expected a whole number in decimal, e.g. 42 or -1"
                   : "expected a whole number of 0 or more, in decimal";
  digits.erase(0, std::min(digits.find_first_not_of('0'), digits.size() - 1));
  text = (minus ? "-" : "") + digits;
  return "";
}

}  // namespace

void require_decimal_integers(CLI::App& app) {
  for (CLI::Option* opt : app.get_options()) {
    const std::string type = opt->get_type_name();
    const bool is_unsigned = type.rfind("UINT", 0) == 0;
    if (!is_unsigned && type.rfind("INT", 0) != 0) continue;
    opt->transform(CLI::Validator([is_unsigned](std::string& text) { return decimal(text, !is_unsigned); }, ""));
  }
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) require_decimal_integers(*sub);
}

}  // namespace trader::tools
