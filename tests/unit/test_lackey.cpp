// Unit tests for the valgrind lackey trace reader: record parsing, splitting, line numbers, error
// messages and the plain / gzip / xz byte sources.
#include <gtest/gtest.h>
#include <lzma.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <string>
#include <vector>

#include "testbench/workload/lackey.h"

namespace pc::tb {
namespace {

using hw::Op;
using hw::OpKind;

// Per-test file names under the GoogleTest temp dir, removed when the test ends.
class TempFiles {
 public:
  TempFiles() = default;
  TempFiles(const TempFiles&) = delete;
  TempFiles& operator=(const TempFiles&) = delete;
  ~TempFiles() {
    for (const auto& p : m_paths) std::remove(p.c_str());
  }
  std::string path(const std::string& name) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    // The pid keeps two test runs on one machine (two builds, two sessions) off each other's files.
    m_paths.push_back(::testing::TempDir() + "pc_lackey_" + std::to_string(getpid()) + "_" + info->name() +
                      "_" + name);
    return m_paths.back();
  }

 private:
  std::vector<std::string> m_paths;
};

void write_bytes(const std::string& path, const std::string& bytes) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr) << path;
  ASSERT_EQ(std::fwrite(bytes.data(), 1, bytes.size(), f), bytes.size());
  std::fclose(f);
}

std::string read_bytes(const std::string& path) {
  std::string out;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return out;
  char buf[65536];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
  std::fclose(f);
  return out;
}

void write_gz(const std::string& path, const std::string& text) {
  gzFile gz = gzopen(path.c_str(), "wb");
  ASSERT_NE(gz, nullptr) << path;
  if (!text.empty()) {
    ASSERT_EQ(gzwrite(gz, text.data(), static_cast<unsigned>(text.size())), static_cast<int>(text.size()));
  }
  ASSERT_EQ(gzclose(gz), Z_OK);
}

std::string xz_compress(const std::string& text) {
  lzma_stream strm = LZMA_STREAM_INIT;
  EXPECT_EQ(lzma_easy_encoder(&strm, 6, LZMA_CHECK_CRC64), LZMA_OK);
  std::string out;
  uint8_t buf[65536];
  strm.next_in = reinterpret_cast<const uint8_t*>(text.data());
  strm.avail_in = text.size();
  for (;;) {
    strm.next_out = buf;
    strm.avail_out = sizeof buf;
    const lzma_ret r = lzma_code(&strm, LZMA_FINISH);
    out.append(reinterpret_cast<const char*>(buf), sizeof buf - strm.avail_out);
    if (r == LZMA_STREAM_END) break;
    EXPECT_EQ(r, LZMA_OK);
    if (r != LZMA_OK) break;
  }
  lzma_end(&strm);
  return out;
}

struct Got {
  OpKind kind;
  uint64_t vaddr;
  unsigned size;
  uint64_t line;
  bool operator==(const Got& o) const {
    return kind == o.kind && vaddr == o.vaddr && size == o.size && line == o.line;
  }
};

std::ostream& operator<<(std::ostream& os, const Got& g) {
  return os << "{kind " << static_cast<int>(g.kind) << ", 0x" << std::hex << g.vaddr << std::dec << ", "
            << g.size << " B, line " << g.line << "}";
}

std::vector<Got> read_all(const std::string& path) {
  LackeyReader r(path);
  std::vector<Got> out;
  Op op;
  while (r.next(op)) {
    EXPECT_EQ(op.wdata, nullptr);
    out.push_back({op.kind, op.vaddr, op.size, r.line()});
  }
  return out;
}

// The message of the TraceError the whole file raises ("" if none).
std::string error_of(const std::string& path) {
  try {
    read_all(path);
  } catch (const TraceError& e) {
    return e.what();
  }
  return "";
}

const char* const kSample =
    "==12345== Lackey, an example Valgrind tool\n"
    "==12345== Command: ./a.out\n"
    "I  04010173,3\n"
    " L 04222cac,8\n"
    " S 04222cb0,4\n"
    " M 0421d0f4,4\n"
    "I  0x04010176,5\n"
    "\n"
    " L 7ff000000,128\n"
    " M 0X10,128\n"
    "==12345== \n"
    "==12345== Counted 1 call to main()\n";

const std::vector<Got> kSampleOps = {
    {OpKind::Fetch, 0x04010173, 3, 3},  {OpKind::Read, 0x04222cac, 8, 4},   {OpKind::Write, 0x04222cb0, 4, 5},
    {OpKind::Read, 0x0421d0f4, 4, 6},   {OpKind::Write, 0x0421d0f4, 4, 6},  {OpKind::Fetch, 0x04010176, 5, 7},
    {OpKind::Read, 0x7ff000000, 64, 9}, {OpKind::Read, 0x7ff000040, 64, 9}, {OpKind::Read, 0x10, 64, 10},
    {OpKind::Read, 0x50, 64, 10},       {OpKind::Write, 0x10, 64, 10},      {OpKind::Write, 0x50, 64, 10},
};

TEST(Lackey, ParsesPlainTrace) {
  TempFiles tmp;
  const std::string path = tmp.path("t.txt");
  write_bytes(path, kSample);
  EXPECT_EQ(read_all(path), kSampleOps);
  LackeyReader r(path);
  EXPECT_EQ(r.line(), 0u);
  EXPECT_EQ(r.path(), path);
}

TEST(Lackey, GzipAndXzGiveIdenticalOps) {
  TempFiles tmp;
  const std::string gz = tmp.path("t.gz"), xz = tmp.path("t.xz");
  write_gz(gz, kSample);
  write_bytes(xz, xz_compress(kSample));
  EXPECT_EQ(read_all(gz), kSampleOps);
  EXPECT_EQ(read_all(xz), kSampleOps);
}

TEST(Lackey, EmptyInputs) {
  TempFiles tmp;
  const std::string plain = tmp.path("e.txt"), gz = tmp.path("e.gz"), xz = tmp.path("e.xz");
  write_bytes(plain, "");
  write_gz(gz, "");
  write_bytes(xz, xz_compress(""));
  EXPECT_TRUE(read_all(plain).empty());
  EXPECT_TRUE(read_all(gz).empty());
  EXPECT_TRUE(read_all(xz).empty());
  write_bytes(plain, "==1== only banner\n\n");
  EXPECT_TRUE(read_all(plain).empty());
}

TEST(Lackey, LastLineWithoutNewlineAndCrlf) {
  TempFiles tmp;
  const std::string path = tmp.path("t.txt");
  write_bytes(path, "I  00001000,4\r\n\r\n  \n L 2000,8 \r\n S 3000,2");
  const std::vector<Got> want = {
      {OpKind::Fetch, 0x1000, 4, 1}, {OpKind::Read, 0x2000, 8, 4}, {OpKind::Write, 0x3000, 2, 5}};
  EXPECT_EQ(read_all(path), want);
}

TEST(Lackey, LargeAccessesSplitIntoMaxSizedOps) {
  TempFiles tmp;
  const std::string path = tmp.path("t.txt");
  write_bytes(path, " S 1000,4096\n L ffffffffffffffc0,64\n L 5,65\n");
  const auto ops = read_all(path);
  ASSERT_EQ(ops.size(), 64u + 1 + 2);
  for (size_t i = 0; i < 64; ++i) EXPECT_EQ(ops[i], (Got{OpKind::Write, 0x1000 + 64 * i, 64, 1}));
  EXPECT_EQ(ops[64], (Got{OpKind::Read, 0xffffffffffffffc0ull, 64, 2}));
  EXPECT_EQ(ops[65], (Got{OpKind::Read, 5, 64, 3}));
  EXPECT_EQ(ops[66], (Got{OpKind::Read, 69, 1, 3}));
}

TEST(Lackey, CorruptThirdLineNamesFileAndLine) {
  TempFiles tmp;
  const std::string path = tmp.path("t.txt");
  write_bytes(path, "I  04010173,3\n L 04222cac,8\n L zz,8\n S 04222cac,8\n");
  LackeyReader r(path);
  Op op;
  ASSERT_TRUE(r.next(op));
  ASSERT_TRUE(r.next(op));
  EXPECT_EQ(op.vaddr, 0x04222cacu);
  try {
    r.next(op);
    FAIL() << "no TraceError";
  } catch (const TraceError& e) {
    EXPECT_NE(std::string(e.what()).find(path + ":3:"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()), path + ":3: bad hex address 'zz', expected ' L 04222cac,8'");
  }
}

TEST(Lackey, ErrorMessages) {
  TempFiles tmp;
  struct Case {
    const char* line;
    const char* what;
  };
  const Case cases[] = {
      {" L 04222cac,0", "access size 0, expected ' L 04222cac,8'"},
      {" S 04222cac,4097", "access size '4097' above 4096 bytes, expected ' S 04222cac,8'"},
      {" S 04222cac,99999999999999999999999",
       "access size '99999999999999999999999' above 4096 bytes, expected ' S 04222cac,8'"},
      {" L 04222cac 8", "missing ',' after the address, expected ' L 04222cac,8'"},
      {" L 04222cac", "missing ',' after the address, expected ' L 04222cac,8'"},
      {" X 04222cac,8", "unknown operation 'X' (not I, L, S or M), expected ' L 04222cac,8'"},
      {"hello world", "unknown operation 'hello' (not I, L, S or M), expected ' L 04222cac,8'"},
      {" L 04222cac,8 junk", "trailing characters 'junk', expected ' L 04222cac,8'"},
      {" L 04222cac,8x", "trailing characters 'x', expected ' L 04222cac,8'"},
      {"I  04g10173,3", "bad hex address '04g10173', expected 'I  04010173,3'"},
      {" M 0421d0f4,", "missing size after ',', expected ' M 0421d0f4,4'"},
      {" M 0421d0f4,abc", "bad size 'abc', expected ' M 0421d0f4,4'"},
      {" L ,8", "missing hex address, expected ' L 04222cac,8'"},
      {" L 11112222333344445,8",
       "hex address '11112222333344445' longer than 16 digits, expected ' L 04222cac,8'"},
      {" Lx 04222cac,8", "no blank after the operation letter 'L', expected ' L 04222cac,8'"},
      {" L ffffffffffffffc1,64",
       "access of 64 bytes wraps past the top of the address space, expected ' L 04222cac,8'"},
      {" L 10,8\x01", "trailing characters '\\x01', expected ' L 04222cac,8'"},
      {" L 10,8 \x7f\xff", "trailing characters '\\x7f\\xff', expected ' L 04222cac,8'"},
  };
  const std::string path = tmp.path("t.txt");
  for (const Case& c : cases) {
    write_bytes(path, std::string("==1== banner\n") + c.line + "\n");
    EXPECT_EQ(error_of(path), path + ":2: " + c.what) << c.line;
  }
  write_bytes(path, std::string("I  10,4\n\0 L 10,8\n", 17));  // a NUL byte
  EXPECT_EQ(error_of(path),
            path + ":2: unknown operation '\\x00' (not I, L, S or M), expected ' L 04222cac,8'");
}

TEST(Lackey, MissingFileThrows) {
  TempFiles tmp;
  for (const char* suffix : {"none.txt", "none.gz", "none.xz"}) {
    const std::string path = tmp.path(suffix);
    std::remove(path.c_str());
    try {
      LackeyReader r(path);
      FAIL() << "no TraceError for " << path;
    } catch (const TraceError& e) {
      EXPECT_EQ(std::string(e.what()).rfind(path + ": cannot open", 0), 0u) << e.what();
    }
  }
}

// Enough lines to cross the reader's 1 MiB buffer several times.
std::string big_trace(uint64_t lines) {
  std::string s;
  char buf[64];
  for (uint64_t i = 0; i < lines; ++i) {
    const char* fmt = i % 3 == 0 ? "I  %08llx,%llu\n" : i % 3 == 1 ? " L %08llx,%llu\n" : " S %08llx,%llu\n";
    std::snprintf(buf, sizeof buf, fmt, static_cast<unsigned long long>(0x04000000 + i * 4),
                  static_cast<unsigned long long>(1 + i % 8));
    s += buf;
  }
  return s;
}

void check_big(const std::string& path, uint64_t lines) {
  LackeyReader r(path);
  Op op;
  uint64_t i = 0;
  while (r.next(op)) {
    ASSERT_EQ(op.vaddr, 0x04000000 + i * 4) << i;
    ASSERT_EQ(op.size, 1 + i % 8) << i;
    ASSERT_EQ(op.kind, i % 3 == 0 ? OpKind::Fetch : i % 3 == 1 ? OpKind::Read : OpKind::Write) << i;
    ASSERT_EQ(r.line(), i + 1);
    ++i;
  }
  EXPECT_EQ(i, lines);
}

TEST(Lackey, LargeFilesAcrossBufferRefills) {
  TempFiles tmp;
  const uint64_t lines = 300000;  // ~4.5 MB
  const std::string text = big_trace(lines);
  const std::string plain = tmp.path("big.txt"), gz = tmp.path("big.gz"), xz = tmp.path("big.xz");
  write_bytes(plain, text);
  write_gz(gz, text);
  write_bytes(xz, xz_compress(text));
  check_big(plain, lines);
  check_big(gz, lines);
  check_big(xz, lines);
}

TEST(Lackey, ErrorLineNumberDeepInFile) {
  TempFiles tmp;
  std::string text = big_trace(250000);
  text += " L 1234,8,9\n";
  const std::string path = tmp.path("big.txt");
  write_bytes(path, text);
  EXPECT_EQ(error_of(path), path + ":250001: trailing characters ',9', expected ' L 04222cac,8'");
}

TEST(Lackey, OverlongLineThrows) {
  TempFiles tmp;
  const std::string path = tmp.path("t.txt");
  write_bytes(path, "I  1000,4\n" + std::string(3u << 20, 'x') + "\n");
  const std::string e = error_of(path);
  EXPECT_EQ(e.rfind(path + ":2: line longer than", 0), 0u) << e;
}

TEST(Lackey, TruncatedGzipThrows) {
  TempFiles tmp;
  const std::string text = big_trace(100000);
  const std::string gz = tmp.path("t.gz");
  write_gz(gz, text);
  const std::string whole = read_bytes(gz);
  write_bytes(gz, whole.substr(0, whole.size() / 2));
  const std::string e = error_of(gz);
  EXPECT_EQ(e, gz + ": truncated gzip stream (unexpected end of file)");
  // Cut in the 8-byte trailer: all the data decompresses, the stream is still incomplete.
  write_bytes(gz, whole.substr(0, whole.size() - 3));
  EXPECT_EQ(error_of(gz), gz + ": truncated gzip stream (unexpected end of file)");
}

TEST(Lackey, CorruptGzipThrows) {
  TempFiles tmp;
  const std::string text = big_trace(100000);
  const std::string gz = tmp.path("t.gz");
  write_gz(gz, text);
  std::string bytes = read_bytes(gz);
  bytes[bytes.size() - 6] ^= 0x55;  // CRC-32 in the trailer
  write_bytes(gz, bytes);
  const std::string e = error_of(gz);
  EXPECT_EQ(e.rfind(gz + ": corrupt gzip stream", 0), 0u) << e;
  write_bytes(gz, kSample);  // plain text under a .gz name
  EXPECT_EQ(error_of(gz), gz + ": not a gzip stream");
}

TEST(Lackey, TruncatedOrCorruptXzThrows) {
  TempFiles tmp;
  const std::string text = big_trace(100000);
  const std::string xz = tmp.path("t.xz");
  const std::string whole = xz_compress(text);
  write_bytes(xz, whole.substr(0, whole.size() / 2));
  EXPECT_EQ(error_of(xz), xz + ": truncated xz stream (unexpected end of file)");
  std::string bad = whole;
  bad[bad.size() / 2] ^= 0x55;
  write_bytes(xz, bad);
  const std::string e = error_of(xz);
  EXPECT_EQ(e.rfind(xz + ": ", 0), 0u) << e;
  EXPECT_NE(e.find("xz stream"), std::string::npos) << e;
  write_bytes(xz, kSample);  // plain text under an .xz name
  EXPECT_EQ(error_of(xz), xz + ": not an xz stream");
}

}  // namespace
}  // namespace pc::tb
