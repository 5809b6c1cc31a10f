// DRAM request trace readers.
#include "testbench/dram_trace/trace_reader.h"

#include <fmt/format.h>

#include <algorithm>
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
    parse(l, e);
    return true;
  }
  if (m_in->bad()) fail("read error");
  return false;
}

}  // namespace pc::tb
