// Streaming reader for valgrind lackey memory traces: byte sources (plain, gzip, xz) and a
// hand-written line parser over a fixed buffer.
#include "testbench/workload/lackey.h"

#include <lzma.h>
#include <zlib.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>

namespace pc::tb {

namespace detail {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to `cap` bytes into `dst`; returns 0 only at the end of the stream. Throws TraceError.
  virtual size_t read(char* dst, size_t cap) = 0;
};

}  // namespace detail

namespace {

constexpr size_t kBufSize = size_t{1} << 20;  // also the longest line accepted

std::string errno_text() {
  return errno != 0 ? std::strerror(errno) : "unknown error";
}

class PlainSource final : public detail::ByteSource {
 public:
  explicit PlainSource(const std::string& path) : m_path(path) {
    errno = 0;
    m_file = std::fopen(path.c_str(), "rb");
    if (m_file == nullptr) throw TraceError(path + ": cannot open: " + errno_text());
    std::setvbuf(m_file, nullptr, _IONBF, 0);  // reads are already large: skip stdio's copy
  }
  ~PlainSource() override { std::fclose(m_file); }
  PlainSource(const PlainSource&) = delete;
  PlainSource& operator=(const PlainSource&) = delete;

  size_t read(char* dst, size_t cap) override {
    errno = 0;
    const size_t n = std::fread(dst, 1, cap, m_file);
    if (n < cap && std::ferror(m_file)) throw TraceError(m_path + ": read error: " + errno_text());
    return n;
  }

 private:
  std::string m_path;
  std::FILE* m_file;
};

class GzSource final : public detail::ByteSource {
 public:
  explicit GzSource(const std::string& path) : m_path(path) {
    errno = 0;
    m_gz = gzopen(path.c_str(), "rb");
    if (m_gz == nullptr) throw TraceError(path + ": cannot open: " + errno_text());
    gzbuffer(m_gz, 1u << 18);
    // zlib would pass a non-gzip file through unchanged; a .gz trace that is not gzip is corrupt.
    if (gzdirect(m_gz) != 0) {
      gzclose(m_gz);
      throw TraceError(path + ": not a gzip stream");
    }
  }
  ~GzSource() override { gzclose(m_gz); }
  GzSource(const GzSource&) = delete;
  GzSource& operator=(const GzSource&) = delete;

  size_t read(char* dst, size_t cap) override {
    const int n = gzread(m_gz, dst, static_cast<unsigned>(cap < INT_MAX ? cap : INT_MAX));
    int err = Z_OK;
    if (n < 0) {
      const char* msg = gzerror(m_gz, &err);
      throw TraceError(m_path + ": corrupt gzip stream (" + (err == Z_ERRNO ? errno_text() : msg) + ")");
    }
    if (n == 0) {
      gzerror(m_gz, &err);
      // Z_BUF_ERROR at the end: the input stopped in the middle of a gzip member.
      if (err == Z_BUF_ERROR) throw TraceError(m_path + ": truncated gzip stream (unexpected end of file)");
    }
    return static_cast<size_t>(n);
  }

 private:
  std::string m_path;
  gzFile m_gz;
};

class XzSource final : public detail::ByteSource {
 public:
  explicit XzSource(const std::string& path) : m_path(path), m_in(new uint8_t[kInSize]) {
    errno = 0;
    m_file = std::fopen(path.c_str(), "rb");
    if (m_file == nullptr) throw TraceError(path + ": cannot open: " + errno_text());
    std::setvbuf(m_file, nullptr, _IONBF, 0);
    const lzma_ret r = lzma_stream_decoder(&m_strm, std::numeric_limits<uint64_t>::max(), LZMA_CONCATENATED);
    if (r != LZMA_OK) {
      std::fclose(m_file);
      throw TraceError(path + ": cannot start the xz decoder (" + describe(r) + ")");
    }
  }
  ~XzSource() override {
    lzma_end(&m_strm);
    std::fclose(m_file);
  }
  XzSource(const XzSource&) = delete;
  XzSource& operator=(const XzSource&) = delete;

  size_t read(char* dst, size_t cap) override {
    m_strm.next_out = reinterpret_cast<uint8_t*>(dst);
    m_strm.avail_out = cap;
    while (m_strm.avail_out != 0 && !m_done) {
      if (m_strm.avail_in == 0 && !m_in_eof) {
        errno = 0;
        const size_t n = std::fread(m_in.get(), 1, kInSize, m_file);
        if (n < kInSize) {
          if (std::ferror(m_file)) throw TraceError(m_path + ": read error: " + errno_text());
          m_in_eof = true;
        }
        m_strm.next_in = m_in.get();
        m_strm.avail_in = n;
      }
      // LZMA_FINISH once the file is exhausted: a stream that is not complete then is truncated.
      const lzma_ret r = lzma_code(&m_strm, m_in_eof ? LZMA_FINISH : LZMA_RUN);
      if (r == LZMA_STREAM_END) {
        m_done = true;
      } else if (r != LZMA_OK) {
        throw TraceError(m_path + ": " + describe(r));
      }
    }
    return cap - m_strm.avail_out;
  }

 private:
  static constexpr size_t kInSize = size_t{1} << 17;

  static std::string describe(lzma_ret r) {
    switch (r) {
      case LZMA_FORMAT_ERROR:
        return "not an xz stream";
      case LZMA_DATA_ERROR:
        return "corrupt xz stream";
      case LZMA_BUF_ERROR:
        return "truncated xz stream (unexpected end of file)";
      case LZMA_MEM_ERROR:
        return "out of memory in the xz decoder";
      case LZMA_OPTIONS_ERROR:
        return "unsupported xz options";
      case LZMA_UNSUPPORTED_CHECK:
        return "unsupported xz integrity check";
      default:
        return "xz decoder error " + std::to_string(static_cast<int>(r));
    }
  }

  std::string m_path;
  std::unique_ptr<uint8_t[]> m_in;
  std::FILE* m_file = nullptr;
  lzma_stream m_strm = LZMA_STREAM_INIT;
  bool m_in_eof = false;
  bool m_done = false;
};

bool ends_with(const std::string& s, const char* suffix) {
  const size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

struct HexTable {
  int8_t v[256];
  constexpr HexTable() : v() {
    for (int i = 0; i < 256; ++i) v[i] = -1;
    for (int c = '0'; c <= '9'; ++c) v[c] = static_cast<int8_t>(c - '0');
    for (int c = 'a'; c <= 'f'; ++c) v[c] = static_cast<int8_t>(c - 'a' + 10);
    for (int c = 'A'; c <= 'F'; ++c) v[c] = static_cast<int8_t>(c - 'A' + 10);
  }
};
constexpr HexTable kHex{};

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

// A valid line for the record kind the malformed line seems to be.
const char* example_for(char letter) {
  switch (letter) {
    case 'I':
      return "I  04010173,3";
    case 'S':
      return " S 04222cac,8";
    case 'M':
      return " M 0421d0f4,4";
    default:
      return " L 04222cac,8";
  }
}

// The characters from `p` up to the end of the line (or a stop character), quoted, shortened and
// with non-printable bytes escaped.
std::string quote(const char* p, const char* stops) {
  std::string out = "'";
  size_t n = 0;
  for (; *p != '\n' && (*p == '\0' || std::strchr(stops, *p) == nullptr); ++p, ++n) {
    if (n == 40) {
      out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(*p);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\x%02x", c);
      out += esc;
    }
  }
  return out + "'";
}

}  // namespace

LackeyReader::LackeyReader(const std::string& path) : m_path(path) {
  if (ends_with(path, ".gz")) {
    m_src = std::make_unique<GzSource>(path);
  } else if (ends_with(path, ".xz")) {
    m_src = std::make_unique<XzSource>(path);
  } else {
    m_src = std::make_unique<PlainSource>(path);
  }
  m_buf.reset(new char[kBufSize + 1]);  // + 1: room for a newline after an unterminated last line
}

LackeyReader::~LackeyReader() = default;

bool LackeyReader::next(hw::Op& op) {
  while (m_left == 0) {
    if (m_pos == m_lim && !fill()) return false;
    parse_line();
  }
  emit(op);
  return true;
}

void LackeyReader::emit(hw::Op& op) {
  const uint32_t n = m_left < hw::kMaxAccessBytes ? m_left : hw::kMaxAccessBytes;
  hw::clear_op(op);
  op.kind = m_kind;
  op.size = static_cast<uint8_t>(n);
  op.vaddr = m_addr;
  m_addr += n;  // may wrap to 0 after the last op of a record ending at 2^64; it is not used then
  m_left -= n;
  if (m_left == 0 && m_modify) {
    m_modify = false;
    m_kind = hw::OpKind::Write;
    m_addr = m_record_addr;
    m_left = m_record_size;
  }
}

// Moves the partial last line to the front and reads until the buffer holds at least one whole line.
bool LackeyReader::fill() {
  char* const buf = m_buf.get();
  const size_t rest = m_end - m_lim;
  if (rest != 0 && m_lim != 0) std::memmove(buf, buf + m_lim, rest);
  m_pos = m_lim = 0;
  m_end = rest;
  for (;;) {
    const size_t scan_from = m_end;
    if (!m_eof) {
      if (m_end == kBufSize) {
        ++m_line;
        fail("line longer than " + std::to_string(kBufSize) + " bytes", 0);
      }
      const size_t n = m_src->read(buf + m_end, kBufSize - m_end);
      if (n == 0) m_eof = true;
      m_end += n;
    }
    for (size_t i = m_end; i > scan_from; --i) {
      if (buf[i - 1] == '\n') {
        m_lim = i;
        return true;
      }
    }
    if (m_eof) {
      if (m_end == 0) return false;
      buf[m_end++] = '\n';  // the file's last line has no newline
      m_lim = m_end;
      return true;
    }
  }
}

// Parses the line at m_pos; every line in [m_pos, m_lim) ends with '\n', which stops every scan below.
void LackeyReader::parse_line() {
  char* const buf = m_buf.get();
  const char* const start = buf + m_pos;
  const char* s = start;
  ++m_line;
  if (s[0] == '=' && s[1] == '=') {  // valgrind's own messages
    const auto* nl = static_cast<const char*>(std::memchr(s, '\n', m_lim - m_pos));
    m_pos = static_cast<size_t>(nl + 1 - buf);
    return;
  }
  while (is_blank(*s)) ++s;
  const char letter = *s;
  hw::OpKind kind = hw::OpKind::Read;
  bool modify = false;
  switch (letter) {
    case 'I':
      kind = hw::OpKind::Fetch;
      break;
    case 'L':
      kind = hw::OpKind::Read;
      break;
    case 'S':
      kind = hw::OpKind::Write;
      break;
    case 'M':
      modify = true;
      break;
    case '\r':
      if (s[1] != '\n') fail("stray carriage return", 0);
      ++s;
      [[fallthrough]];
    case '\n':  // blank line
      m_pos = static_cast<size_t>(s + 1 - buf);
      return;
    default:
      fail("unknown operation " + quote(s, " \t,\r") + " (not I, L, S or M)", 0);
  }
  ++s;
  if (!is_blank(*s)) fail(std::string("no blank after the operation letter '") + letter + "'", letter);
  do ++s;
  while (is_blank(*s));

  const char* const addr_token = s;
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s += 2;
  const char* const digits = s;
  uint64_t addr = 0;
  for (int d; (d = kHex.v[static_cast<unsigned char>(*s)]) >= 0; ++s)
    addr = (addr << 4) | static_cast<uint64_t>(d);
  const size_t ndigits = static_cast<size_t>(s - digits);
  if (*s != ',') {
    if (ndigits != 0 && (is_blank(*s) || *s == '\n' || *s == '\r'))
      fail("missing ',' after the address", letter);
    fail("bad hex address " + quote(addr_token, " \t,\r"), letter);
  }
  if (ndigits == 0) fail("missing hex address", letter);
  if (ndigits > 16) fail("hex address " + quote(addr_token, ",") + " longer than 16 digits", letter);
  ++s;

  const char* const size_token = s;
  uint64_t size = 0;
  for (; *s >= '0' && *s <= '9'; ++s) {
    if (size <= kMaxRecordBytes) size = size * 10 + static_cast<uint64_t>(*s - '0');  // saturates above
  }
  if (s == size_token) {
    if (*s == '\n' || *s == '\r' || is_blank(*s)) fail("missing size after ','", letter);
    fail("bad size " + quote(size_token, " \t\r"), letter);
  }
  while (is_blank(*s) || *s == '\r') ++s;
  if (*s != '\n') fail("trailing characters " + quote(s, "\r"), letter);
  if (size == 0) fail("access size 0", letter);
  if (size > kMaxRecordBytes)
    fail("access size " + quote(size_token, " \t\r") + " above " + std::to_string(kMaxRecordBytes) + " bytes",
         letter);
  if (size - 1 > std::numeric_limits<uint64_t>::max() - addr)
    fail("access of " + std::to_string(size) + " bytes wraps past the top of the address space", letter);

  m_pos = static_cast<size_t>(s + 1 - buf);
  m_kind = kind;
  m_addr = m_record_addr = addr;
  m_left = m_record_size = static_cast<uint32_t>(size);
  m_modify = modify;
}

void LackeyReader::fail(const std::string& what, char letter) const {
  throw TraceError(m_path + ":" + std::to_string(m_line) + ": " + what + ", expected '" +
                   example_for(letter) + "'");
}

}  // namespace pc::tb
