// Two real concurrent agents on page-table entries in DDR memory, where every transaction waits inside
// the DDR adapter (so another agent can run in the middle of it): core 0's walker sets Accessed and Dirty
// while the kernel on core 1 clears A (page_referenced), write-protects, unmaps (ptep_get_and_clear),
// cleans (page_mkclean) and remaps the same entries, with TLB shootdowns to core 0. Counted: lost Dirty
// bits (a write that translated but left neither D in the entry nor PG_dirty when the kernel harvested
// it), entries the kernel cleared that something else wrote, and translations of pages whose unmap and
// shootdown had completed. All must be 0 with atomic updates; the negative control splits the atomics
// into a read and a write (test-only switch) and must report lost updates.
#include <gtest/gtest.h>

#include <array>
#include <random>

#include "kernel_model/hal/kernel_bus.h"
#include "models/dram/dram_controller.h"
#include "models/dram/lt_adapter.h"
#include "tests/support/mmu_rig.h"

using namespace pc;
using namespace pc::hw::paging;
using sc_core::sc_time;
using sc_core::SC_NS;

namespace {

constexpr unsigned kPages = 16;
constexpr uint64_t kBase = 0x40000000;

struct Counts {
  uint64_t kernel_ops = 0, translations = 0, writes = 0, faults = 0;
  uint64_t lost_dirty = 0;        // a write translated, yet the harvest found no D (and no PG_dirty)
  uint64_t cleared_written = 0;   // an entry the kernel cleared held something when it came back to it
  uint64_t stale = 0;             // a translation of a page whose unmap + shootdown had completed
  uint64_t harvested_dirty = 0;   // harvests that found D (the premise: the walker's D bits reach them)
  template <class Rig>
  void print(const char* what, const Rig& r) const {
    std::printf("[%s] kernel ops %lu, translations %lu (writes %lu, faults %lu), dirty harvests %lu, lost D %lu, "
                "cleared entries written %lu, stale translations %lu; walker CAS restarts %lu, invalidation "
                "restarts %lu, DDR atomics %lu\n",
                what, kernel_ops, translations, writes, faults, harvested_dirty, lost_dirty, cleared_written, stale,
                r.stat("cpu.core0.walker.cas_restarts"), r.stat("cpu.core0.walker.inval_restarts"),
                r.stat("dram.atomics"));
  }
};

struct RaceRig {
  explicit RaceRig(bool split)
      : store(64ull << 20),
        ctrl("dram", ddr(), store, root),
        lt("lt"),
        router("router", hw::physical_address_map(store.size(), false), sc_core::SC_ZERO_TIME, root),
        frames(1ull << 20, store.size()),
        pt("pt", frames),
        port0("port0"),
        wm0(port0.isock, 0),
        clk("cpu", 3000),
        cpu(&root, "cpu"),
        g0(&cpu, "core0"),
        g1(&cpu, "core1"),
        mmu0(0, mmu::MmuConfig{}, clk, wm0, g0),
        mmu1(1, mmu::MmuConfig{}, clk, wm0, g1),
        control(mmu::MmuConfig{}),
        kbus("kbus", root) {
    router.isock.bind(lt.tsock);
    lt.isock.bind(ctrl.tsock);
    pt.mem_isock.bind(router.tsock);
    port0.isock.bind(router.tsock);
    kbus.mem_isock.bind(router.tsock);
    control.add(&mmu0);
    control.add(&mmu1);
    wm0.set_split_atomics(split);
    kbus.set_split_atomics(split);
  }
  static dram::DdrConfig ddr() {
    dram::DdrConfig c;
    c.ctrl.checker = true;
    return c;
  }

  // Runs `kernel_ops` kernel operations against a walker that keeps translating until they are done.
  Counts run(uint64_t kernel_ops, uint64_t seed) {
    Counts n;
    enum class State { Mapped, Unmapped };
    std::array<State, kPages> state{};
    std::array<bool, kPages> written{};
    std::array<uint64_t, kPages> pte_pa{}, frame{};
    bool ready = false, done = false;
    sc_core::sc_event ready_ev;
    auto va = [](unsigned p) { return kBase + uint64_t{p} * 4096; };
    const uint64_t fresh = kP | kRW | kUS;  // what the kernel installs: clean, old, writable

    sc_core::sc_spawn([&] {  // the kernel, on CPU 1
      std::mt19937_64 rng(seed);
      sc_time d;
      const uint64_t cr3 = pt.new_table(d);
      for (unsigned p = 0; p < kPages; ++p) {
        frame[p] = frames.alloc();
        pt.map(cr3, va(p), frame[p], PageSize::k4K, kRW | kUS, d, kP | kRW | kUS | kA);
        pte_pa[p] = pt.entry_address(cr3, va(p), 1, d);
      }
      wait(d);
      mmu0.write_cr3(cr3);
      mmu1.write_cr3(cr3);
      ready = true;
      ready_ev.notify();
      kernel::BusCtx b{1, sc_core::SC_ZERO_TIME};
      auto flush = [&](unsigned p) {  // flush_tlb_page: CPU 0 runs this mm, so an IPI to it
        hw::FlushRequest r;
        r.scope = hw::FlushRequest::Scope::Page;
        r.va = va(p);
        b.delay += clk.cycles(control.shootdown(1, {0}, r, hw::FlushCause::Reclaim));
      };
      auto harvest = [&](unsigned p, uint64_t old) {  // the dirty state goes to the page (PG_dirty)
        if (old & kD) {
          ++n.harvested_dirty;
        } else if (written[p]) {
          ++n.lost_dirty;
        }
        written[p] = false;
      };
      for (uint64_t i = 0; i < kernel_ops; ++i) {
        const unsigned p = static_cast<unsigned>(rng() % kPages);
        const unsigned op = static_cast<unsigned>(rng() % 5);
        ++n.kernel_ops;
        if (state[p] == State::Unmapped) {
          // Nobody but the kernel may write an entry it cleared: it must still be 0.
          if (kbus.read64(pte_pa[p], b) != 0) ++n.cleared_written;
          kbus.write64(pte_pa[p], frame[p] | fresh, b);  // set_pte: a plain store into a non-present entry
          state[p] = State::Mapped;
          written[p] = false;
        } else {
          switch (op) {
            case 0:  // page_referenced: ptep_clear_flush_young
              if (kbus.fetch_and_not64(pte_pa[p], kA, b) & kA) flush(p);
              break;
            case 1:  // ptep_set_wrprotect (fork)
              kbus.fetch_and_not64(pte_pa[p], kRW, b);
              flush(p);
              break;
            case 2: {  // try_to_unmap_one: ptep_clear_flush
              const uint64_t old = kbus.xchg64(pte_pa[p], 0, b);
              flush(p);
              if (!(old & kP)) ++n.cleared_written;
              harvest(p, old);
              state[p] = State::Unmapped;
              break;
            }
            case 3: {  // page_mkclean_one: ptep_clear_flush, then the entry back clean and read-only
              const uint64_t old = kbus.xchg64(pte_pa[p], 0, b);
              flush(p);
              if (!(old & kP)) ++n.cleared_written;
              harvest(p, old);
              kbus.write64(pte_pa[p], old & ~(kD | kRW), b);
              break;
            }
            default:  // the write fault that follows: do_wp_page reuses the page, writable again
              kbus.fetch_or64(pte_pa[p], kRW, b);
              break;
          }
        }
        b.delay += sc_time(static_cast<double>(rng() % 40), SC_NS);  // the rest of the kernel path
        wait(b.delay);
        b.delay = sc_core::SC_ZERO_TIME;
      }
      done = true;
    });

    sc_core::sc_spawn([&] {  // core 0's accesses
      std::mt19937_64 rng(seed ^ 0x9e3779b97f4a7c15ull);
      while (!ready) wait(ready_ev);
      while (!done) {
        const unsigned p = static_cast<unsigned>(rng() % kPages);
        const bool write = rng() & 1;
        const auto t = mmu0.translate(va(p) + 8 * (rng() % 512), write ? mmu::Access::Write : mmu::Access::Read,
                                      sc_core::sc_time_stamp());
        ++n.translations;
        if (t.fault) {
          ++n.faults;
        } else {
          if (state[p] == State::Unmapped) ++n.stale;
          if (write) {
            written[p] = true;
            ++n.writes;
          }
        }
        wait(delay_until(t.done, "walker") + sc_time(static_cast<double>(rng() % 20), SC_NS));
      }
    });
    sc_core::sc_start();
    EXPECT_TRUE(ctrl.violation().empty()) << ctrl.violation();
    return n;
  }
  uint64_t stat(const std::string& path) const { return static_cast<uint64_t>(root.find(path)->to_json().get<double>()); }

  stats::Group root{nullptr, "stats"};
  mem::BackingStore store;
  dram::DramController ctrl;
  dram::LtAdapter lt;
  interconnect::Router router;
  tb::FrameAllocator frames;
  tb::PageTableBuilder pt;
  test::WalkPort port0;
  mmu::TlmWalkMemory wm0;
  ClockDomain clk;
  stats::Group cpu, g0, g1;
  mmu::Mmu mmu0, mmu1;
  mmu::MmuControl control;
  kernel::KernelBus kbus;
};

}  // namespace

TEST(PteRaceSim, AtomicUpdatesLoseNothingOverAMillionInterleavings) {
  RaceRig r(false);
  const Counts n = r.run(1000000, 1);
  n.print("atomic", r);
  EXPECT_EQ(n.lost_dirty, 0u);
  EXPECT_EQ(n.cleared_written, 0u);
  EXPECT_EQ(n.stale, 0u);
  // The premise: the agents really met inside each other's transactions, on every kind of race.
  EXPECT_EQ(n.kernel_ops, 1000000u);
  EXPECT_GT(n.translations, 1000000u);
  EXPECT_GT(n.writes, 100000u);
  EXPECT_GT(n.harvested_dirty, 10000u);
  EXPECT_GT(r.stat("cpu.core0.walker.cas_restarts"), 500u);     // a compare-exchange lost to the kernel
  EXPECT_GT(r.stat("cpu.core0.walker.inval_restarts"), 10000u);  // a shootdown arrived mid-walk
  EXPECT_GT(r.stat("dram.atomics"), 1000000u);
}

TEST(PteRaceSim, NegativeControlSplitAtomicsLoseUpdates) {
  RaceRig r(true);
  const Counts n = r.run(100000, 1);
  n.print("split", r);
  EXPECT_GT(n.lost_dirty, 0u);
  EXPECT_GT(n.cleared_written + n.stale, 0u);
  EXPECT_EQ(r.stat("dram.atomics"), 0u);  // the switch reached both agents: no atomic was sent
}
