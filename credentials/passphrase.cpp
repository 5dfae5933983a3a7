#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
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

Result<std::string> read_secret_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return fail(fmt::format("{} cannot be read: {}", path, std::strerror(errno)));
  std::string line;
  std::getline(in, line);
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
  if (line.empty()) return fail(fmt::format("{}: its first line is empty; expected the secret", path));
  return line;
}

Result<std::string> check_new_passphrase(std::string passphrase) {
  // Characters, not bytes: a passphrase in another script is no weaker for its encoding.
  std::size_t chars = 0;
  for (const char c : passphrase) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  if (chars < kMinPassphraseChars)
    return fail(fmt::format("the passphrase has {} character{}; a key file's needs at least {} (a short sentence): "
                            "anyone who copies the file can try passphrases offline",
                            chars, chars == 1 ? "" : "s", kMinPassphraseChars));
  return passphrase;
}

}  // namespace trader::credentials
