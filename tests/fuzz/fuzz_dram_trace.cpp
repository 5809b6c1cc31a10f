// DRAM trace reader (testbench/dram_trace/trace_reader): DRAMSim3, Ramulator 2 and DRAMSys lines with
// format auto-detection. Contract: a trace is either read to its end, and then the records re-serialised
// in the detected format read back to the same records and format; or the reader throws TraceError
// "<name>:<line>: ..." with the line of the input that is wrong (never another exception or a crash).
#include <sstream>
#include <vector>

#include "testbench/dram_trace/trace_reader.h"
#include "tests/fuzz/fuzz_common.h"

using pc::tb::DramTraceEntry;
using pc::tb::DramTraceFormat;
using pc::tb::DramTraceReader;

namespace {

struct Outcome {
  std::vector<DramTraceEntry> entries;
  DramTraceFormat format = DramTraceFormat::Unknown;
  bool ok = true;
  std::string error;
};

// Reads `text` in full; at most `limit` records (a fuzz input is small, the cap only guards the replay).
Outcome read_all(const std::string& text, const std::string& name) {
  Outcome o;
  DramTraceReader r(std::make_unique<std::istringstream>(text), name);
  try {
    DramTraceEntry e;
    while (r.next(e)) o.entries.push_back(e);
  } catch (const pc::tb::TraceError& e) {
    o.ok = false;
    o.error = e.what();
  }
  o.format = r.format();
  return o;
}

std::string serialise(const std::vector<DramTraceEntry>& es, DramTraceFormat f) {
  std::string out;
  for (const auto& e : es) {
    switch (f) {
      case DramTraceFormat::DramSim3:
        out += fmt::format("0x{:x} {} {}\n", e.addr, e.write ? "WRITE" : "READ", e.cycle);
        break;
      case DramTraceFormat::Ramulator:
        out += fmt::format("{} 0x{:x}\n", e.write ? "ST" : "LD", e.addr);
        break;
      case DramTraceFormat::DramSys:
        out += fmt::format("{}:\t{}\t0x{:x}\n", e.cycle, e.write ? "write" : "read", e.addr);
        break;
      case DramTraceFormat::Unknown:
        break;
    }
  }
  return out;
}

bool same(const DramTraceEntry& a, const DramTraceEntry& b) {
  return a.addr == b.addr && a.write == b.write && a.timed == b.timed && a.cycle == b.cycle;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const Outcome o = read_all(text, "fuzz.trace");
  if (!o.ok) {
    // The line named must exist: 1 + the number of newlines before the end (a last line may lack one).
    size_t lines = 1;
    for (char c : text) lines += c == '\n';
    PC_FUZZ_CHECK(pc::fuzz::starts_with(o.error, "fuzz.trace:"), "error without the trace name: {}", o.error);
    const size_t colon = o.error.find(':', 11);
    PC_FUZZ_CHECK(colon != std::string::npos && colon > 11, "error without a line number: {}", o.error);
    const unsigned long line = std::stoul(o.error.substr(11, colon - 11));
    PC_FUZZ_CHECK(line >= 1 && line <= lines, "error names line {} of a {}-line input: {}", line, lines,
                  o.error);
    return 0;
  }
  for (const auto& e : o.entries)
    PC_FUZZ_CHECK(e.timed == (o.format != DramTraceFormat::Ramulator), "time stamp flag {} in {} format",
                  e.timed, pc::tb::format_name(o.format));
  if (o.entries.empty()) return 0;
  PC_FUZZ_CHECK(o.format != DramTraceFormat::Unknown, "{} records without a detected format",
                o.entries.size());
  const Outcome back = read_all(serialise(o.entries, o.format), "roundtrip.trace");
  PC_FUZZ_CHECK(back.ok, "re-serialised trace rejected: {}", back.error);
  PC_FUZZ_CHECK(back.format == o.format, "format {} read back as {}", pc::tb::format_name(o.format),
                pc::tb::format_name(back.format));
  PC_FUZZ_CHECK(back.entries.size() == o.entries.size(), "{} records read back as {}", o.entries.size(),
                back.entries.size());
  for (size_t i = 0; i < o.entries.size(); ++i)
    PC_FUZZ_CHECK(same(o.entries[i], back.entries[i]),
                  "record {} changed in the round trip (addr {:#x} -> {:#x})", i, o.entries[i].addr,
                  back.entries[i].addr);
  return 0;
}
