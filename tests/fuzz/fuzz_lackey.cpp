// Lackey trace reader (testbench/workload/lackey): plain text, and the same text through gzip and xz.
// Input: byte 0 picks the form, the rest is the trace text (or, for the raw forms, the compressed file).
//   0: plain        1: gzip of the text     2: xz of the text
//   3: the bytes as a .gz file (fuzzes zlib's error path)   4: the bytes as a .xz file
// Contract: an accepted trace yields ops that, written back as one lackey record each, read back to the
// same ops; a rejected one throws TraceError "<path>:<line>: ..." naming a line of the text (or
// "<path>: ..." for a broken compressed stream), never another exception. The compressed forms of a
// text must give exactly what the plain form gives.
#include <lzma.h>
#include <zlib.h>

#include <vector>

#include "testbench/workload/lackey.h"
#include "tests/fuzz/fuzz_common.h"

namespace {

struct Outcome {
  std::vector<pc::hw::Op> ops;
  std::vector<uint64_t> lines;
  bool ok = true;
  std::string error;
};

Outcome read_all(const std::string& path) {
  Outcome o;
  try {
    pc::tb::LackeyReader r(path);
    pc::hw::Op op;
    while (r.next(op)) {
      o.ops.push_back(op);
      o.lines.push_back(r.line());
    }
  } catch (const pc::tb::TraceError& e) {
    o.ok = false;
    o.error = e.what();
  }
  return o;
}

std::string gzip(const std::string& text) {
  z_stream z{};
  // 15 + 16: a gzip wrapper, as gzip(1) writes.
  if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    pc::fuzz::violation("deflateInit2");
  std::string out(deflateBound(&z, text.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) pc::fuzz::violation("deflate did not finish");
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string xz(const std::string& text) {
  std::string out(lzma_stream_buffer_bound(text.size()), '\0');
  size_t pos = 0;
  if (lzma_easy_buffer_encode(0, LZMA_CHECK_CRC64, nullptr, reinterpret_cast<const uint8_t*>(text.data()),
                              text.size(), reinterpret_cast<uint8_t*>(out.data()), &pos,
                              out.size()) != LZMA_OK)
    pc::fuzz::violation("lzma_easy_buffer_encode");
  out.resize(pos);
  return out;
}

const char* letter(pc::hw::OpKind k) {
  switch (k) {
    case pc::hw::OpKind::Fetch:
      return "I ";
    case pc::hw::OpKind::Write:
      return " S";
    default:
      return " L";
  }
}

// The error must name the file, then either a line of the text or (compressed forms) the stream.
void check_error(const std::string& err, const std::string& path, const std::string& text, bool compressed) {
  PC_FUZZ_CHECK(pc::fuzz::starts_with(err, path + ":"), "error without the path: {}", err);
  const std::string rest = err.substr(path.size() + 1);
  size_t digits = 0;
  while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
  if (digits == 0) {
    PC_FUZZ_CHECK(compressed, "plain-text error without a line number: {}", err);
    return;
  }
  PC_FUZZ_CHECK(digits < rest.size() && rest[digits] == ':', "line number not followed by ':': {}", err);
  size_t lines = 1;
  for (char c : text) lines += c == '\n';
  const unsigned long long line = std::stoull(rest.substr(0, digits));
  PC_FUZZ_CHECK(line >= 1 && line <= lines, "error names line {} of a {}-line text: {}", line, lines, err);
  PC_FUZZ_CHECK(err.find(", expected '") != std::string::npos, "line error without the expected form: {}",
                err);
}

std::string g_plain, g_gz, g_xz;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  g_plain = pc::fuzz::scratch_path("trace.lackey");
  g_gz = pc::fuzz::scratch_path("trace.lackey.gz");
  g_xz = pc::fuzz::scratch_path("trace.lackey.xz");
  std::atexit([] {
    std::remove(g_plain.c_str());
    std::remove(g_gz.c_str());
    std::remove(g_xz.c_str());
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (g_plain.empty()) LLVMFuzzerInitialize(nullptr, nullptr);
  pc::fuzz::Cursor in(data, size);
  const unsigned form = in.u8() % 5;
  const std::string body(in.rest());

  if (form >= 3) {  // arbitrary bytes behind a compressed suffix: a clean TraceError or a trace
    const std::string& path = form == 3 ? g_gz : g_xz;
    pc::fuzz::write_file(path, body.data(), body.size());
    const Outcome o = read_all(path);
    if (!o.ok)
      PC_FUZZ_CHECK(pc::fuzz::starts_with(o.error, path + ":"), "error without the path: {}", o.error);
    return 0;
  }

  pc::fuzz::write_file(g_plain, body.data(), body.size());
  const Outcome plain = read_all(g_plain);
  if (form != 0) {
    const std::string& path = form == 1 ? g_gz : g_xz;
    const std::string packed = form == 1 ? gzip(body) : xz(body);
    pc::fuzz::write_file(path, packed.data(), packed.size());
    const Outcome o = read_all(path);
    PC_FUZZ_CHECK(o.ok == plain.ok, "{} form {} but plain text {}: {}{}", path,
                  o.ok ? "accepted" : "rejected", plain.ok ? "accepted" : "rejected", o.error, plain.error);
    PC_FUZZ_CHECK(o.ops.size() == plain.ops.size() && o.lines == plain.lines, "{} gives {} ops, plain {}",
                  path, o.ops.size(), plain.ops.size());
    if (!o.ok)
      PC_FUZZ_CHECK(o.error.substr(path.size()) == plain.error.substr(g_plain.size()),
                    "compressed and plain errors differ: '{}' vs '{}'", o.error, plain.error);
  }
  if (!plain.ok) {
    check_error(plain.error, g_plain, body, false);
    return 0;
  }
  // Every op is a record of at most kMaxAccessBytes; one record each reads back to the same ops.
  std::string again;
  for (size_t i = 0; i < plain.ops.size(); ++i) {
    const auto& op = plain.ops[i];
    PC_FUZZ_CHECK(op.size >= 1 && op.size <= pc::hw::kMaxAccessBytes, "op {} has size {}", i, op.size);
    PC_FUZZ_CHECK(i == 0 || plain.lines[i] >= plain.lines[i - 1], "line numbers go back at op {}", i);
    PC_FUZZ_CHECK(op.vaddr + (op.size - 1u) >= op.vaddr, "op {} wraps the address space", i);
    again += fmt::format("{} {:x},{}\n", letter(op.kind), op.vaddr, op.size);
  }
  pc::fuzz::write_file(g_plain, again.data(), again.size());
  const Outcome back = read_all(g_plain);
  PC_FUZZ_CHECK(back.ok, "re-serialised trace rejected: {}", back.error);
  PC_FUZZ_CHECK(back.ops.size() == plain.ops.size(), "{} ops read back as {}", plain.ops.size(),
                back.ops.size());
  for (size_t i = 0; i < back.ops.size(); ++i) {
    const auto &a = plain.ops[i], &b = back.ops[i];
    PC_FUZZ_CHECK(a.kind == b.kind && a.vaddr == b.vaddr && a.size == b.size,
                  "op {} changed in the round trip", i);
    PC_FUZZ_CHECK(back.lines[i] == i + 1, "op {} read back from line {}", i, back.lines[i]);
  }
  return 0;
}
