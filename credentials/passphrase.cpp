#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <termios.h>
#include <unistd.h>

#include <fmt/format.h>

#include "credentials/credentials.hpp"

namespace trader::credentials {

Result<std::string> read_passphrase(const char* env_var, const char* prompt) {
  if (const char* v = std::getenv(env_var); v != nullptr && *v != '\0') return std::string(v);
  std::string line;
  if (::isatty(STDIN_FILENO)) {
    std::fprintf(stderr, "%s", prompt);
    termios old{};
    ::tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    std::getline(std::cin, line);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::fprintf(stderr, "\n");
  } else if (!std::getline(std::cin, line)) {
    return fail(fmt::format("no passphrase: set {} or give it on standard input", env_var));
  }
  if (line.empty()) return fail("empty passphrase");
  return line;
}

}  // namespace trader::credentials
