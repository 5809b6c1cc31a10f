// Scenario processes on the modeled kernel.
#include "testbench/scenario.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "platform/hwdefs/paging.h"
#include "testbench/workload/lackey.h"
#include "testbench/workload/patterns.h"
#include "testbench/workload/rng.h"
#include "testbench/workload_context.h"

namespace pc::tb {
namespace {

// Linux mmap constants (the kernel's ABI).
constexpr uint64_t kProtRead = 1, kProtWrite = 2, kProtExec = 4;
constexpr uint64_t kMapShared = 0x01, kMapPrivate = 0x02, kMapFixed = 0x10, kMapAnonymous = 0x20;
constexpr uint64_t kMsAsync = 1, kMsSync = 4;

uint64_t prot_bits(const std::string& p) {
  if (p == "none") return 0;
  return ((p.find('r') != std::string::npos) ? kProtRead : 0) |
         ((p.find('w') != std::string::npos) ? kProtWrite : 0) |
         ((p.find('x') != std::string::npos) ? kProtExec : 0);
}

void copy_store(const mem::BackingStore& from, uint64_t from_addr, mem::BackingStore& to, uint64_t to_addr,
                uint64_t len) {
  uint8_t buf[4096];
  while (len) {
    const uint64_t n = std::min<uint64_t>(len, sizeof buf);
    from.read(from_addr, buf, n);
    to.write(to_addr, buf, n);
    from_addr += n;
    to_addr += n;
    len -= n;
  }
}

}  // namespace

uint8_t scenario_file_byte(uint32_t file, uint64_t offset) {
  return static_cast<uint8_t>(mix64((uint64_t{file + 1} << 48) ^ (offset & ~7ull)) >> (8 * (offset & 7)));
}

int ScenarioShared::program_index(const std::string& name) const {
  for (size_t i = 0; i < cfg->programs.size(); ++i)
    if (cfg->programs[i].name == name) return static_cast<int>(i);
  return -1;
}

int ScenarioShared::file_index(const std::string& name) const {
  for (size_t i = 0; i < cfg->files.size(); ++i)
    if (cfg->files[i].name == name) return static_cast<int>(i);
  return -1;
}

ProgramContext::ProgramContext(ScenarioShared& shared, size_t program, uint64_t seed)
    : m_sh(shared), m_prog(program), m_seed(seed), m_id(shared.next_id++) {
  if (m_sh.data_check) {
    m_checker = std::make_unique<DataChecker>(m_id, m_sh.totals);
    m_shadow = DataChecker::new_shadow();
  }
}

void ProgramContext::fail(const std::string& what) {
  m_sh.errors.push_back(fmt::format("program '{}' (context {}), step {}: {}", m_sh.cfg->programs[m_prog].name,
                                    m_id, m_step, what));
  m_ended = true;
}

void ProgramContext::syscall(hw::Syscall nr, std::initializer_list<uint64_t> args, Pending kind) {
  m_op = hw::Op{};
  m_op.kind = hw::OpKind::Syscall;
  m_op.nr = nr;
  size_t i = 0;
  for (uint64_t a : args) m_op.args[i++] = a;
  m_pending = kind;
}

const ProgramContext::Mapping* ProgramContext::mapping_of(uint64_t va) const {
  for (const auto& [n, m] : m_maps)
    if (va >= m.addr && va < m.addr + m.len) return &m;
  return nullptr;
}

void ProgramContext::prepare_trace(const std::string& path) {
  // Pre-scan: every 4 KiB page the trace touches, coalesced into ranges the process maps first.
  std::set<uint64_t> pages;
  LackeyReader r(path);
  hw::Op op;
  while (r.next(op)) {
    pages.insert(op.vaddr >> 12);
    pages.insert((op.vaddr + op.size - 1) >> 12);
  }
  for (uint64_t p : pages) {
    if (!m_trace_ranges.empty() && m_trace_ranges.back().second == (p << 12))
      m_trace_ranges.back().second += 4096;
    else
      m_trace_ranges.emplace_back(p << 12, (p + 1) << 12);
  }
}

bool ProgramContext::begin_step() {
  const auto& steps = m_sh.cfg->programs[m_prog].steps;
  while (!m_ended && m_step < steps.size()) {
    const StepConfig& s = steps[m_step];
    auto need_map = [&](const std::string& name) -> Mapping* {
      auto it = m_maps.find(name);
      if (it == m_maps.end()) {
        fail(fmt::format("{} of unknown mapping '{}'", s.op, name));
        return nullptr;
      }
      return &it->second;
    };
    if (s.op == "mmap") {
      uint64_t flags = 0, fd = ~0ull;
      if (s.kind == "file") {
        const int f = m_sh.file_index(s.file);
        if (f < 0) {
          fail(fmt::format("mmap of unknown file '{}'", s.file));
          return false;
        }
        fd = m_sh.file_ids[f];
        flags = s.shared ? kMapShared : kMapPrivate;
      } else {
        flags = kMapAnonymous | (s.kind == "shared-anon" ? kMapShared : kMapPrivate);
      }
      syscall(hw::Syscall::Mmap, {0, s.size_kib * 1024, prot_bits(s.prot), flags, fd, s.offset_kib / 4},
              Pending::Mmap);
      return true;
    }
    if (s.op == "munmap" || s.op == "mprotect") {
      Mapping* m = need_map(s.mapping);
      if (!m) return false;
      if (s.op == "munmap")
        syscall(hw::Syscall::Munmap, {m->addr, m->len}, Pending::Munmap);
      else
        syscall(hw::Syscall::Mprotect, {m->addr, m->len, prot_bits(s.prot)}, Pending::Other);
      return true;
    }
    if (s.op == "read" || s.op == "write") {
      Mapping* m = need_map(s.mapping);
      const int f = m_sh.file_index(s.file);
      if (!m) return false;
      if (f < 0) {
        fail(fmt::format("{} of unknown file '{}'", s.op, s.file));
        return false;
      }
      const bool rd = s.op == "read";
      syscall(rd ? hw::Syscall::Read : hw::Syscall::Write,
              {m_sh.file_ids[f], m->addr, std::min(s.size_kib * 1024, m->len), s.offset_kib * 1024},
              rd ? Pending::Read : Pending::Write);
      return true;
    }
    if (s.op == "msync") {
      Mapping* m = need_map(s.mapping);
      if (!m) return false;
      const uint64_t off = s.offset_kib * 1024;
      if (off >= m->len) {
        fail(fmt::format("msync: offset_kib {} is not inside mapping '{}' ({} KiB)", s.offset_kib, s.mapping,
                         m->len / 1024));
        return false;
      }
      syscall(
          hw::Syscall::Msync,
          {m->addr + off, std::min(s.size_kib * 1024, m->len - off), s.flags == "async" ? kMsAsync : kMsSync},
          Pending::Other);
      return true;
    }
    if (s.op == "fsync") {
      const int f = m_sh.file_index(s.file);
      if (f < 0) {
        fail(fmt::format("fsync of unknown file '{}'", s.file));
        return false;
      }
      syscall(hw::Syscall::Fsync, {m_sh.file_ids[f]}, Pending::Other);
      return true;
    }
    if (s.op == "fork" || s.op == "thread") {
      const int p = m_sh.program_index(s.program);
      if (p < 0) {
        fail(fmt::format("{} of unknown program '{}'", s.op, s.program));
        return false;
      }
      syscall(s.op == "fork" ? hw::Syscall::Fork : hw::Syscall::Clone, {static_cast<uint64_t>(p)},
              Pending::Other);
      return true;
    }
    if (s.op == "swapon" || s.op == "swapoff") {
      // The result is not checked: a refused swapoff (not enough memory) is a legitimate outcome the
      // kernel logs and counts.
      syscall(s.op == "swapon" ? hw::Syscall::Swapon : hw::Syscall::Swapoff, {s.area}, Pending::Other);
      return true;
    }
    if (s.op == "lookup") {
      uint64_t file = 0;  // a scenario file's kernel id + 1, or 0 for the numbered names
      if (!s.file.empty()) {
        const int f = m_sh.file_index(s.file);
        if (f < 0) {
          fail(fmt::format("lookup of unknown file '{}'", s.file));
          return false;
        }
        file = m_sh.file_ids[f] + 1;
      }
      syscall(s.open ? hw::Syscall::Open : hw::Syscall::Stat, {s.first + m_lookup, file}, Pending::Lookup);
      return true;
    }
    if (s.op == "yield" || s.op == "exit") {
      syscall(s.op == "yield" ? hw::Syscall::Yield : hw::Syscall::Exit, {0}, Pending::Other);
      return true;
    }
    if (s.op == "compute") {
      m_op = hw::Op{};
      m_op.kind = hw::OpKind::Compute;
      m_op.cycles = s.cycles;
      m_pending = Pending::Other;
      return true;
    }
    // access and trace: memory operations from a stream.
    if (!m_stream) {
      if (s.op == "access") {
        Mapping* m = need_map(s.mapping);
        if (!m) return false;
        PatternConfig pc = s.pattern;
        pc.footprint_kib = std::min(pc.footprint_kib, m->len / 1024);
        m_stream = make_pattern_stream(pc, m->addr, mix64(m_seed ^ (m_step * 0x9e3779b97f4a7c15ull)));
      } else {  // trace
        if (m_trace_ranges.empty()) prepare_trace(s.trace);
        m_stream = std::make_unique<LineSplitStream>(std::make_unique<LackeyReader>(s.trace));
      }
    }
    if (s.op == "trace" && !m_trace_ranges.empty()) {
      const auto [lo, hi] = m_trace_ranges.front();
      syscall(hw::Syscall::Mmap,
              {lo, hi - lo, kProtRead | kProtWrite | kProtExec, kMapPrivate | kMapAnonymous | kMapFixed,
               ~0ull, 0},
              Pending::Mmap);
      return true;
    }
    m_op = hw::Op{};
    if (m_stream->next(m_op)) {
      m_pending = Pending::Memory;
      if (m_op.kind == hw::OpKind::Write) {
        if (m_checker)
          m_checker->make_write(m_op.vaddr, m_op.size, m_wbuf);
        else
          std::memset(m_wbuf, static_cast<int>(m_op.vaddr), m_op.size);
        m_op.wdata = m_wbuf;
      }
      return true;
    }
    m_stream.reset();
    ++m_step;
  }
  return false;
}

const hw::Op* ProgramContext::current() {
  if (m_valid) return &m_op;
  if (m_ended) return nullptr;
  try {
    if (!begin_step()) {
      m_ended = true;
      return nullptr;
    }
  } catch (const std::exception& e) {  // a malformed trace: the process ends and the run reports it
    fail(e.what());
    return nullptr;
  }
  m_valid = true;
  return &m_op;
}

void ProgramContext::retire(const uint8_t* rdata, hw::AccessStatus status) {
  m_valid = false;
  const Pending kind = m_pending;
  m_pending = Pending::None;
  if (kind == Pending::Memory) {
    if (!m_checker) return;
    if (status != hw::AccessStatus::Ok) {
      m_checker->bus_error();
      return;
    }
    const Mapping* m = mapping_of(m_op.vaddr);
    mem::BackingStore& shadow = (m && m->shared_shadow) ? *m->shared_shadow : *m_shadow;
    const uint64_t key = (m && m->shared_shadow) ? m->shared_base + (m_op.vaddr - m->addr) : m_op.vaddr;
    if (m_op.kind == hw::OpKind::Write)
      DataChecker::record(shadow, key, m_wbuf, m_op.size);
    else
      m_checker->verify(shadow, key, m_op.vaddr, rdata, m_op.size);
    return;
  }
  if (kind == Pending::None) return;
  const StepConfig& s = m_sh.cfg->programs[m_prog].steps[m_step];
  int64_t ret = 0;
  if (m_op.kind == hw::OpKind::Syscall && rdata) std::memcpy(&ret, rdata, sizeof ret);
  if (ret < 0) {
    fail(fmt::format("{} failed with errno {}", s.op, -ret));
    return;
  }
  switch (kind) {
    case Pending::Mmap: {
      const uint64_t addr = static_cast<uint64_t>(ret);
      if (s.op == "trace") {
        const uint64_t len = m_trace_ranges.front().second - m_trace_ranges.front().first;
        if (m_shadow) m_shadow->discard(addr, len);
        m_trace_ranges.erase(m_trace_ranges.begin());
        return;  // the step goes on with the next range, then the accesses
      }
      Mapping m;
      m.addr = addr;
      m.len = (s.size_kib * 1024 + 4095) & ~4095ull;
      if (s.kind == "file") {
        m.file = m_sh.file_index(s.file);
        m.file_off = s.offset_kib * 1024;
      }
      if (m_checker) {
        if (s.kind == "shared-anon") {
          m.shared_shadow = std::make_shared<mem::BackingStore>(m.len);
        } else if (s.kind == "file" && s.shared) {
          m.shared_shadow = m_sh.file_shadows[m.file];
          m.shared_base = m.file_off;
        } else if (s.kind == "file") {
          // A private file mapping starts with the file's current content (copied at first touch).
          const auto& fs = *m_sh.file_shadows[m.file];
          const uint64_t n = m.file_off < fs.size() ? std::min(m.len, fs.size() - m.file_off) : 0;
          m_shadow->discard(addr, m.len);
          copy_store(fs, m.file_off, *m_shadow, addr, n);
        } else {
          m_shadow->discard(addr, m.len);
        }
      }
      m_maps[s.mapping] = std::move(m);
      break;
    }
    case Pending::Munmap:
      if (m_shadow) m_shadow->discard(m_maps[s.mapping].addr, m_maps[s.mapping].len);
      m_maps.erase(s.mapping);
      break;
    case Pending::Read:
      if (m_checker && ret > 0) {
        // The kernel copied file bytes into the buffer: the buffer's shadow now holds them.
        const Mapping& m = m_maps[s.mapping];
        const auto& fs = *m_sh.file_shadows[m_sh.file_index(s.file)];
        mem::BackingStore& to = m.shared_shadow ? *m.shared_shadow : *m_shadow;
        copy_store(fs, s.offset_kib * 1024, to, m.shared_shadow ? m.shared_base : m.addr,
                   static_cast<uint64_t>(ret));
      }
      break;
    case Pending::Write:
      if (m_checker && ret > 0) {
        // The file now holds the buffer's bytes: every later reader of the file must see them.
        const Mapping& m = m_maps[s.mapping];
        const mem::BackingStore& from = m.shared_shadow ? *m.shared_shadow : *m_shadow;
        copy_store(from, m.shared_shadow ? m.shared_base : m.addr,
                   *m_sh.file_shadows[m_sh.file_index(s.file)], s.offset_kib * 1024,
                   static_cast<uint64_t>(ret));
      }
      break;
    case Pending::Lookup:
      if (++m_lookup < s.files) return;  // the step goes on with the next name
      m_lookup = 0;
      break;
    default:
      break;
  }
  ++m_step;
}

std::unique_ptr<hw::ExecContext> ProgramContext::fork_child(uint64_t program, bool share_vm) {
  if (program >= m_sh.cfg->programs.size()) return nullptr;
  auto c = std::make_unique<ProgramContext>(m_sh, program, mix64(m_seed + ++m_children));
  c->m_maps = m_maps;  // the child inherits every mapping; shared ones keep sharing their shadow
  // A forked child gets a copy of private memory; a thread shares it (the same address space). A thread
  // sees the mappings that existed when it was created, and its own.
  if (m_shadow) c->m_shadow = share_vm ? m_shadow : std::shared_ptr<mem::BackingStore>(m_shadow->clone());
  return c;
}

}  // namespace pc::tb
