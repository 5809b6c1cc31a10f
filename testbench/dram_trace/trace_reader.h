// Readers for DRAM request traces in the formats of DRAMSim3 ("0xADDR READ|WRITE cycle"), Ramulator 2's
// read/write trace ("LD|ST 0xADDR") and DRAMSys' trace player ("cycle:\tread|write\t0xADDR [data]"),
// detected from the first request line so that existing traces replay unchanged.
#pragma once

#include <cstdint>
#include <fstream>
#include <istream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "testbench/workload/op_stream.h"  // TraceError

namespace pc::tb {

enum class DramTraceFormat { Unknown, DramSim3, Ramulator, DramSys };
const char* format_name(DramTraceFormat f);
// Whether lines of the format carry a time stamp (DRAMSim3 and DRAMSys do, Ramulator 2's LD/ST does not).
inline bool has_time_stamps(DramTraceFormat f) {
  return f == DramTraceFormat::DramSim3 || f == DramTraceFormat::DramSys;
}

struct DramTraceEntry {
  uint64_t addr = 0;
  bool write = false;
  bool timed = false;  // the format carries a time stamp
  uint64_t cycle = 0;  // time stamp in DRAM clock cycles (when timed)
};

class DramTraceReader {
 public:
  // Throws TraceError("<path>: cannot open: ...").
  explicit DramTraceReader(const std::string& path);
  // Reads from a stream; `name` is used in messages.
  DramTraceReader(std::unique_ptr<std::istream> in, std::string name);

  // Next request; false at the end. A malformed line throws TraceError("<name>:<line>: ...").
  bool next(DramTraceEntry& e);
  DramTraceFormat format() const { return m_fmt; }
  uint64_t line() const { return m_line; }

 private:
  [[noreturn]] void fail(const std::string& what) const;
  DramTraceFormat detect(std::string_view l) const;
  void parse(std::string_view l, DramTraceEntry& e) const;
  // The next line without its '\n' (a view into the chunk or m_buf), as std::getline splits them.
  bool read_line(std::string_view& l);

  std::unique_ptr<std::istream> m_in;
  std::string m_name;
  std::vector<char> m_chunk;    // the stream is read in chunks: no istream call per line
  size_t m_pos = 0, m_end = 0;  // the unread part of m_chunk
  std::string m_buf;            // a line that crosses the end of a chunk
  uint64_t m_line = 0;
  DramTraceFormat m_fmt = DramTraceFormat::Unknown;
};

}  // namespace pc::tb
