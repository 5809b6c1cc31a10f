// Streaming reader for `valgrind --tool=lackey --trace-mem=yes` memory traces (plain, .gz or .xz),
// turning each I/L/S/M record into Fetch/Read/Write ops in constant memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "testbench/workload/op_stream.h"

namespace pc::tb {

namespace detail {
class ByteSource;  // a byte stream: plain file, gzip or xz decoder (lackey.cpp)
}

class LackeyReader : public OpStream {
 public:
  // Largest access size accepted in a record; larger ones are taken as a corrupt trace.
  static constexpr uint32_t kMaxRecordBytes = 4096;

  // Opens `path`; decompresses by suffix (.gz: zlib, .xz: liblzma, else plain text).
  // Throws TraceError("<path>: cannot open: <reason>") when the file cannot be opened.
  explicit LackeyReader(const std::string& path);
  ~LackeyReader() override;
  LackeyReader(const LackeyReader&) = delete;
  LackeyReader& operator=(const LackeyReader&) = delete;

  // I -> Fetch, L -> Read, S -> Write, M -> Read then Write of the same bytes; records above
  // kMaxAccessBytes become consecutive ops of at most kMaxAccessBytes. Lines starting with "==" and
  // blank lines are skipped; also accepted: a 0x prefix, extra blanks, CRLF endings and a last line
  // without a newline. Throws TraceError("<path>:<line>: <problem>, expected '<valid form>'")
  // on a malformed line and TraceError("<path>: ...") on a truncated or corrupt compressed stream.
  bool next(hw::Op& op) override;

  // 1-based number of the line the last returned op came from (0 before the first op); every line of
  // the file counts, skipped ones included.
  uint64_t line() const { return m_line; }
  const std::string& path() const { return m_path; }

 private:
  bool fill();
  void parse_line();  // consumes one line; a record sets m_left > 0
  [[noreturn]] void fail(const std::string& what, char letter) const;  // at line m_line
  void emit(hw::Op& op);

  std::string m_path;
  std::unique_ptr<detail::ByteSource> m_src;
  std::unique_ptr<char[]> m_buf;
  // [m_pos, m_lim) holds whole lines (m_lim just past a '\n'); [m_lim, m_end) a partial line.
  size_t m_pos = 0, m_lim = 0, m_end = 0;
  bool m_eof = false;
  uint64_t m_line = 0;

  // The record being split into ops.
  hw::OpKind m_kind = hw::OpKind::Read;
  uint64_t m_addr = 0;    // next op's address
  uint32_t m_left = 0;    // bytes still to emit for the current kind
  bool m_modify = false;  // an M record: after the reads, emit the writes
  uint64_t m_record_addr = 0;
  uint32_t m_record_size = 0;
};

}  // namespace pc::tb
