// A one-core co-simulation rig: the Verilated RTL translation unit (behind the differential checker,
// with the C++ Mmu as reference) whose walker reads and compare-exchanges through a router into a memory
// that performs pc::AtomicExt. The memory can wait inside b_transport (so other processes run during a
// walk) and can let "another agent" store to an entry right before an atomic lands (race injection).
// Rig clock: 1 GHz.
#pragma once

#include <tlm_utils/simple_target_socket.h>

#include <functional>
#include <memory>
#include <systemc>

#include "cosim/diff_checker.h"
#include "models/interconnect/router.h"
#include "models/mem/backing_store.h"
#include "testbench/page_tables.h"
#include "tests/support/mmu_rig.h"

namespace pc::cosim {
std::unique_ptr<MmuModel> make_mmu_model_nehalem_bug();  // test-only variant (cosim/CMakeLists.txt)
}

namespace pc::test {

class AtomicMemory : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<AtomicMemory> tsock{"tsock"};

  AtomicMemory(sc_core::sc_module_name n, mem::BackingStore& s, sc_core::sc_time latency, bool wait_inside)
      : sc_module(n), wait_inside(wait_inside), m_store(s), m_latency(latency) {
    tsock.register_b_transport(this, &AtomicMemory::b_transport);
    tsock.register_transport_dbg(this, &AtomicMemory::transport_dbg);
  }
  // Runs right before an atomic is performed on `addr` (another agent's store that lands first).
  std::function<void(uint64_t addr)> before_atomic;
  // Wait inside b_transport (only from SystemC threads: build page tables before turning it on).
  bool wait_inside;
  uint64_t reads = 0, atomics = 0;

 private:
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
    if (wait_inside) {
      wait(delay + m_latency);  // a real wait: other processes run meanwhile
      delay = sc_core::SC_ZERO_TIME;
    } else {
      delay += m_latency;
    }
    const uint64_t a = gp.get_address();
    if (!m_store.contains(a, gp.get_data_length())) {
      gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
      return;
    }
    if (AtomicExt* x = atomic_of(gp)) {
      ++atomics;
      if (before_atomic) before_atomic(a);
      perform_atomic(
          gp, *x, [&](uint8_t* b, unsigned n) { m_store.read(a, b, n); },
          [&](const uint8_t* b, unsigned n) { m_store.write(a, b, n); });
      return;
    }
    if (gp.is_read()) {
      ++reads;
      m_store.read(a, gp.get_data_ptr(), gp.get_data_length());
    } else {
      m_store.write(a, gp.get_data_ptr(), gp.get_data_length());
    }
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
  }
  unsigned int transport_dbg(tlm::tlm_generic_payload& gp) {
    const uint64_t a = gp.get_address();
    if (!m_store.contains(a, gp.get_data_length())) return 0;
    if (gp.is_read())
      m_store.read(a, gp.get_data_ptr(), gp.get_data_length());
    else
      m_store.write(a, gp.get_data_ptr(), gp.get_data_length());
    return gp.get_data_length();
  }
  mem::BackingStore& m_store;
  sc_core::sc_time m_latency;
};

struct CosimOptions {
  std::function<std::unique_ptr<cosim::MmuModel>()> model = [] { return cosim::make_mmu_model("nehalem"); };
  uint64_t mem_latency_ns = 100;  // 100 cycles
  bool check = true;              // differential checker with the C++ model
  mmu::MmuConfig mmu;             // defaults: the nehalem geometry
};

struct CosimRig {
  explicit CosimRig(const CosimOptions& o)
      : clk("cpu", 1000),
        root(nullptr, "stats"),
        cpu(&root, "cpu"),
        core(&cpu, "core0"),
        store(64ull << 20),
        memory("mem", store, sc_core::sc_time(static_cast<double>(o.mem_latency_ns), sc_core::SC_NS), false),
        router("router", hw::physical_address_map(store.size(), false), sc_core::SC_ZERO_TIME, root),
        frames(1ull << 20, store.size()),
        pt("pt", frames),
        port("walk") {
    router.isock.bind(memory.tsock);
    pt.mem_isock.bind(router.tsock);
    port.isock.bind(router.tsock);
    auto dut = std::make_unique<cosim::RtlMmu>(0, o.mmu, clk, o.model(), port.isock, core);
    rtl = dut.get();
    if (o.check) {
      checker = std::make_unique<cosim::DiffChecker>(
          0, o.mmu, clk, std::move(dut), [this](uint64_t pa) { return peek(pa); }, core);
      xl = checker.get();
    } else {
      owned = std::move(dut);
      owned->set_mem_log(&own_log);
      xl = owned.get();
    }
  }
  ~CosimRig() {
    checker.reset();
    owned.reset();
  }
  void start() { sc_core::sc_start(sc_core::SC_ZERO_TIME); }

  uint64_t new_space() {
    sc_core::sc_time d;
    return pt.new_table(d);
  }
  uint64_t map(uint64_t cr3, uint64_t va, hw::paging::PageSize s, uint64_t leaf_flags,
               uint64_t table_flags = kTableA) {
    sc_core::sc_time d;
    return pt.map(cr3, va, frames.alloc(hw::paging::page_bytes(s)), s, leaf_flags, d, table_flags);
  }
  uint64_t entry_at(uint64_t cr3, uint64_t va, unsigned level) {
    sc_core::sc_time d;
    return pt.entry_address(cr3, va, level, d);
  }
  uint64_t peek(uint64_t pa) const {
    uint64_t v = 0;
    store.read(pa, reinterpret_cast<uint8_t*>(&v), 8);
    return v;
  }
  void poke(uint64_t pa, uint64_t v) { store.write(pa, reinterpret_cast<const uint8_t*>(&v), 8); }
  // Translates when the previous translation has completed, as a blocking core would.
  mmu::Translation tr(uint64_t va, mmu::Access a = mmu::Access::Read) {
    own_log.clear();
    const auto t = xl->translate(va, a, std::max(sc_core::sc_time_stamp(), now));
    now = t.done + clk.cycles(1);
    return t;
  }
  uint64_t cnt(const std::string& path) const {
    const auto* s = core.find(path);
    if (!s) throw std::runtime_error("no stat " + path);
    auto j = s->to_json();
    return static_cast<uint64_t>(j.is_object() ? j["sum"].get<double>() : j.get<double>());
  }
  uint64_t divergences() const { return checker ? checker->divergences() : 0; }
  // The RTL's memory operations of the last request.
  const std::vector<cosim::MemOp>& ops() const { return checker ? checker->last_rtl_ops() : own_log; }

  ClockDomain clk;
  stats::Group root, cpu, core;
  mem::BackingStore store;
  AtomicMemory memory;
  interconnect::Router router;
  tb::FrameAllocator frames;
  tb::PageTableBuilder pt;
  WalkPort port;
  cosim::RtlMmu* rtl = nullptr;
  std::unique_ptr<cosim::DiffChecker> checker;
  std::unique_ptr<cosim::RtlMmu> owned;
  mmu::Translator* xl = nullptr;
  sc_core::sc_time now;
  std::vector<cosim::MemOp> own_log;
};

}  // namespace pc::test
