// DRAM request trace readers.
#include "testbench/dram_trace/trace_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <sstream>
#include <string_view>

namespace pc::tb {
namespace {

// The first four blank-separated tokens of a line (views into it) and how many tokens it has in all;
// no allocation per line (a million-line trace is parsed in a fraction of the replay's time).
struct Tokens {
  std::string_view t[4];
  size_t n = 0;
  size_t size() const { return n; }
  std::string_view operator[](size_t i) const { return i < 4 ? t[i] : std::string_view(); }
};

// The blanks of std::isspace in the "C" locale (the program never sets another), without its call.
inline bool blank(char c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}

Tokens split(std::string_view l) {
  Tokens t;
  size_t i = 0;
  while (i < l.size()) {
    while (i < l.size() && blank(l[i])) ++i;
    size_t j = i;
    while (j < l.size() && !blank(l[j])) ++j;
    if (j > i) {
      if (t.n < 4) t.t[t.n] = l.substr(i, j - i);
      ++t.n;
    }
    i = j;
  }
  return t;
}

// Case-insensitive equality with a lower-case word.
bool ieq(std::string_view s, std::string_view lower_word) {
  if (s.size() != lower_word.size()) return false;
  for (size_t i = 0; i < s.size(); ++i)
    if ((s[i] >= 'A' && s[i] <= 'Z' ? char(s[i] - 'A' + 'a') : s[i]) != lower_word[i]) return false;
  return true;
}

// Unsigned number: 0x-prefixed hex or decimal; false unless the whole token is a number below 2^64.
bool parse_u64(std::string_view s, uint64_t& v, bool hex_default = false) {
  const char* p = s.data();
  const char* const end = p + s.size();
  int base = hex_default ? 16 : 10;
  if (s.size() > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
    p += 2;
    base = 16;
  }
  // from_chars, unlike stoull, reports an out-of-range value instead of throwing, and takes no sign or
  // blanks.
  uint64_t x = 0;
  const auto r = std::from_chars(p, end, x, base);
  if (p == end || r.ec != std::errc() || r.ptr != end) return false;
  v = x;
  return true;
}

// The single pass over a well-formed line that parse() tries first: numbers of the usual lengths (up
// to 16 hex digits, 19 decimal ones: below 2^64 whatever they are), one blank-separated token after the
// other. It returns false for anything else (longer numbers, other characters, a token too many or too
// few), and parse() then judges the line with split() and parse_u64 and words its error: whatever this
// accepts, parse_u64 and the token checks accept with the same values.
// Per character: its value as a hex digit, or kNotHex.
constexpr uint8_t kNotHex = 0xff;
constexpr std::array<uint8_t, 256> kHexValue = [] {
  std::array<uint8_t, 256> t{};
  for (auto& v : t) v = kNotHex;
  for (int d = 0; d < 10; ++d) t[size_t('0' + d)] = uint8_t(d);
  for (int d = 0; d < 6; ++d) t[size_t('a' + d)] = t[size_t('A' + d)] = uint8_t(10 + d);
  return t;
}();
inline unsigned hex_value(char c) {
  return kHexValue[static_cast<unsigned char>(c)];
}

// A number starting at p as parse_u64 reads it ("0x" then hex, else hex or decimal by `hex_default`);
// leaves p after its digits (the caller checks what follows).
inline bool quick_u64(const char*& p, const char* end, uint64_t& v, bool hex_default) {
  bool hex = hex_default;
  if (end - p > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && hex_value(p[2]) < 16) {
    p += 2;
    hex = true;
  }
  const char* const first = p;
  uint64_t x = 0;
  if (hex) {
    for (unsigned d; p < end && (d = hex_value(*p)) < 16; ++p) x = x << 4 | d;
    if (p == first || p - first > 16) return false;
  } else {
    for (unsigned d; p < end && (d = unsigned(*p - '0')) < 10; ++p) x = x * 10 + d;
    if (p == first || p - first > 19) return false;
  }
  v = x;
  return true;
}

// The n-letter token at p is the lower-case word `w` in any case (letters differ from their upper case
// in bit 5 only, and no other character matches a lower-case letter with bit 5 set).
inline bool quick_word(const char* p, const char* end, const char* w, size_t n) {
  if (size_t(end - p) < n || (p + n < end && !blank(p[n]))) return false;
  for (size_t i = 0; i < n; ++i)
    if ((p[i] | 0x20) != w[i]) return false;
  return true;
}

// At least one blank, then the next token (false at the end of the line).
inline bool quick_gap(const char*& p, const char* end) {
  if (p == end || !blank(*p)) return false;
  while (p < end && blank(*p)) ++p;
  return p < end;
}

// Nothing but blanks to the end of the line.
inline bool quick_rest_blank(const char* p, const char* end) {
  while (p < end && blank(*p)) ++p;
  return p == end;
}

bool quick_parse(DramTraceFormat fmt, std::string_view l, DramTraceEntry& e) {
  const char* p = l.data();
  const char* const end = p + l.size();
  while (p < end && blank(*p)) ++p;
  uint64_t addr = 0, cycle = 0;
  bool write = false;
  switch (fmt) {
    case DramTraceFormat::DramSim3:  // 0xADDR READ|WRITE cycle
      if (!quick_u64(p, end, addr, true) || !quick_gap(p, end)) return false;
      write = (*p | 0x20) == 'w';
      if (!(write ? quick_word(p, end, "write", 5) : quick_word(p, end, "read", 4))) return false;
      p += write ? 5 : 4;
      if (!quick_gap(p, end) || !quick_u64(p, end, cycle, false) || !quick_rest_blank(p, end)) return false;
      e = DramTraceEntry{addr, write, true, cycle};
      return true;
    case DramTraceFormat::Ramulator:  // LD|ST ADDR (case-sensitive, as parse() has it)
      if (end - p < 2 || (p[0] != 'L' && p[0] != 'S') || p[1] != (p[0] == 'L' ? 'D' : 'T')) return false;
      write = p[0] == 'S';
      p += 2;
      if (!quick_gap(p, end) || !quick_u64(p, end, addr, false) || !quick_rest_blank(p, end)) return false;
      e = DramTraceEntry{addr, write, false, 0};
      return true;
    case DramTraceFormat::DramSys: {  // cycle:<tab>read|write[(len)]<tab>0xADDR[<tab>data...]
      if (!quick_u64(p, end, cycle, false) || p == end || *p != ':') return false;
      ++p;
      if (!quick_gap(p, end)) return false;
      const char* op_end = p;
      while (op_end < end && !blank(*op_end) && *op_end != '(') ++op_end;
      write = op_end - p == 5;
      if (!(write ? quick_word(p, op_end, "write", 5) : quick_word(p, op_end, "read", 4))) return false;
      while (p < end && !blank(*p)) ++p;  // past a "(len)"
      if (!quick_gap(p, end) || !quick_u64(p, end, addr, false) || (p < end && !blank(*p))) return false;
      e = DramTraceEntry{addr, write, true, cycle};
      return true;
    }
    case DramTraceFormat::Unknown:
      break;
  }
  return false;
}

}  // namespace

const char* format_name(DramTraceFormat f) {
  switch (f) {
    case DramTraceFormat::DramSim3:
      return "DRAMSim3";
    case DramTraceFormat::Ramulator:
      return "Ramulator 2";
    case DramTraceFormat::DramSys:
      return "DRAMSys";
    case DramTraceFormat::Unknown:
      break;
  }
  return "unknown";
}

DramTraceReader::DramTraceReader(const std::string& path) : m_name(path) {
  auto f = std::make_unique<std::ifstream>(path);
  if (!*f) throw TraceError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  m_in = std::move(f);
}

DramTraceReader::DramTraceReader(std::unique_ptr<std::istream> in, std::string name)
    : m_in(std::move(in)), m_name(std::move(name)) {}

void DramTraceReader::fail(const std::string& what) const {
  throw TraceError(fmt::format("{}:{}: {}", m_name, m_line, what));
}

DramTraceFormat DramTraceReader::detect(std::string_view l) const {
  const auto t = split(l);
  if (t.size() >= 2 && t[0].size() > 1 && t[0].back() == ':') return DramTraceFormat::DramSys;
  if (t.size() >= 2 && (t[0] == "LD" || t[0] == "ST")) return DramTraceFormat::Ramulator;
  if (t.size() >= 2 && (ieq(t[1], "read") || ieq(t[1], "write"))) return DramTraceFormat::DramSim3;
  return DramTraceFormat::Unknown;
}

void DramTraceReader::parse(std::string_view l, DramTraceEntry& e) const {
  const auto t = split(l);
  e = DramTraceEntry{};
  switch (m_fmt) {
    case DramTraceFormat::DramSim3: {
      // 0xADDR READ|WRITE cycle
      const bool rd = ieq(t[1], "read"), wr = ieq(t[1], "write");
      if (t.size() != 3 || (!rd && !wr) || !parse_u64(t[0], e.addr, true) || !parse_u64(t[2], e.cycle))
        fail(fmt::format("expected DRAMSim3 '0xADDR READ|WRITE cycle', got '{}'", l));
      e.write = wr;
      e.timed = true;
      return;
    }
    case DramTraceFormat::Ramulator: {
      // LD|ST ADDR (Ramulator 2 ReadWriteTrace)
      if (t.size() != 2 || (t[0] != "LD" && t[0] != "ST") || !parse_u64(t[1], e.addr))
        fail(fmt::format("expected Ramulator 'LD|ST 0xADDR', got '{}'", l));
      e.write = t[0] == "ST";
      return;
    }
    case DramTraceFormat::DramSys: {
      // cycle:<tab>read|write[(len)]<tab>0xADDR[<tab>data]
      std::string_view op = t[1];
      if (const auto p = op.find('('); p != std::string_view::npos) op = op.substr(0, p);
      const bool rd = ieq(op, "read"), wr = ieq(op, "write");
      if (t.size() < 3 || t[0].back() != ':' || (!rd && !wr) ||
          !parse_u64(t[0].substr(0, t[0].size() - 1), e.cycle) || !parse_u64(t[2], e.addr))
        fail(fmt::format("expected DRAMSys 'cycle:<TAB>read|write<TAB>0xADDR', got '{}'", l));
      e.write = wr;
      e.timed = true;
      return;
    }
    case DramTraceFormat::Unknown:
      break;
  }
  fail("unrecognised trace line");
}

bool DramTraceReader::read_line(std::string_view& l) {
  m_buf.clear();
  for (;;) {
    if (m_pos == m_end) {
      if (m_chunk.empty()) m_chunk.resize(1 << 16);
      m_in->read(m_chunk.data(), static_cast<std::streamsize>(m_chunk.size()));
      m_pos = 0;
      m_end = static_cast<size_t>(m_in->gcount());
      if (m_end == 0) {  // the end: a last line without '\n' still counts, an empty one does not
        l = m_buf;
        return !m_buf.empty();
      }
    }
    const char* s = m_chunk.data() + m_pos;
    const auto* nl = static_cast<const char*>(std::memchr(s, '\n', m_end - m_pos));
    if (!nl) {
      m_buf.append(s, m_end - m_pos);
      m_pos = m_end;
      continue;
    }
    const size_t n = static_cast<size_t>(nl - s);
    m_pos += n + 1;
    if (m_buf.empty()) {
      l = std::string_view(s, n);
    } else {
      m_buf.append(s, n);
      l = m_buf;
    }
    return true;
  }
}

bool DramTraceReader::next(DramTraceEntry& e) {
  std::string_view l;
  while (read_line(l)) {
    ++m_line;
    // The usual line, a request in the format already found, in one pass. quick_parse takes no empty or
    // comment line, and counts a '\r' as a blank around tokens, as the line without it would be read.
    if (m_fmt != DramTraceFormat::Unknown && quick_parse(m_fmt, l, e)) return true;
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    const auto first = l.find_first_not_of(" \t");
    if (first == std::string::npos || l[first] == '#') continue;
    if (m_fmt == DramTraceFormat::Unknown) {
      m_fmt = detect(l);
      if (m_fmt == DramTraceFormat::Unknown)
        fail(fmt::format(
            "cannot tell the trace format from '{}' (expected DRAMSim3 '0xADDR READ 10', Ramulator "
            "'LD 0xADDR' or DRAMSys '10:\\tread\\t0xADDR')",
            l));
    }
    if (!quick_parse(m_fmt, l, e)) parse(l, e);  // parse judges the line and words its error
    return true;
  }
  if (m_in->bad()) fail("read error");
  return false;
}

}  // namespace pc::tb
