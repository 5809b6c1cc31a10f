// Shared by the fuzz harnesses (tests/fuzz/README.md): the contract check that ends the process with a
// message (libFuzzer then saves the input as a crash; the replay test fails), a scratch file for readers
// that take a path, and a cursor over the input bytes for structured inputs.
#pragma once

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

// On the harness's own bookkeeping (not the code under test): no coverage feedback and no comparison
// tracing, which would cost more than the model itself.
#if defined(__clang__)
#define PC_FUZZ_NO_COVERAGE __attribute__((no_sanitize("coverage")))
#else
#define PC_FUZZ_NO_COVERAGE
#endif

namespace pc::fuzz {

// A broken contract: print what and where, then abort (a crash to libFuzzer, a failure to ctest).
template <class... A>
[[noreturn]] void violation(fmt::format_string<A...> f, A&&... args) {
  std::fprintf(stderr, "fuzz contract violated: %s\n", fmt::format(f, std::forward<A>(args)...).c_str());
  std::fflush(stderr);
  std::abort();
}

#define PC_FUZZ_CHECK(cond, ...)                                                                   \
  do {                                                                                             \
    if (!(cond))                                                                                   \
      ::pc::fuzz::violation("{}:{}: {}: {}", __FILE__, __LINE__, #cond, fmt::format(__VA_ARGS__)); \
  } while (0)

// A file of this process in /dev/shm (else TMPDIR or /tmp), rewritten for every input.
std::string scratch_path(const std::string& name);
void write_file(const std::string& path, const void* data, size_t n);

inline bool starts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

// Structured input: takes bytes and integers from the front; past the end everything reads as zero.
class Cursor {
 public:
  Cursor(const uint8_t* d, size_t n) : m_d(d), m_n(n) {}
  size_t left() const { return m_n - m_i; }
  bool empty() const { return m_i >= m_n; }
  uint8_t u8() { return m_i < m_n ? m_d[m_i++] : 0; }
  uint16_t u16() { return static_cast<uint16_t>(u8() | (u8() << 8)); }
  uint32_t u32() { return static_cast<uint32_t>(u16()) | (static_cast<uint32_t>(u16()) << 16); }
  uint64_t u64() { return static_cast<uint64_t>(u32()) | (static_cast<uint64_t>(u32()) << 32); }
  std::string_view rest() {
    std::string_view s(reinterpret_cast<const char*>(m_d + m_i), m_n - m_i);
    m_i = m_n;
    return s;
  }

 private:
  const uint8_t* m_d;
  size_t m_n, m_i = 0;
};

}  // namespace pc::fuzz
