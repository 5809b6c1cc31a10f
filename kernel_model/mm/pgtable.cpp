// Page tables in simulated memory: allocation of table pages under mm->page_table_lock with the split
// PTE locks, walks, the atomic PTE primitives, and freeing tables no VMA needs any more (Linux 2.6.18
// mm/memory.c: __pte_alloc and friends, free_pgtables; include/asm-x86_64/pgtable.h).
#include <stdexcept>

#include "kernel_model/mm/mm.h"
#include "platform/hwdefs/paging.h"

namespace pc::kernel {

namespace pg = hw::paging;

// _PAGE_TABLE: present, writable, user, accessed, dirty. Linux pre-sets A and D on non-leaf entries so
// the walker never has to write them back.
constexpr uint64_t kPageTableEntryBits = pg::kP | pg::kRW | pg::kUS | pg::kA | pg::kD;

MemoryManager::MemoryManager(KernelBus& bus, Lru& lru, ArchOps& arch, const KernelCosts& costs,
                             const VmConfig& vm, LockClasses& locks)
    : m_bus(bus),
      m_lru(lru),
      m_arch(arch),
      m_costs(costs),
      m_vm(vm),
      m_locks(locks),
      m_cpu_cycle(sc_core::SC_ZERO_TIME) {
  m_swap_lock = std::make_unique<Spinlock>(locks.swap_lock);
  m_mmlist_lock = std::make_unique<Spinlock>(locks.mmlist_lock);
  init_mapping(m_swapper_space);  // swapper_space: the swap cache, keyed by swap entry
}

void MemoryManager::set_cpus(std::vector<hw::Cpu*> cpus, sc_core::sc_time cpu_cycle) {
  m_cpu_cycle = cpu_cycle;
  m_loaded.assign(cpus.size(), nullptr);
  m_cpus = std::move(cpus);
}

uint64_t MemoryManager::alloc_table(KCtx& k) {
  cost(m_costs.page_alloc, k);
  Page* p = allocator().alloc_pages(GFP_KERNEL, 0, k);
  if (!p) return 0;
  const uint64_t pa = mem_map().page_to_phys(p);
  m_bus.zero_page(pa, k);
  ++m_stats.pt_pages_allocated;
  return pa;
}

uint64_t MemoryManager::get_pte(uint64_t pte_pa, KCtx& k) {
  ++m_stats.pte_reads;
  return m_bus.read64(pte_pa, k);
}

void MemoryManager::set_pte(uint64_t pte_pa, uint64_t v, KCtx& k) {
  ++m_stats.pte_writes;
  m_bus.write64(pte_pa, v, k);  // a plain store: only for entries no MMU can be updating
}

// The atomic PTE primitives of include/asm-x86_64/pgtable.h: each is one LOCK-prefixed operation, so an
// Accessed or Dirty bit a walker sets at the same moment is never lost.
uint64_t MemoryManager::ptep_get_and_clear(uint64_t pte_pa, KCtx& k) {
  ++m_stats.pte_writes;
  return m_bus.xchg64(pte_pa, 0, k);  // xchg
}

bool MemoryManager::ptep_test_and_clear_young(uint64_t pte_pa, KCtx& k) {
  ++m_stats.pte_writes;
  return m_bus.fetch_and_not64(pte_pa, pg::kA, k) & pg::kA;  // test_and_clear_bit(_PAGE_BIT_ACCESSED)
}

bool MemoryManager::ptep_test_and_clear_dirty(uint64_t pte_pa, KCtx& k) {
  ++m_stats.pte_writes;
  return m_bus.fetch_and_not64(pte_pa, pg::kD, k) & pg::kD;  // test_and_clear_bit(_PAGE_BIT_DIRTY)
}

void MemoryManager::ptep_set_wrprotect(uint64_t pte_pa, KCtx& k) {
  ++m_stats.pte_writes;
  m_bus.fetch_and_not64(pte_pa, pg::kRW, k);  // clear_bit(_PAGE_BIT_RW)
}

bool MemoryManager::ptep_clear_flush_young(MmStruct& mm, uint64_t addr, uint64_t pte_pa, KCtx& k) {
  const bool young = ptep_test_and_clear_young(pte_pa, k);
  // 2.6.18 flushes, or the CPU keeps using its cached translation and never sets A again; later kernels
  // (kernel.vm.flush_on_young off) leave the entry until something else flushes it.
  if (young && m_vm.flush_on_young) flush_tlb_page(mm, addr, FlushCause::PageReferenced, k);
  return young;
}

bool MemoryManager::ptep_clear_flush_dirty(MmStruct& mm, uint64_t addr, uint64_t pte_pa, KCtx& k) {
  const bool dirty = ptep_test_and_clear_dirty(pte_pa, k);
  if (dirty) flush_tlb_page(mm, addr, FlushCause::Other, k);
  return dirty;
}

uint64_t MemoryManager::ptep_clear_flush(MmStruct& mm, uint64_t addr, uint64_t pte_pa, FlushCause why,
                                         KCtx& k) {
  const uint64_t old = ptep_get_and_clear(pte_pa, k);
  flush_tlb_page(mm, addr, why, k);
  return old;
}

Spinlock& MemoryManager::pte_lockptr(MmStruct& mm, uint64_t pte_pa) {
  auto it = mm.ptl.find(pte_pa & ~(kPageSize - 1));
  if (it == mm.ptl.end()) throw std::logic_error("pte_lockptr: no PTE page at that address");
  return *it->second;
}

uint64_t MemoryManager::walk(MmStruct& mm, uint64_t va, bool alloc, KCtx& k) {
  uint64_t table = mm.pgd;
  for (unsigned level = pg::PML4; level > pg::PT; --level) {
    const uint64_t e_pa = table + 8ull * pg::index_of(va, level);
    uint64_t e = get_pte(e_pa, k);
    if (!(e & pg::kP)) {
      if (!alloc) return 0;
      // __pud_alloc / __pmd_alloc / __pte_alloc: allocate without the lock (it may sleep), then install
      // under mm->page_table_lock unless another path did meanwhile.
      const uint64_t t = alloc_table(k);
      if (!t) return 0;
      SpinGuard g(*mm.page_table_lock, k);
      e = get_pte(e_pa, k);
      if (e & pg::kP) {
        g.unlock();
        put_page(mem_map().phys_to_page(t), k);
        ++m_stats.pt_pages_freed;
      } else {
        e = t | kPageTableEntryBits;
        set_pte(e_pa, e, k);
        if (level - 1 == pg::PT) {  // a PTE page: its lock, NR_PAGETABLE and nr_ptes
          mm.ptl.emplace(t, std::make_unique<Spinlock>(m_locks.page_table_lock));
          ++mm.nr_ptes;
          allocator().mod_zone_page_state(mem_map().phys_to_page(t), NR_PAGETABLE, 1);
        }
      }
    }
    table = pg::frame_of(e);
  }
  return table + 8ull * pg::index_of(va, pg::PT);
}

uint64_t MemoryManager::pte_addr(MmStruct& mm, uint64_t va, KCtx& k) {
  return walk(mm, va, false, k);
}

uint64_t MemoryManager::read_pte(MmStruct& mm, uint64_t va, KCtx& k) {
  const uint64_t pa = walk(mm, va, false, k);
  return pa ? get_pte(pa, k) : 0;
}

bool MemoryManager::free_table_level(MmStruct& mm, uint64_t table_pa, unsigned level, uint64_t base,
                                     uint64_t start, uint64_t end, MmuGather& tlb, KCtx& k) {
  // Entries of this table each cover `span` bytes; visit those that intersect [start, end).
  const uint64_t span = pg::page_bytes_at(level);
  const uint64_t first = start > base ? (start - base) / span : 0;
  const uint64_t last = std::min<uint64_t>(511, (end - 1 - base) / span);
  bool freed_any = false;
  for (uint64_t i = first; i <= last; ++i) {
    const uint64_t e_pa = table_pa + 8 * i;
    const uint64_t e = get_pte(e_pa, k);
    if (!(e & pg::kP)) continue;
    const uint64_t eb = base + i * span;
    const uint64_t child = pg::frame_of(e);
    if (level > pg::PD) free_table_level(mm, child, level - 1, eb, start, end, tlb, k);
    // A table may go once no VMA reaches into the range it maps (free_pgtables' floor/ceiling rule).
    const Vma* v = mm.find_vma(eb);
    if (!v || v->vm_start >= eb + span) {
      set_pte(e_pa, 0, k);
      Page* tp = mem_map().phys_to_page(child);
      if (level == pg::PD) {  // free_pte_range: the PTE page, its lock, NR_PAGETABLE
        mm.ptl.erase(child);
        --mm.nr_ptes;
        allocator().mod_zone_page_state(tp, NR_PAGETABLE, -1);
      }
      // pte_free_tlb: into the gather, freed after the TLB flush.
      tlb.pages.push_back(tp);
      tlb.need_flush = true;
      ++m_stats.pt_pages_freed;
      freed_any = true;
    }
  }
  return freed_any;
}

void MemoryManager::free_pgtables(MmStruct& mm, uint64_t start, uint64_t end, MmuGather& tlb, KCtx& k) {
  if (start >= end) return;
  free_table_level(mm, mm.pgd, pg::PML4, 0, start, end, tlb, k);
}

uint64_t MemoryManager::mk_pte(const Page* page, uint32_t vm_flags, bool writable) {
  uint64_t e = mem_map().page_to_phys(page) | pg::kP | pg::kUS | pg::kA;
  if (writable) e |= pg::kRW;
  if (!(vm_flags & VM_EXEC)) e |= pg::kNX;
  return e;
}

}  // namespace pc::kernel
