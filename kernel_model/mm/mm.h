// The memory manager: page tables in simulated memory, page faults, fork/COW, mmap/munmap/mprotect/brk,
// exit, reverse mapping (Linux 2.6.18 mm/memory.c, mmap.c, mprotect.c, rmap.c, fork.c; spec §8, §11).
// Every page-table access, page clear and page copy is a transaction on the kernel bus.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "kernel_model/hal/kernel_bus.h"
#include "kernel_model/kernel_config.h"
#include "kernel_model/mm/arch.h"
#include "kernel_model/mm/mm_types.h"
#include "kernel_model/mm/swap.h"

namespace pc::kernel {

// The user address-space layout (x86-64, 47-bit user half).
constexpr uint64_t TASK_SIZE = 0x00007ffffffff000ull;
constexpr uint64_t kMmapBase = 0x00002aaaaaaab000ull;   // TASK_UNMAPPED_BASE = TASK_SIZE / 3, page aligned
constexpr uint64_t kStackTop = 0x00007ffffffde000ull;
constexpr uint64_t kStackGuardGap = 64 * 1024;           // accesses this far below %rsp may grow the stack
constexpr uint64_t kMaxStackBytes = 8ull << 20;          // RLIMIT_STACK

// Blocked: the page is being read (k.wait_page); the task sleeps until it is unlocked, then the access
// re-executes (Linux sleeps inside the fault in lock_page; a restart models the same wait).
enum class FaultResult { Minor, Major, SigSegv, SigBus, Oom, Blocked };

enum class SwapResult { Success, Again, Fail };  // try_to_unmap

// x86-64 swap entry in a non-present PTE (include/asm-x86_64/pgtable.h): type in bits 1..5, offset from
// bit 8. Bit 0 (P) is clear and the entry is non-zero.
constexpr uint64_t swp_entry(unsigned type, uint64_t offset) { return (uint64_t{type} << 1) | (offset << 8); }
constexpr unsigned swp_type(uint64_t pte) { return static_cast<unsigned>((pte >> 1) & 0x1f); }
constexpr uint64_t swp_offset(uint64_t pte) { return pte >> 8; }

// Swap-slot reference counting, provided by the swap subsystem (swap_duplicate / swap_free).
class SwapHooks {
 public:
  virtual ~SwapHooks() = default;
  virtual void swap_duplicate(uint64_t entry) = 0;
  virtual void swap_free(uint64_t entry) = 0;
};

struct MmStats {
  uint64_t pgfault = 0, pgmajfault = 0;
  uint64_t anon_faults = 0, zero_page_maps = 0, cow_copies = 0, cow_reuses = 0, file_faults = 0;
  uint64_t segv = 0, oom = 0;
  uint64_t pt_pages_allocated = 0, pt_pages_freed = 0;
  uint64_t pte_reads = 0, pte_writes = 0;
  uint64_t forks = 0, exits = 0;
  uint64_t tlb_page_flushes = 0, tlb_mm_flushes = 0;
  uint64_t page_referenced_calls = 0, young_cleared = 0, unmapped_by_rmap = 0;
};

class MemoryManager {
 public:
  MemoryManager(KernelBus& bus, Lru& lru, ArchOps& arch, const KernelCosts& costs);

  // Boot: the shared zero page (a reserved, zeroed frame).
  void init_zero_page(KCtx& k);
  Page* zero_page() const { return m_zero_page; }
  // The CPU clock the cost table is in, and the number of CPUs (for per-CPU current mm).
  void set_cpu_clock(sc_core::sc_time period, unsigned cpus) {
    m_cpu_cycle = period;
    m_current.assign(cpus, nullptr);
  }
  void set_swap_hooks(SwapHooks* h) { m_swap = h; }
  // Readahead window in pages (1 = read only the missing page).
  void set_readahead_pages(uint64_t n) { m_ra_pages = n ? n : 1; }
  // Called when a page's read I/O completes and the page is unlocked (wake_up_page).
  void set_page_unlock_hook(std::function<void(Page*, uint64_t completed_fs)> h) { m_on_unlock = std::move(h); }

  // Address spaces.
  std::unique_ptr<MmStruct> mm_alloc(KCtx& k);                    // empty mm with a fresh PML4
  std::unique_ptr<MmStruct> dup_mm(MmStruct& old, KCtx& k);       // fork: copy VMAs, share pages COW
  void exit_mmap(MmStruct& mm, KCtx& k);                          // unmap everything, free all tables

  // System-call bodies; errors are negative errnos (Linux convention), addresses are returned as is.
  int64_t do_mmap(MmStruct& mm, uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags, File* file,
                  uint64_t pgoff, KCtx& k);
  int64_t do_munmap(MmStruct& mm, uint64_t addr, uint64_t len, KCtx& k);
  int64_t do_mprotect(MmStruct& mm, uint64_t addr, uint64_t len, uint32_t prot, KCtx& k);
  int64_t do_brk(MmStruct& mm, uint64_t new_brk, KCtx& k);  // sys_brk: returns the new break
  void setup_stack(MmStruct& mm, uint64_t size, KCtx& k);    // an initial VM_GROWSDOWN stack VMA

  // #PF from a core (error code per SDM §4.7).
  FaultResult handle_mm_fault(MmStruct& mm, uint64_t va, bool write, bool exec, KCtx& k);

  // Reverse mapping (spec §8.2, §8.3).
  int page_referenced(Page* page, bool is_locked, KCtx& k);
  SwapResult try_to_unmap(Page* page, KCtx& k);

  // The page-cache page for `index` of `f`, ready to use; nullptr with k.wait_page set when its read is
  // in flight (the caller sleeps), nullptr alone when memory is exhausted. `major`: this call started I/O.
  Page* page_cache_read(File& f, uint64_t index, bool& major, KCtx& k) { return find_or_read_file_page(f, index, major, k); }

  // Scheduler hooks: which mm each CPU runs (for cpu_vm_mask and local flushes).
  void switch_mm(unsigned cpu, MmStruct* next, KCtx& k);
  MmStruct* current_mm(unsigned cpu) const { return cpu < m_current.size() ? m_current[cpu] : nullptr; }

  // Page-table inspection (walks through the bus): the PTE value for `va`, or 0 if a level is missing.
  uint64_t read_pte(MmStruct& mm, uint64_t va, KCtx& k);
  uint64_t pte_addr(MmStruct& mm, uint64_t va, KCtx& k);  // physical address of the PTE, 0 if missing

  Lru& lru() { return m_lru; }
  PageAllocator& allocator() { return m_lru.allocator(); }
  MemMap& mem_map() { return allocator().mem_map(); }
  KernelBus& bus() { return m_bus; }
  const MmStats& stats() const { return m_stats; }
  // Frames allocated to page tables (all levels, PML4s included) right now.
  uint64_t page_table_pages() const { return m_stats.pt_pages_allocated - m_stats.pt_pages_freed; }

 private:
  // Page tables (mm/memory.c: __pud_alloc, __pmd_alloc, __pte_alloc; free_pgtables).
  uint64_t alloc_table(KCtx& k);  // a zeroed frame, or 0 when memory is exhausted
  void free_table(uint64_t pa, KCtx& k);
  // Walks to the PTE of `va`, allocating missing tables when `alloc`; returns its physical address,
  // 0 when a level is missing (or allocation failed).
  uint64_t walk(MmStruct& mm, uint64_t va, bool alloc, KCtx& k);
  uint64_t get_pte(uint64_t pte_pa, KCtx& k);
  void set_pte(uint64_t pte_pa, uint64_t v, KCtx& k);
  uint64_t ptep_get_and_clear(uint64_t pte_pa, KCtx& k);  // returns the old entry
  bool ptep_test_and_clear_young(uint64_t pte_pa, KCtx& k);
  bool ptep_test_and_clear_dirty(uint64_t pte_pa, KCtx& k);
  void ptep_set_wrprotect(uint64_t pte_pa, KCtx& k);
  bool ptep_clear_flush_young(MmStruct& mm, uint64_t addr, uint64_t pte_pa, KCtx& k);
  bool ptep_clear_flush_dirty(MmStruct& mm, uint64_t addr, uint64_t pte_pa, KCtx& k);
  uint64_t ptep_clear_flush(MmStruct& mm, uint64_t addr, uint64_t pte_pa, FlushCause why, KCtx& k);
  void free_pgtables(MmStruct& mm, uint64_t start, uint64_t end, KCtx& k);
  bool free_table_level(MmStruct& mm, uint64_t table_pa, unsigned level, uint64_t base, uint64_t start,
                        uint64_t end, KCtx& k);

  // Faults.
  FaultResult do_anonymous_page(MmStruct& mm, Vma& vma, uint64_t va, uint64_t pte_pa, bool write, KCtx& k);
  FaultResult do_no_page(MmStruct& mm, Vma& vma, uint64_t va, uint64_t pte_pa, bool write, KCtx& k);
  FaultResult do_wp_page(MmStruct& mm, Vma& vma, uint64_t va, uint64_t pte_pa, uint64_t pte, KCtx& k);
  bool expand_stack(Vma& vma, uint64_t va);
  Page* alloc_user_page(bool zero, KCtx& k);
  Page* find_or_read_file_page(File& f, uint64_t index, bool& major, KCtx& k);
  uint64_t mk_pte(const Page* page, uint32_t vm_flags, bool writable);

  // VMAs.
  Vma* insert_vma(MmStruct& mm, std::unique_ptr<Vma> v, KCtx& k);
  void split_vma(MmStruct& mm, Vma& vma, uint64_t addr, KCtx& k);  // vma keeps [start, addr)
  void remove_vma(MmStruct& mm, Vma& vma, KCtx& k);
  uint64_t get_unmapped_area(MmStruct& mm, uint64_t len) const;
  File* create_shmem_file(uint64_t len);
  void anon_vma_prepare(Vma& vma);
  void link_vma_rmap(Vma& vma);
  void unlink_vma_rmap(Vma& vma, KCtx& k);

  // Unmapping and copying.
  void zap_page_range(MmStruct& mm, Vma& vma, uint64_t start, uint64_t end, KCtx& k);
  bool copy_page_range(MmStruct& dst, MmStruct& src, Vma& vma, KCtx& k);
  void change_protection(MmStruct& mm, Vma& vma, uint64_t start, uint64_t end, KCtx& k);

  // Reverse-mapping primitives.
  void page_add_new_anon_rmap(Page* page, Vma& vma, uint64_t addr);
  void page_add_file_rmap(Page* page);
  void page_remove_rmap(Page* page);
  int page_referenced_one(Page* page, Vma& vma, int& mapcount, KCtx& k);
  SwapResult try_to_unmap_one(Page* page, Vma& vma, KCtx& k);
  std::vector<Vma*> rmap_vmas(Page* page);

  void flush_tlb_page(MmStruct& mm, uint64_t va, FlushCause why, KCtx& k);
  void flush_tlb_mm(MmStruct& mm, FlushCause why, KCtx& k);
  void cost(uint64_t cycles, KCtx& k) { k.delay += m_cpu_cycle * static_cast<double>(cycles); }
  void put_page(Page* p, KCtx& k) { m_lru.put_page(p, k.cpu); }

  KernelBus& m_bus;
  Lru& m_lru;
  ArchOps& m_arch;
  KernelCosts m_costs;
  SwapHooks* m_swap = nullptr;
  uint64_t m_ra_pages = 1;
  std::function<void(Page*, uint64_t)> m_on_unlock;
  sc_core::sc_time m_cpu_cycle;
  Page* m_zero_page = nullptr;
  std::vector<MmStruct*> m_current;
  std::vector<std::unique_ptr<AnonVma>> m_anon_vmas;  // owned here, for the kernel's lifetime
  std::vector<std::unique_ptr<File>> m_files;         // shmem files behind shared anonymous mappings
  MmStats m_stats;
};

}  // namespace pc::kernel
