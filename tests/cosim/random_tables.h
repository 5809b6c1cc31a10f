// Random x86-64 page tables and a random stream of translations and TLB maintenance, for differential
// runs of the RTL unit against the C++ model. Entries get random P, R/W, U/S, NX, A, D, G, PCD, PS and
// now and then a reserved bit; the operating system rewrites entries (with or without INVLPG), switches
// address spaces, flushes, toggles CR4.PGE/PCIDE, and races the walker's compare-exchanges.
#pragma once

#include <vector>

#include "testbench/workload/rng.h"
#include "tests/cosim/cosim_rig.h"

namespace pc::test {

struct RandomRunResult {
  uint64_t translations = 0, faults = 0, races = 0;
};

class RandomTables {
 public:
  // `race_percent`: share of compare-exchanges before which another agent rewrites the entry.
  RandomTables(CosimRig& r, uint64_t seed, unsigned race_percent = 2)
      : m_r(r), m_rng(seed), m_race(race_percent) {}

  // Runs `n` translations with maintenance operations between them.
  RandomRunResult run(uint64_t n) {
    using namespace hw::paging;
    for (unsigned s = 0; s < 3; ++s) m_spaces.push_back(m_r.frames.alloc());
    // Pages: a few PML4 slots (one in the upper half), a few PDPTEs, PDEs and PTEs each: enough
    // sharing for the PSCs, enough pages for TLB conflicts.
    const uint64_t slots[4] = {0, 1, 3, 300};
    for (unsigned i = 0; i < 3000; ++i) {
      uint64_t va = (slots[m_rng.below(4)] << 39) | (m_rng.below(4) << 30) | (m_rng.below(16) << 21) |
                    (m_rng.below(128) << 12);
      if (va & (1ull << 47)) va |= 0xffffull << 48;  // canonical upper half
      m_pages.push_back(va);
    }
    for (uint64_t cr3 : m_spaces)
      for (uint64_t va : m_pages) build(cr3, va);
    m_r.memory.before_atomic = [this](uint64_t a) {
      if (m_rng.below(100) < m_race) {  // another agent's store lands first
        ++m_res.races;
        uint64_t v = m_r.peek(a);
        v = m_rng.below(4) == 0 ? 0 : v ^ (m_rng.below(2) ? kRW : kA);
        m_r.poke(a, v);
      }
    };
    m_r.xl->write_cr4(kCr4PGE);
    switch_space();
    while (m_res.translations < n) step();
    m_r.memory.before_atomic = nullptr;
    return m_res;
  }

 private:
  uint64_t random_entry(unsigned level, uint64_t frame) {
    using namespace hw::paging;
    uint64_t v = frame;
    if (m_rng.below(100) < 97) v |= kP;
    if (m_rng.below(100) < 90) v |= kRW;
    if (m_rng.below(100) < 96) v |= kUS;
    if (m_rng.below(100) < 6) v |= kNX;
    if (m_rng.below(100) < 50) v |= kA;
    if (m_rng.below(100) < 10) v |= kPCD;
    if (level == 1 || m_rng.below(2)) v |= m_rng.below(2) ? kD : 0;
    if (m_rng.below(100) < 20) v |= kG;
    if (m_rng.below(100) < 2) v |= 1ull << (46 + m_rng.below(6));  // reserved above MAXPHYADDR
    return v;
  }
  // Creates the path to `va` in the table at `cr3`, choosing a random page size on the way.
  void build(uint64_t cr3, uint64_t va) {
    using namespace hw::paging;
    uint64_t table = cr3;
    for (unsigned level = 4; level >= 1; --level) {
      const uint64_t pa = table + index_of(va, level) * 8;
      uint64_t e = m_r.peek(pa);
      if (e == 0) {
        const bool big = (level == 2 && m_rng.below(100) < 20) || (level == 3 && m_rng.below(100) < 4) ||
                         (level == 4 && m_rng.below(1000) < 3);  // PS in a PML4E is reserved
        if (big || level == 1) {
          const uint64_t frame = level == 2   ? m_rng.below(32) << 21
                                 : level == 3 ? 0
                                              : m_rng.below(16384) << 12;
          e = random_entry(level, frame) | (big ? kPS : 0);
        } else {
          e = random_entry(level, m_r.frames.alloc()) & ~kD & ~kG;
        }
        m_r.poke(pa, e);
      }
      if (level == 1 || (e & kPS) || !(e & kP)) return;
      table = frame_of(e);
    }
  }
  void switch_space() {
    using namespace hw::paging;
    m_cur = m_rng.below(m_spaces.size());
    uint64_t cr3 = m_spaces[m_cur];
    if (m_r.xl->cr4() & kCr4PCIDE) {
      cr3 |= m_cur + 1;  // one PCID per address space
      if (m_rng.below(2)) cr3 |= kCr3NoFlush;
    }
    m_r.xl->write_cr3(cr3);
  }
  void step() {
    using namespace hw::paging;
    const uint64_t k = m_rng.below(1000);
    const uint64_t va = m_pages[m_rng.below(100) < 85 ? m_rng.below(24) : m_rng.below(m_pages.size())];
    if (k < 920) {
      const uint64_t a = m_rng.below(10);
      const auto t = m_r.tr(va | (m_rng.below(512) * 8), a < 6   ? mmu::Access::Read
                                                         : a < 9 ? mmu::Access::Write
                                                                 : mmu::Access::Fetch);
      ++m_res.translations;
      if (t.fault) ++m_res.faults;
    } else if (k < 950) {
      // The OS rewrites an entry on the path (new flags, sometimes not present), then maybe INVLPG.
      uint64_t table = m_spaces[m_cur];
      const unsigned stop = 1 + static_cast<unsigned>(m_rng.below(4));
      for (unsigned level = 4; level >= stop; --level) {
        const uint64_t pa = table + index_of(va, level) * 8;
        const uint64_t e = m_r.peek(pa);
        if (level == stop || !(e & kP) || (level <= 3 && (e & kPS)) || level == 1) {
          const uint64_t keep = e & (kAddrMask | kPS);
          uint64_t nv = (random_entry(level, 0) & ~kAddrMask & ~kPS) | keep;
          if (level >= 2 && !(e & kPS)) nv &= ~(kD | kG);
          if (e != 0) m_r.poke(pa, nv);
          break;
        }
        table = frame_of(e);
      }
      if (m_rng.below(2)) m_r.xl->invlpg(va);
    } else if (k < 965) {
      m_r.xl->invlpg(va);
    } else if (k < 980) {
      switch_space();
    } else if (k < 990) {
      const auto type = static_cast<InvpcidType>(m_rng.below(4));
      m_r.xl->invpcid(type, static_cast<uint16_t>(m_rng.below(4)), va);
    } else if (k < 995) {
      hw::FlushRequest f;
      f.scope = static_cast<hw::FlushRequest::Scope>(m_rng.below(4));
      f.va = va;
      f.pcid = static_cast<uint16_t>(m_rng.below(4));
      m_r.xl->flush(f);
    } else {
      // Toggle PGE or PCIDE (PCIDE only with a PCID-0 CR3, as the SDM requires); both flush.
      const uint64_t cr4 = m_r.xl->cr4();
      if (m_rng.below(2)) {
        m_r.xl->write_cr4(cr4 ^ kCr4PGE);
      } else {
        m_r.xl->write_cr3(m_spaces[m_cur]);
        m_r.xl->write_cr4(cr4 ^ kCr4PCIDE);
        switch_space();
      }
    }
  }

  CosimRig& m_r;
  tb::Rng m_rng;
  std::vector<uint64_t> m_spaces, m_pages;
  unsigned m_race;
  size_t m_cur = 0;
  RandomRunResult m_res;
};

}  // namespace pc::test
