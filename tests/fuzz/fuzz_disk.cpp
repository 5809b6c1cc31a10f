// Device contract of the disk controller (models/disk/disk_controller, platform/hwdefs/disk_regs.h),
// driven by a fuzzed driver inside a small elaborated platform: memory, router, controller, and a watcher
// on the controller's DMA path. SystemC elaborates once per process, so each input is a further stretch of
// simulated time: the driver runs the input's actions, drains the controller (every issued command must
// complete within a bounded simulated time), checks, and resets the controller through its registers
// (CS/ERR/IS cleared, IE and CLB zeroed; the harness wipes memory and the drive's content, so each input
// replays alone).
//
// Input: byte 0 picks the rig (even: HDD, 31 slots, 64-byte DMA bursts; odd: SSD, 32 slots, 512-byte
// bursts); then actions of a kind byte and operands (see Driver::act). Addresses come from a 16-bit
// operand in units of 4 bytes inside the 256 KiB of memory, or, by a selector, just past the end of
// memory, inside the controller's own register window (a DMA fault, like any non-memory address), or near
// 2^64.
//
// Checked:
//  - every DMA write lies in a buffer a descriptor names (a read command's PRD entry) or in the
//    status/bytes_done field of a command header, as seen at any point of the input (the watcher);
//  - every accepted CI bit completes (the controller's completion count grows by the issued count) and
//    the controller is idle again (CI = 0) within the drain bound: no hang;
//  - a command whose descriptors stayed untouched from its issue to the end of the input completes with
//    the status a reference reading of disk_regs.h gives (ok, LBA range, bad descriptor, DMA fault), in
//    its slot status register, its header's status and bytes_done, and ERR;
//  - the interrupt line equals (IS & IE) != 0 after every action (within 5 us); slot statuses are valid;
//  - at exit the simulation stops cleanly.
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <cstring>
#include <systemc>
#include <tlm>
#include <vector>

#include "models/disk/disk_controller.h"
#include "models/interconnect/router.h"
#include "models/mem/fixed_memory.h"
#include "platform/core/clock.h"
#include "tests/fuzz/fuzz_common.h"

namespace {

using namespace pc;
namespace hd = pc::hw::disk;
using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;
__extension__ typedef unsigned __int128 U128;

constexpr uint64_t kMemBytes = 256 << 10;
constexpr uint64_t kRegs = hw::kDiskCtrlBase;
constexpr double kDrainBoundSec = 5;  // 32 commands of the tiny drives take well under 1 s

struct Range {
  uint64_t lo;
  U128 hi;  // exclusive; 128 bits so that a buffer ending at 2^64 is representable
  PC_FUZZ_NO_COVERAGE bool covers(uint64_t a, uint64_t n) const { return a >= lo && U128{a} + n <= hi; }
  PC_FUZZ_NO_COVERAGE bool overlaps(uint64_t a, uint64_t n) const { return U128{a} + n > lo && U128{a} < hi; }
};

// PC_FUZZ_TRACE=1 prints every action and register write of the driver (for reading a crash input).
const bool g_trace = std::getenv("PC_FUZZ_TRACE") != nullptr;
template <class... A>
void note(fmt::format_string<A...> f, A&&... args) {
  if (g_trace)
    std::fprintf(stderr, "[%s] %s\n", sc_core::sc_time_stamp().to_string().c_str(),
                 fmt::format(f, std::forward<A>(args)...).c_str());
}

enum class Where { Dram, Fault };
// How a DMA transfer of [a, a+n) ends: all in memory, or a fault somewhere (outside memory, or in the
// device window: the DMA engine never reaches registers).
PC_FUZZ_NO_COVERAGE Where classify(uint64_t a, uint64_t n) {
  return U128{a} + n <= kMemBytes ? Where::Dram : Where::Fault;
}

// Watches the controller's DMA on its way to the router: every write must be allowed.
struct Watcher : sc_core::sc_module {
  tlm_utils::simple_target_socket<Watcher> tsock{"tsock"};
  tlm_utils::simple_initiator_socket<Watcher> isock{"isock"};
  std::vector<Range> allowed;
  std::vector<Range> data;         // the read buffers among them (they may cover a header's status field)
  std::vector<Range> descriptors;  // headers and PRD tables of the last snapshot (a write there re-snapshots)
  std::function<void(uint64_t, uint64_t)> on_write;  // the harness: snapshot, mark commands dirty
  uint64_t writes = 0;

  explicit Watcher(sc_core::sc_module_name n) : sc_module(n) {
    tsock.register_b_transport(this, &Watcher::b_transport);
  }

  PC_FUZZ_NO_COVERAGE void b_transport(tlm::tlm_generic_payload& gp, sc_time& delay) {
    const uint64_t a = gp.get_address(), n = gp.get_data_length();
    if (gp.is_write()) {
      ++writes;
      note("DMA write {:#x}+{}", a, n);
      bool ok = false;
      for (const auto& r : allowed) ok = ok || r.covers(a, n);
      PC_FUZZ_CHECK(ok, "DMA write of {} bytes at {:#x} outside every buffer the descriptors name", n, a);
    }
    isock->b_transport(gp, delay);
    if (gp.is_write() && gp.is_response_ok() && on_write) on_write(a, n);
  }
};

struct Rig {
  Rig(const char* name, const disk::DiskConfig& dc)
      : root(nullptr, name),
        store(kMemBytes),
        memory((std::string(name) + "_mem").c_str(), mem::FixedMemConfig{}, store, root),
        router((std::string(name) + "_router").c_str(), hw::physical_address_map(kMemBytes, true),
               SC_ZERO_TIME, root),
        watcher((std::string(name) + "_watch").c_str()),
        ctrl((std::string(name) + "_disk").c_str(), dc, root),
        irq((std::string(name) + "_irq").c_str()),
        slots(static_cast<unsigned>(dc.controller.queue_depth)) {
    router.isock.bind(memory.tsock);
    router.isock.bind(ctrl.tsock);
    ctrl.dma_isock.bind(watcher.tsock);
    watcher.isock.bind(router.tsock);
    ctrl.irq_out.bind(irq);
  }
  stats::Group root;
  mem::BackingStore store;
  mem::FixedMemory memory;
  interconnect::Router router;
  Watcher watcher;
  disk::DiskController ctrl;
  sc_core::sc_signal<bool> irq;
  unsigned slots;
};

disk::DiskConfig hdd_config() {
  disk::DiskConfig c;
  c.media = "hdd";
  c.hdd.zones = {{48, 40}, {16, 32}};  // 2 zones, 2 heads: 48*2*40 + 16*2*32 = 4864 sectors
  c.hdd.heads = 2;
  c.hdd.knee_cyl = 32;
  c.hdd.read_ahead_kib = 16;
  // A fast spindle and short strokes: simulated time is finite (2^64 fs, 5.1 hours) and one process runs
  // millions of inputs, so each may use a few milliseconds on average.
  c.hdd.rpm = 15000;
  c.hdd.single_cyl_ms = 0.1;
  c.hdd.knee_ms = 0.8;
  c.hdd.full_stroke_ms = 1.5;
  c.hdd.head_switch_ms = 0.1;
  c.controller.queue_depth = 31;
  c.controller.dma_burst_bytes = 64;
  c.controller.link_mbps = 300;
  return c;
}

disk::DiskConfig ssd_config() {
  disk::DiskConfig c;
  c.media = "ssd";
  auto& s = c.ssd;
  s.channels = 2;
  s.dies_per_channel = 2;
  s.planes_per_die = 1;
  s.blocks_per_plane = 16;
  s.pages_per_block = 8;
  s.page_bytes = 4096;
  s.overprovision = 0.25;
  s.gc_threshold = 0.1;
  c.controller.queue_depth = 32;
  c.controller.dma_burst_bytes = 512;
  return c;
}

// The fuzzed driver: an initiator on the router, like the kernel's bus.
struct Driver : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Driver> isock{"isock"};
  Rig& rig;
  const uint8_t* data = nullptr;
  size_t size = 0;
  bool done = false;

  // What the reference expects of a command issued with untouched descriptors.
  struct Expect {
    bool valid = false, dirty = false;
    bool check_cs = false, check_err = false;  // the bit holds this completion alone
    uint32_t status = 0, bytes_done = 0;
    uint64_t clb = 0, header = 0;  // the list and header the command was issued from
    std::vector<Range> ranges;     // header (24 bytes before the status) and PRD table
  };
  Expect expect[hd::kSlots];
  // Completions that may have set each slot's CS / ERR bit since it was last cleared.
  unsigned since_cs[hd::kSlots] = {}, since_err[hd::kSlots] = {};
  std::vector<uint64_t> clbs;  // every command-list base this input programmed
  uint64_t issued = 0;
  uint64_t inputs = 0;
  sc_time local = SC_ZERO_TIME;

  Driver(sc_core::sc_module_name n, Rig& r) : sc_module(n), rig(r) {
    isock.bind(r.router.tsock);
    SC_THREAD(main);
    r.watcher.on_write = [this](uint64_t a, uint64_t len) { memory_changed(a, len, false); };
  }
  SC_HAS_PROCESS(Driver);

  // A register read that takes no simulated time (debug transport): for the harness's own checks.
  uint32_t peek(uint32_t off) { return read_reg(off, false); }
  // A timed register read, as the driver's code would do it.
  uint32_t reg(uint32_t off) { return read_reg(off, true); }
  uint32_t read_reg(uint32_t off, bool timed) {
    uint32_t v = 0;
    tlm::tlm_generic_payload gp;
    gp.set_command(tlm::TLM_READ_COMMAND);
    gp.set_address(kRegs + off);
    gp.set_data_ptr(reinterpret_cast<unsigned char*>(&v));
    gp.set_data_length(4);
    gp.set_streaming_width(4);
    if (!timed) {
      PC_FUZZ_CHECK(isock->transport_dbg(gp) == 4, "debug read of register {:#x} failed", off);
      return v;
    }
    isock->b_transport(gp, local);
    PC_FUZZ_CHECK(gp.is_response_ok(), "register read {:#x} failed", off);
    sync();
    return v;
  }
  tlm::tlm_response_status raw_write(uint64_t addr, uint32_t v, unsigned len) {
    tlm::tlm_generic_payload gp;
    gp.set_command(tlm::TLM_WRITE_COMMAND);
    gp.set_address(addr);
    gp.set_data_ptr(reinterpret_cast<unsigned char*>(&v));
    gp.set_data_length(len);
    gp.set_streaming_width(len);
    isock->b_transport(gp, local);
    sync();
    return gp.get_response_status();
  }
  void set_reg(uint32_t off, uint32_t v) {
    note("write reg {:#x} = {:#x}", off, v);
    if (off == hd::kRegCi) issue(v);
    if (off == hd::kRegClbLo || off == hd::kRegClbHi) {
      // Known before the write takes effect: the controller may fetch from the new list at once.
      const uint64_t old = clb();
      const uint64_t c =
          off == hd::kRegClbLo ? (old & ~0xffffffffull) | v : (old & 0xffffffffull) | (uint64_t{v} << 32);
      add_clb(c);
      for (auto& e : expect) e.dirty = true;  // a pending command's list moved
      snapshot();
    }
    if (off == hd::kRegCs || off == hd::kRegErr) {
      // A slot still in flight sets its bit after this clear; a completed one's bit is gone.
      const uint32_t busy = peek(hd::kRegCi);
      for (unsigned s = 0; s < hd::kSlots; ++s) {
        if (!(v & (1u << s))) continue;
        (off == hd::kRegCs ? since_cs : since_err)[s] = busy >> s & 1;
        if (!(busy >> s & 1)) (off == hd::kRegCs ? expect[s].check_cs : expect[s].check_err) = false;
      }
    }
    PC_FUZZ_CHECK(raw_write(kRegs + off, v, 4) == tlm::TLM_OK_RESPONSE, "register write {:#x} failed", off);
    after_reg_write(off, v);
  }
  void sync() {
    wait(local);
    local = SC_ZERO_TIME;
  }
  uint64_t clb() {
    return static_cast<uint64_t>(peek(hd::kRegClbLo)) | (static_cast<uint64_t>(peek(hd::kRegClbHi)) << 32);
  }
  void after_reg_write(uint32_t off, uint32_t v) {}

  // Memory changed under [a, a+n): commands whose descriptors lie there lose their reference, and the
  // allowed set grows by what the descriptors name now.
  PC_FUZZ_NO_COVERAGE void memory_changed(uint64_t a, uint64_t n, bool by_driver) {
    bool descriptors = by_driver;
    for (const auto& r : rig.watcher.descriptors) descriptors = descriptors || r.overlaps(a, n);
    for (auto& e : expect) {
      for (const auto& r : e.ranges)
        if (r.overlaps(a, n)) e.dirty = true;
      // The driver may also scribble over the status the controller wrote back.
      if (by_driver && e.valid && Range{e.header, U128{e.header} + sizeof(hd::CmdHeader)}.overlaps(a, n))
        e.dirty = true;
    }
    if (descriptors) snapshot();
  }

  PC_FUZZ_NO_COVERAGE hd::CmdHeader header_at(uint64_t addr) {
    hd::CmdHeader h{};
    if (classify(addr, sizeof h) == Where::Dram)
      rig.store.read(addr, reinterpret_cast<uint8_t*>(&h), sizeof h);
    return h;
  }

  // A command list the controller may use from now on: its headers' status fields may be written.
  void add_clb(uint64_t c) {
    if (std::find(clbs.begin(), clbs.end(), c) != clbs.end()) return;
    clbs.push_back(c);
    for (unsigned s = 0; s < hd::kSlots; ++s) {
      const uint64_t st = c + s * sizeof(hd::CmdHeader) + offsetof(hd::CmdHeader, status);
      rig.watcher.allowed.push_back({st, U128{st} + 8});
    }
  }

  // Adds to the allowed set what every header at every programmed CLB names now.
  PC_FUZZ_NO_COVERAGE void snapshot() {
    auto& w = rig.watcher;
    w.descriptors.clear();
    for (uint64_t c : clbs) {
      for (unsigned s = 0; s < hd::kSlots; ++s) {
        const uint64_t h_addr = c + s * sizeof(hd::CmdHeader);
        if (classify(h_addr, sizeof(hd::CmdHeader)) != Where::Dram) continue;
        w.descriptors.push_back({h_addr, U128{h_addr} + offsetof(hd::CmdHeader, status)});
        const auto h = header_at(h_addr);
        if (h.prd_count == 0 || h.prd_count > hd::kMaxPrdEntries) continue;
        const uint64_t tbl = h.prd_count * sizeof(hd::PrdEntry);
        if (classify(h.prd_base, tbl) != Where::Dram) continue;
        w.descriptors.push_back({h.prd_base, U128{h.prd_base} + tbl});
        if (h.opcode != hd::kOpRead) continue;
        for (unsigned i = 0; i < h.prd_count; ++i) {
          hd::PrdEntry e;
          rig.store.read(h.prd_base + i * sizeof e, reinterpret_cast<uint8_t*>(&e), sizeof e);
          w.allowed.push_back({e.addr, U128{e.addr} + e.bytes});
          w.data.push_back(w.allowed.back());
        }
      }
    }
    // Keep the sets small: every snapshot repeats what the last one named.
    for (auto* v : {&w.allowed, &w.data}) {
      if (v->size() < 256) continue;
      std::sort(v->begin(), v->end(),
                [](const Range& x, const Range& y) { return x.lo != y.lo ? x.lo < y.lo : x.hi < y.hi; });
      v->erase(std::unique(v->begin(), v->end(),
                           [](const Range& x, const Range& y) { return x.lo == y.lo && x.hi == y.hi; }),
               v->end());
    }
  }

  // The reference: the status disk_regs.h gives for the command in `slot` as memory holds it now (the
  // checks in the controller's order); false when it cannot tell (read data overwriting the command's
  // own descriptors).
  PC_FUZZ_NO_COVERAGE bool reference(unsigned slot, uint64_t c, Expect& e) {
    e.clb = c;
    e.header = c + slot * sizeof(hd::CmdHeader);
    e.ranges = {{e.header, U128{e.header} + offsetof(hd::CmdHeader, status)}};
    e.bytes_done = 0;
    if (classify(e.header, sizeof(hd::CmdHeader)) == Where::Fault)
      return e.status = hd::kStatusDmaFault, true;
    const auto h = header_at(e.header);
    if (h.opcode == hd::kOpFlush)
      return e.status = h.prd_count == 0 ? hd::kStatusOk : hd::kStatusBadDescriptor, true;
    if (h.opcode != hd::kOpRead && h.opcode != hd::kOpWrite) return e.status = hd::kStatusBadDescriptor, true;
    if (h.sectors == 0 || h.sectors > 65536 || h.prd_count == 0 || h.prd_count > hd::kMaxPrdEntries ||
        (h.prd_base & 15))
      return e.status = hd::kStatusBadDescriptor, true;
    const uint64_t cap = rig.ctrl.media().capacity_sectors();
    if (h.lba > cap || h.sectors > cap - h.lba) return e.status = hd::kStatusLbaRange, true;
    const uint64_t tbl = h.prd_count * sizeof(hd::PrdEntry);
    if (classify(h.prd_base, tbl) == Where::Fault) return e.status = hd::kStatusDmaFault, true;
    e.ranges.push_back({h.prd_base, U128{h.prd_base} + tbl});
    std::vector<hd::PrdEntry> prd(h.prd_count);
    rig.store.read(h.prd_base, reinterpret_cast<uint8_t*>(prd.data()), tbl);
    uint64_t total = 0;
    for (const auto& p : prd) {
      if (p.bytes == 0 || (p.bytes & 1) || p.flags != 0) return e.status = hd::kStatusBadDescriptor, true;
      total += p.bytes;
    }
    if (total != uint64_t{h.sectors} * hd::kSectorBytes) return e.status = hd::kStatusBadDescriptor, true;
    for (const auto& p : prd) {
      if (classify(p.addr, p.bytes) == Where::Fault) return e.status = hd::kStatusDmaFault, true;
      // Read data landing on the command's own descriptors changes them mid-command: no reference.
      if (h.opcode == hd::kOpRead)
        for (const auto& r : e.ranges)
          if (r.overlaps(p.addr, p.bytes) || Range{e.header, U128{e.header} + 32}.overlaps(p.addr, p.bytes))
            return false;
    }
    e.bytes_done = h.sectors * hd::kSectorBytes;
    return e.status = hd::kStatusOk, true;
  }

  void issue(uint32_t v) {
    const uint32_t valid = rig.slots >= 32 ? ~0u : (1u << rig.slots) - 1;
    const uint32_t bits = v & ~peek(hd::kRegCi) & valid;
    const uint64_t c = clb();
    issued += static_cast<uint64_t>(__builtin_popcount(bits));
    for (unsigned s = 0; s < hd::kSlots; ++s) {
      if (!(bits & (1u << s))) continue;
      Expect e;
      e.valid = reference(s, c, e);
      e.check_cs = ++since_cs[s] == 1;  // else CS/ERR may still hold an earlier completion's bit
      e.check_err = ++since_err[s] == 1;
      expect[s] = std::move(e);
    }
  }

  uint64_t addr(pc::fuzz::Cursor& in) {
    const uint16_t a = in.u16();
    switch (in.u8() & 15) {
      case 0:
        return kMemBytes - 64 + (a & 127);  // straddling the end of memory
      case 1:
        return kRegs + (a & 0xfff);  // the controller's own registers
      case 2:
        return ~0ull - (a & 0xfff);  // near 2^64
      case 3:
        return kMemBytes + uint64_t{a} * 4;  // unmapped
      default:
        return uint64_t{a} * 4 % kMemBytes;
    }
  }

  void mem_write(uint64_t a, const void* p, uint64_t n) {
    note("write memory {:#x}+{}", a, n);
    if (classify(a, n) != Where::Dram) return;
    rig.store.write(a, static_cast<const uint8_t*>(p), n);
    memory_changed(a, n, true);
  }

  // The line follows IS & IE within a delta cycle or two; 5 us of slack before calling it broken.
  void check_irq() {
    for (int i = 0;; ++i) {
      const bool level = (peek(hd::kRegIs) & peek(hd::kRegIe)) != 0;
      if (rig.irq.read() == level) return;
      note("irq check: IS {:#x} IE {:#x} line {}", peek(hd::kRegIs), peek(hd::kRegIe), rig.irq.read());
      PC_FUZZ_CHECK(i < 50, "interrupt line {} but IS & IE says {} for 5 us", rig.irq.read(), level);
      wait(sc_time(100, sc_core::SC_NS));
    }
  }

  // One action of the input; see the file comment.
  void act(pc::fuzz::Cursor& in) {
    switch (in.u8() % 12) {
      case 0: {  // any register, any value (unaligned and short ones included)
        const uint16_t off = in.u16() & 0xfff;
        const uint32_t v = in.u32();
        if ((off & 3) == 0) {
          set_reg(off, v);
        } else {
          PC_FUZZ_CHECK(raw_write(kRegs + off, v, 4) != tlm::TLM_OK_RESPONSE,
                        "unaligned register write accepted");
        }
        break;
      }
      case 1: {  // command-list base
        const uint64_t a = addr(in) & ~uint64_t{31};
        set_reg(hd::kRegClbLo, static_cast<uint32_t>(a));
        set_reg(hd::kRegClbHi, static_cast<uint32_t>(a >> 32));
        break;
      }
      case 2: {  // a command header, any fields
        const unsigned slot = in.u8() % hd::kSlots;
        hd::CmdHeader h{};
        h.opcode = in.u8() % 5;
        const uint8_t shape = in.u8();
        h.prd_count = shape & 1 ? in.u16() : shape >> 1 & 7;
        h.sectors = shape & 16 ? in.u32() : in.u8();
        h.lba = shape & 32 ? in.u64() : in.u16();
        h.prd_base = addr(in);
        h.flags = shape & 64 ? in.u8() : 0;
        h.status = in.u8();
        note("header slot {}: opcode {} prd_count {} sectors {} lba {} prd_base {:#x}", slot, h.opcode,
             h.prd_count, h.sectors, h.lba, h.prd_base);
        mem_write(clb() + slot * sizeof h, &h, sizeof h);
        break;
      }
      case 3: {  // one PRD entry
        const uint64_t base = addr(in) & ~uint64_t{15};
        const unsigned i = in.u8();
        hd::PrdEntry e{addr(in), in.u16() & 1 ? in.u32() : in.u16() * 2u, in.u8() < 8 ? 1u : 0u};
        note("PRD {:#x}[{}]: addr {:#x} bytes {} flags {}", base, i, e.addr, e.bytes, e.flags);
        mem_write(base + i * sizeof e, &e, sizeof e);
        break;
      }
      case 4: {  // a well-formed command: header, PRD table of n equal entries, buffer
        const unsigned slot = in.u8() % hd::kSlots;
        const unsigned n = in.u8() % 4 + 1;
        const uint32_t sectors = n * (in.u8() % 8 + 1);
        hd::CmdHeader h{};
        h.opcode = in.u8() & 1 ? hd::kOpWrite : hd::kOpRead;
        h.prd_count = static_cast<uint16_t>(n);
        h.sectors = sectors;
        h.lba = in.u16() % 5000;
        h.prd_base = (addr(in) & ~uint64_t{15});
        const uint64_t buf = addr(in);
        for (unsigned i = 0; i < n; ++i) {
          hd::PrdEntry e{buf + i * (sectors / n) * 512ull, sectors / n * 512, 0};
          mem_write(h.prd_base + i * sizeof e, &e, sizeof e);
        }
        mem_write(clb() + slot * sizeof h, &h, sizeof h);
        break;
      }
      case 5:
        set_reg(hd::kRegCi, in.u32());
        break;
      case 6:
        set_reg(hd::kRegCi, 1u << (in.u8() % 32));
        break;
      case 7: {                                                             // let simulated time pass
        wait(sc_time(static_cast<double>(in.u16()) / 10, sc_core::SC_US));  // up to 6.5 ms
        break;
      }
      case 8: {  // CS / ERR / IS (RW1C)
        static const uint32_t kRw1c[] = {hd::kRegCs, hd::kRegErr, hd::kRegIs};
        set_reg(kRw1c[in.u8() % 3], in.u32());
        break;
      }
      case 9:
        set_reg(hd::kRegIe, in.u8() & 1);
        break;
      case 10: {  // raw memory: corrupt anything
        const uint64_t a = addr(in);
        const uint64_t v = in.u64();
        mem_write(a, &v, 1 + in.u8() % 8);
        break;
      }
      case 11: {  // read a register; wait for the interrupt up to 2 ms
        const uint32_t v = reg((in.u8() % 0x30) * 4);
        (void)v;
        if (rig.irq.read()) break;
        wait(sc_time(2, sc_core::SC_MS), rig.irq.posedge_event());
        break;
      }
    }
    // Always: valid slot statuses, CI only within the depth, the interrupt line follows IS & IE.
    const uint32_t ci = peek(hd::kRegCi);
    PC_FUZZ_CHECK(rig.slots >= 32 || (ci >> rig.slots) == 0, "CI {:#x} beyond {} slots", ci, rig.slots);
    check_irq();
  }

  // Every issued command completes within the bound; then the checks and the reset.
  PC_FUZZ_NO_COVERAGE void drain_and_check(uint64_t completed_before) {
    set_reg(hd::kRegIe, hd::kIntCompletion);
    // SystemC time ends at 2^64 fs; a run that gets near it has nothing left to measure a hang with.
    PC_FUZZ_CHECK(sc_core::sc_time_stamp() < sc_time::from_value(18000ull * 1000000000000000ull),  // 5 h,
                  "simulated time exhausted after {} inputs (the harness must use less per input)", inputs);
    const sc_time deadline = sc_core::sc_time_stamp() + sc_time(kDrainBoundSec, sc_core::SC_SEC);
    for (;;) {
      if (reg(hd::kRegCi) == 0) break;
      PC_FUZZ_CHECK(sc_core::sc_time_stamp() < deadline, "controller hung: CI {:#x} after {} s",
                    peek(hd::kRegCi), kDrainBoundSec);
      if (!rig.irq.read()) wait(sc_time(20, sc_core::SC_MS), rig.irq.posedge_event());
      raw_write(kRegs + hd::kRegIs, hd::kIntCompletion, 4);
    }
    // Completions post the interrupt after their status write-back; let the controller settle.
    wait(sc_time(1, sc_core::SC_US));
    const uint64_t completed = rig.ctrl.completed() - completed_before;
    PC_FUZZ_CHECK(completed == issued, "{} commands issued, {} completed", issued, completed);
    const uint32_t cs = peek(hd::kRegCs), err = peek(hd::kRegErr);
    for (unsigned s = 0; s < hd::kSlots; ++s) {
      const uint32_t st = peek(hd::kRegSlotStatus + 4 * s);
      PC_FUZZ_CHECK(st <= hd::kStatusDmaFault, "slot {} status {}", s, st);
      const Expect& e = expect[s];
      note("slot {}: status {}, reference {} (valid {}, dirty {})", s, st, e.status, e.valid, e.dirty);
      if (!e.valid || e.dirty) continue;
      PC_FUZZ_CHECK(st == e.status, "slot {}: status {}, the reference says {}", s, st, e.status);
      if (e.check_cs) PC_FUZZ_CHECK(cs & (1u << s), "slot {} completed without its CS bit", s);
      if (e.check_err)
        PC_FUZZ_CHECK(!(err & (1u << s)) == (e.status == hd::kStatusOk),
                      "slot {} ERR bit disagrees with status {}", s, e.status);
      // The header's status and bytes_done, unless read data may have landed there since.
      bool overwritten = false;
      for (const auto& r : rig.watcher.data) overwritten = overwritten || r.overlaps(e.header + 24, 8);
      // ... or another slot's status, from a header that sat there under another CLB.
      for (uint64_t c : clbs)
        for (unsigned o = 0; o < hd::kSlots; ++o) {
          const uint64_t other = c + o * sizeof(hd::CmdHeader);
          if ((c != e.clb || o != s) && Range{other + 24, U128{other} + 32}.overlaps(e.header + 24, 8))
            overwritten = true;
        }
      if (classify(e.header, 32) == Where::Dram && !overwritten) {
        const auto h = header_at(e.header);
        PC_FUZZ_CHECK(h.status == e.status && h.bytes_done == e.bytes_done,
                      "slot {}: header says status {} bytes_done {}, expected {} and {}", s, h.status,
                      h.bytes_done, e.status, e.bytes_done);
      }
    }
    // Reset through the registers; memory is wiped by the harness.
    set_reg(hd::kRegIe, 0);
    set_reg(hd::kRegCs, ~0u);
    set_reg(hd::kRegErr, ~0u);
    set_reg(hd::kRegIs, ~0u);
    raw_write(kRegs + hd::kRegClbLo, 0, 4);
    raw_write(kRegs + hd::kRegClbHi, 0, 4);
    wait(sc_time(1, sc_core::SC_US));
    PC_FUZZ_CHECK(
        peek(hd::kRegCi) == 0 && peek(hd::kRegCs) == 0 && peek(hd::kRegErr) == 0 && peek(hd::kRegIs) == 0,
        "registers not clear after the reset");
    PC_FUZZ_CHECK(!rig.irq.read(), "interrupt line high after the reset");
  }

  void run_input() {
    pc::fuzz::Cursor in(data, size);
    in.u8();  // the rig selector
    for (auto& e : expect) e = Expect{};
    std::fill(std::begin(since_cs), std::end(since_cs), 0u);
    std::fill(std::begin(since_err), std::end(since_err), 0u);
    clbs.clear();
    issued = 0;
    rig.store.discard(0, kMemBytes);
    rig.ctrl.store().clear();  // read data must not depend on earlier inputs: each replays alone
    rig.watcher.allowed.clear();
    rig.watcher.data.clear();
    add_clb(0);
    snapshot();
    const uint64_t before = rig.ctrl.completed();
    for (unsigned n = 0; !in.empty() && n < 256; ++n) act(in);
    drain_and_check(before);
    ++inputs;
  }

  sc_core::sc_event go;
  void main() {
    for (;;) {
      wait(go);
      run_input();
      done = true;
      sc_core::sc_pause();
    }
  }
};

struct Platform {
  Rig hdd{"hdd", hdd_config()};
  Rig ssd{"ssd", ssd_config()};
  Driver hdd_driver{"hdd_driver", hdd};
  Driver ssd_driver{"ssd_driver", ssd};
};
Platform* g_platform = nullptr;

void finish() {
  // The simulation ends cleanly: no input left half-run, the controllers idle, sc_stop accepted.
  if (!g_platform) return;
  for (Rig* r : {&g_platform->hdd, &g_platform->ssd}) r->ctrl.finish_stats();
  sc_core::sc_stop();
  PC_FUZZ_CHECK(
      sc_core::sc_get_status() == sc_core::SC_STOPPED || sc_core::sc_get_status() == sc_core::SC_PAUSED,
      "simulation status {} after sc_stop", static_cast<int>(sc_core::sc_get_status()));
  std::fprintf(stderr, "disk harness: %llu + %llu inputs (hdd + ssd), %llu + %llu DMA writes checked\n",
               static_cast<unsigned long long>(g_platform->hdd_driver.inputs),
               static_cast<unsigned long long>(g_platform->ssd_driver.inputs),
               static_cast<unsigned long long>(g_platform->hdd.watcher.writes),
               static_cast<unsigned long long>(g_platform->ssd.watcher.writes));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (g_platform) return 0;
  setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 0);
  pc::init_time_resolution();
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  g_platform = new Platform;        // never deleted: SystemC objects outlive the fuzzing loop
  sc_core::sc_start(SC_ZERO_TIME);  // initialisation: the drivers now wait for their first input
  std::atexit(finish);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (!g_platform) LLVMFuzzerInitialize(nullptr, nullptr);
  if (size == 0) return 0;
  Driver& d = data[0] & 1 ? g_platform->ssd_driver : g_platform->hdd_driver;
  d.data = data;
  d.size = size;
  d.done = false;
  d.go.notify(SC_ZERO_TIME);
  sc_core::sc_start();
  PC_FUZZ_CHECK(d.done, "the simulation stopped before the driver finished (status {})",
                static_cast<int>(sc_core::sc_get_status()));
  d.data = nullptr;
  return 0;
}
