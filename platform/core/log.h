// Minimal leveled logging to stderr (fmt). Verbosity is set once from the command line.
#pragma once

#include <fmt/format.h>

#include <cstdio>

namespace pc::log {

enum class Level { Error = 0, Warn = 1, Info = 2, Debug = 3 };
Level level();
void set_level(Level l);

template <class... Args>
void write(Level l, const char* tag, fmt::format_string<Args...> f, Args&&... args) {
  if (static_cast<int>(l) > static_cast<int>(level())) return;
  fmt::print(stderr, "[{}] {}\n", tag, fmt::format(f, std::forward<Args>(args)...));
}

template <class... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) { write(Level::Warn, "warn", f, std::forward<Args>(args)...); }
template <class... Args>
void info(fmt::format_string<Args...> f, Args&&... args) { write(Level::Info, "info", f, std::forward<Args>(args)...); }
template <class... Args>
void error(fmt::format_string<Args...> f, Args&&... args) { write(Level::Error, "error", f, std::forward<Args>(args)...); }

}  // namespace pc::log
