#pragma once
// Whole numbers on the command line are written in decimal. CLI11 (2.1) reads them with
// strtoull/strtoll in base 0, so "--from -1" became seq 18446744073709551615 (a wrapped
// unsigned) and "--from 010" seq 8 (octal), both without a word.
#include <CLI/CLI.hpp>

namespace trader::tools {

// Every integer option of `app` and its subcommands, present and future values alike:
// "-1" for an unsigned one is an error saying what is expected, a leading zero is decimal.
void require_decimal_integers(CLI::App& app);

}  // namespace trader::tools
