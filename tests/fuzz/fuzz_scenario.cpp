// The scenario section (workload.scenario: files, programs, processes) and the interpreter that turns a
// program into a process's operations (testbench/scenario). Input: the section as JSON.
// Contract: the section is either rejected with a cfg::ConfigError naming the file, or it round-trips
// through its JSON encoding; then every process (and every child it forks) runs against a stand-in
// kernel that answers system calls as kernel_model does (mmap addresses, pread/pwrite lengths clipped at
// the end of the file, fork of a program index): each memory operation falls inside a range the process
// has mapped, and a step that cannot run is recorded as "program '<name>' (context N), step K: ..." with
// K a step of that program; nothing else escapes. (Data checking is left to the sim tests, which run the
// interpreter on the real kernel.)
#include <algorithm>
#include <deque>
#include <map>

#include "platform/core/config.h"
#include "testbench/scenario.h"
#include "tests/fuzz/fuzz_common.h"

using pc::cfg::ConfigError;
using pc::hw::Op;
using pc::hw::OpKind;
using pc::hw::Syscall;

namespace {

constexpr uint64_t kMapFixed = 0x10, kMapAnonymous = 0x20;
constexpr int64_t kEINVAL = 22, kEBADF = 9;
constexpr size_t kOpBudget = 4096;  // operations per input: an access step may ask for 2^40
constexpr size_t kMaxTasks = 64;

std::string g_trace;  // the lackey file every trace step replays (the input cannot name host files)

struct Task {
  std::unique_ptr<pc::hw::ExecContext> ctx;
  std::map<uint64_t, uint64_t> maps;  // start -> end of what the process has mapped
  uint64_t next_addr = 0x10000000;
};

bool inside(const std::map<uint64_t, uint64_t>& m, uint64_t a, uint64_t len) {
  auto it = m.upper_bound(a);
  if (it == m.begin()) return false;
  --it;
  return a >= it->first && a + len <= it->second;
}

void unmap(std::map<uint64_t, uint64_t>& m, uint64_t lo, uint64_t hi) {
  std::map<uint64_t, uint64_t> out;
  for (const auto& [s, e] : m) {
    if (e <= lo || s >= hi) {
      out.emplace(s, e);
      continue;
    }
    if (s < lo) out.emplace(s, lo);
    if (e > hi) out.emplace(hi, e);
  }
  m.swap(out);
}

int64_t answer(Task& t, const Op& op, const pc::tb::ScenarioConfig& sc, std::deque<Task>& tasks) {
  const uint64_t* a = op.args;
  switch (op.nr) {
    case Syscall::Mmap: {
      if (!(a[3] & kMapAnonymous) && a[4] >= sc.files.size()) return -kEBADF;
      const uint64_t len = (a[1] + 4095) & ~4095ull;
      if (len == 0) return -kEINVAL;
      uint64_t addr = a[0];
      if (!(a[3] & kMapFixed)) {
        addr = t.next_addr;
        t.next_addr += len + 4096;
      }
      unmap(t.maps, addr, addr + len);
      t.maps.emplace(addr, addr + len);
      return static_cast<int64_t>(addr);
    }
    case Syscall::Munmap:
      unmap(t.maps, a[0], a[0] + ((a[1] + 4095) & ~4095ull));
      return 0;
    case Syscall::Read:
    case Syscall::Write: {
      if (a[0] >= sc.files.size()) return -kEBADF;
      const uint64_t size = ((sc.files[a[0]].size_kib + 3) / 4) * 4096;
      return a[3] >= size ? 0 : static_cast<int64_t>(std::min(a[2], size - a[3]));
    }
    case Syscall::Fork: {
      auto child = t.ctx->fork_child(a[0]);
      if (!child) return -kEINVAL;
      if (tasks.size() >= kMaxTasks) return -kEINVAL;
      Task c;
      c.ctx = std::move(child);
      c.maps = t.maps;
      c.next_addr = t.next_addr;
      tasks.push_back(std::move(c));
      return static_cast<int64_t>(tasks.size());
    }
    default:
      return 0;
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  g_trace = pc::fuzz::scratch_path("scenario.lackey");
  const char text[] = "I  00400000,4\n L 7ff000010,8\n S 7ff000ff8,16\n M 00601000,4\n";
  pc::fuzz::write_file(g_trace, text, sizeof text - 1);
  std::atexit([] { std::remove(g_trace.c_str()); });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (g_trace.empty()) LLVMFuzzerInitialize(nullptr, nullptr);
  const std::string text(reinterpret_cast<const char*>(data), size);
  pc::tb::ScenarioConfig sc;
  auto describe = [&](pc::cfg::Visitor& v) { sc.describe(v); };
  try {
    pc::cfg::decode(pc::cfg::parse_json_text(text, "scenario.json"), "scenario.json", describe);
  } catch (const ConfigError& e) {
    PC_FUZZ_CHECK(pc::fuzz::starts_with(e.what(), "scenario.json:"), "error without the source: {}",
                  e.what());
    return 0;
  } catch (const std::exception& e) {
    pc::fuzz::violation("not a ConfigError ({}): {}", typeid(e).name(), e.what());
  }
  const std::string enc = pc::cfg::encode(describe).dump();
  {
    pc::tb::ScenarioConfig again;
    auto d2 = [&](pc::cfg::Visitor& v) { again.describe(v); };
    try {
      pc::cfg::decode(pc::cfg::parse_json_text(enc, "encoded.json"), "encoded.json", d2);
    } catch (const std::exception& e) {
      pc::fuzz::violation("the encoded scenario does not load again: {}\n{}", e.what(), enc);
    }
    PC_FUZZ_CHECK(pc::cfg::encode(d2).dump() == enc, "the scenario changed in a round trip: {}", enc);
  }

  // Run it. Trace steps replay the harness's own lackey file, or a missing one ("missing" in the name).
  for (auto& p : sc.programs)
    for (auto& s : p.steps)
      if (s.op == "trace")
        s.trace = s.trace.find("missing") != std::string::npos ? g_trace + ".missing" : g_trace;
  pc::tb::ScenarioShared sh;
  sh.cfg = &sc;
  for (size_t i = 0; i < sc.files.size(); ++i) sh.file_ids.push_back(i);
  std::deque<Task> tasks;
  for (size_t i = 0; i < sc.processes.size() && tasks.size() < kMaxTasks; ++i) {
    const int prog = sh.program_index(sc.processes[i].program);
    if (prog < 0) continue;  // the SoC rejects it with a ConfigError before anything runs
    tasks.push_back(
        {std::make_unique<pc::tb::ProgramContext>(sh, static_cast<size_t>(prog), i + 1), {}, 0x10000000});
  }
  size_t ops = 0;
  std::vector<bool> done(kMaxTasks, false);
  for (bool any = true; any && ops < kOpBudget;) {
    any = false;
    for (size_t i = 0; i < tasks.size() && ops < kOpBudget; ++i) {  // round robin, one op each
      if (done[i]) continue;
      Task& t = tasks[i];
      const Op* op = t.ctx->current();
      if (!op) {
        done[i] = true;
        continue;
      }
      any = true;
      ++ops;
      if (op->kind == OpKind::Syscall) {
        if (op->nr == Syscall::Exit) {
          t.ctx->retire(nullptr, pc::hw::AccessStatus::Ok);
          done[i] = true;
          continue;
        }
        const int64_t ret = answer(t, *op, sc, tasks);
        t.ctx->retire(reinterpret_cast<const uint8_t*>(&ret), pc::hw::AccessStatus::Ok);
      } else if (op->kind == OpKind::Compute) {
        t.ctx->retire(nullptr, pc::hw::AccessStatus::Ok);
      } else {
        PC_FUZZ_CHECK(op->size >= 1 && op->size <= pc::hw::kMaxAccessBytes, "access of {} bytes", op->size);
        PC_FUZZ_CHECK(inside(t.maps, op->vaddr, op->size), "context {}: access {:#x}+{} outside its mappings",
                      t.ctx->id(), op->vaddr, op->size);
        PC_FUZZ_CHECK(op->kind != OpKind::Write || op->wdata, "write without data");
        uint8_t rdata[pc::hw::kMaxAccessBytes] = {};
        t.ctx->retire(rdata, pc::hw::AccessStatus::Ok);
      }
    }
  }
  for (const auto& e : sh.errors) {
    // "program 'NAME' (context N), step K: what", K a step of a program called NAME (names may repeat).
    bool named = false;
    for (const auto& p : sc.programs) {
      const std::string prefix = "program '" + p.name + "' (context ";
      if (!pc::fuzz::starts_with(e, prefix)) continue;
      const auto st = e.find("), step ", prefix.size());
      if (st == std::string::npos) continue;
      named = named || std::stoul(e.substr(st + 8)) < p.steps.size();
    }
    PC_FUZZ_CHECK(named, "step error names no step of a program: {}", e);
  }
  return 0;
}
