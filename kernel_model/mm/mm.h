// The memory manager: the shared core object of the modeled mm (its bus, allocator, LRU, locks, costs)
// with its functions implemented in files named after Linux's: pgtable.cpp (page tables and the PTE
// primitives), memory.cpp (faults, zap, copy_page_range), mmap.cpp (mmap, munmap, brk, exit_mmap,
// the mm's life), mprotect.cpp, rmap.cpp, filemap.cpp (page cache, readahead, read/write, filemap_nopage),
// shmem.cpp (shared anonymous memory), fork.cpp (dup_mm). Every page-table access, page clear and copy
// is a transaction on the kernel bus, on the CPU the path runs on.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "kernel_model/hal/kernel_bus.h"
#include "kernel_model/kernel/wait.h"
#include "kernel_model/kernel_config.h"
#include "kernel_model/mm/arch.h"
#include "kernel_model/mm/mm_types.h"
#include "kernel_model/mm/swap.h"
#include "kernel_model/mm/swapfile.h"
#include "platform/hwdefs/trap.h"

namespace pc::kernel {

// The user address-space layout (x86-64, 47-bit user half).
constexpr uint64_t TASK_SIZE = 0x00007ffffffff000ull;
constexpr uint64_t kMmapBase = 0x00002aaaaaaab000ull;  // TASK_UNMAPPED_BASE = TASK_SIZE / 3, page aligned
constexpr uint64_t kStackTop = 0x00007ffffffde000ull;
constexpr uint64_t kStackGuardGap = 64 * 1024;   // accesses this far below %rsp may grow the stack
constexpr uint64_t kMaxStackBytes = 8ull << 20;  // RLIMIT_STACK
constexpr uint64_t MMAP_LOTSAMISS = 100;         // filemap_nopage gives up read-around after this

// VM_FAULT_* of handle_mm_fault, plus the outcomes of the arch handler (a signal).
enum class FaultResult { Minor, Major, SigSegv, SigBus, Oom };

enum class SwapResult { Success, Again, Fail };  // try_to_unmap

// x86-64 swap entry in a non-present PTE (include/asm-x86_64/pgtable.h): type in bits 1..5, offset from
// bit 8. Bit 0 (P) is clear and the entry is non-zero.
constexpr uint64_t swp_entry(unsigned type, uint64_t offset) {
  return (uint64_t{type} << 1) | (offset << 8);
}
constexpr unsigned swp_type(uint64_t pte) {
  return static_cast<unsigned>((pte >> 1) & 0x1f);
}
constexpr uint64_t swp_offset(uint64_t pte) {
  return pte >> 8;
}

// How swap I/O reaches the disks (the kernel implements it with the block layer): one bio of one page.
class SwapIo {
 public:
  virtual ~SwapIo() = default;
  // done(error, completion time in fs); `block` in PAGE_SIZE units of disk `disk`.
  using Done = std::function<void(int, uint64_t)>;
  virtual void submit(unsigned disk, uint64_t block, bool write, uint64_t pa, KCtx& k, Done done) = 0;
  // swap_unplug_io_fn: a task about to sleep on a swap page kicks its device's queue.
  virtual void unplug(unsigned disk, KCtx& k) = 0;
};

// swap_cache_info (mm/swap_state.c) and the swap statistics the model adds.
struct SwapStats {
  uint64_t add_total = 0, del_total = 0, find_success = 0, find_total = 0;
  uint64_t exist_race = 0, noent_race = 0;
  uint64_t ra_pages = 0, ra_used = 0,
           ra_wasted = 0;     // swap-in readahead pages read, later hit, dropped unused
  uint64_t major_faults = 0;  // faults that read their page from swap (do_swap_page, shmem)
  uint64_t read_errors = 0, write_errors = 0, sigbus = 0;
  uint64_t shmem_swapout = 0, shmem_swapin = 0;
  uint64_t unuse_pages = 0, unuse_mm_scans = 0;    // try_to_unuse: pages brought back, mms searched
  uint64_t token_grabs = 0, token_referenced = 0;  // the swap token changed hands; pages it kept
};

struct MmStats {
  uint64_t anon_faults = 0, zero_page_maps = 0, cow_copies = 0, cow_reuses = 0, file_faults = 0;
  uint64_t segv = 0, oom = 0;
  uint64_t pt_pages_allocated = 0, pt_pages_freed = 0;
  uint64_t pte_reads = 0, pte_writes = 0;
  uint64_t forks = 0, exits = 0;
  uint64_t tlb_page_flushes = 0, tlb_mm_flushes = 0;
  uint64_t page_referenced_calls = 0, young_cleared = 0, unmapped_by_rmap = 0;
  // File rmap walks (page_referenced_file, try_to_unmap_file): walks, the VMAs they visited (each covers
  // the page) and the i_mmap prio tree nodes they read.
  uint64_t rmap_file_walks = 0, rmap_file_vmas = 0, prio_tree_nodes = 0;
  uint64_t msync_pages_dirtied = 0;  // pages msync found dirty in PTEs and marked dirty
  uint64_t readahead_pages = 0, readaround_pages = 0, page_cache_hits = 0, page_cache_misses = 0;
  uint64_t lock_page_waits = 0;
};

class MemoryManager {
 public:
  MemoryManager(KernelBus& bus, Lru& lru, ArchOps& arch, const KernelCosts& costs, const VmConfig& vm,
                LockClasses& locks);

  // The CPUs (for copy_to_user through a core's MMU) and the clock the cost table is in.
  void set_cpus(std::vector<hw::Cpu*> cpus, sc_core::sc_time cpu_cycle);
  // Boot: the shared zero page (a reserved, zeroed frame).
  void init_zero_page(KCtx& k);
  Page* zero_page() const { return m_zero_page; }
  // Swap: the areas, the I/O path, page_cluster (swap-in readahead of 2^n slots), the swap token's
  // timeout in jiffies (0: off) and the jiffy length. Without this call there is no swap.
  void set_swap(SwapAreas* areas, SwapIo* io, unsigned page_cluster, uint64_t token_timeout_j,
                sc_core::sc_time jiffy);
  // The write completion of a swap-out (vmscan's end_page_writeback, rotating PG_reclaim pages).
  void set_end_writeback(std::function<void(Page*, const sc_core::sc_time&)> fn) { m_end_wb = std::move(fn); }
  // Writeback hooks: a page-cache page of a file went clean -> dirty (__mark_inode_dirty), and write()
  // dirtied one more page (balance_dirty_pages_ratelimited).
  void set_writeback_hooks(std::function<void(File&)> dirtied, std::function<void(File&, KCtx&)> balance) {
    m_on_dirtied = std::move(dirtied);
    m_on_write = std::move(balance);
  }

  // The life of an mm (kernel/fork.c): mm_users counts its tasks, mm_count the references to the
  // struct (a lazy-TLB CPU holds one). The last mmput tears the address space down (exit_mmap); the last
  // mmdrop frees the PGD and the struct.
  MmStruct* mm_alloc(KCtx& k);  // an empty mm with a fresh PGD, owned here
  void mmput(MmStruct* mm, KCtx& k);
  void mmdrop(MmStruct* mm, KCtx& k);
  MmStruct* dup_mm(MmStruct& old, KCtx& k);  // fork: copy VMAs, share pages COW (nullptr: no memory)
  size_t live_mms() const { return m_mms.size(); }
  // For inspection (tests, summaries): every live mm and every file, in no particular order.
  std::vector<MmStruct*> mms() const {
    std::vector<MmStruct*> v;
    for (const auto& e : m_mms) v.push_back(e.first);
    return v;
  }
  File* find_file(const std::string& name) const {
    for (const auto& f : m_files)
      if (f->name == name) return f.get();
    return nullptr;
  }

  // System-call bodies (each takes mmap_sem itself); errors are negative errnos (Linux convention).
  int64_t do_mmap(MmStruct& mm, uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags, File* file,
                  uint64_t pgoff, KCtx& k);
  int64_t do_munmap(MmStruct& mm, uint64_t addr, uint64_t len, KCtx& k);
  int64_t do_mprotect(MmStruct& mm, uint64_t addr, uint64_t len, uint32_t prot, KCtx& k);
  int64_t do_brk(MmStruct& mm, uint64_t new_brk, KCtx& k);  // sys_brk: returns the new break
  // msync_interval (msync.cpp): moves the PTE Dirty bits of [start, end) of a shared file VMA into its
  // pages; returns how many pages became dirty, or -EBUSY (MS_INVALIDATE of a locked VMA). mmap_sem held.
  int64_t msync_interval(Vma& vma, uint64_t start, uint64_t end, uint32_t flags, KCtx& k);
  void setup_stack(MmStruct& mm, uint64_t size, KCtx& k);  // an initial VM_GROWSDOWN stack VMA

  // do_page_fault (arch/x86_64/mm/fault.c): mmap_sem, find_vma, stack growth, access checks, then
  // handle_mm_fault. `user`: the fault came from user mode (else from a kernel copy to user memory).
  FaultResult do_page_fault(MmStruct& mm, uint64_t va, uint32_t error_code, KCtx& k);
  // __handle_mm_fault, with mmap_sem held.
  FaultResult handle_mm_fault(MmStruct& mm, Vma& vma, uint64_t va, bool write, KCtx& k);

  // read()/write() through the page cache (do_generic_mapping_read / generic_file_buffered_write): the
  // bytes move between the page cache and the user buffer through the task's own page tables on its core.
  int64_t do_generic_mapping_read(MmStruct& mm, File& f, uint64_t pos, uint64_t len, uint64_t user_buf,
                                  KCtx& k);
  int64_t generic_file_buffered_write(MmStruct& mm, File& f, uint64_t pos, uint64_t len, uint64_t user_buf,
                                      KCtx& k);

  // Reverse mapping (spec §8.2, §8.3).
  int page_referenced(Page* page, bool is_locked, KCtx& k);
  SwapResult try_to_unmap(Page* page, KCtx& k);

  // The page lock and page wait queues (mm/filemap.c): lock_page sleeps (kicking the I/O queue first)
  // until it owns PG_locked; unlock_page wakes the sleepers at `at`.
  void lock_page(Page* page, KCtx& k, hw::Charge why = hw::Charge::IoWait);
  // Test-only negative control: lock_page sleeps without looking at PG_locked again after its queue
  // kick (the lost wake-up this model once had), so a test can show the hung-task check catches it.
  void set_skip_lock_recheck(bool on) { m_skip_lock_recheck = on; }
  // What a sleeper on wait queue `wq` waits for, for error messages ("" when it is no page's queue).
  std::string describe_page_wait(const void* wq);
  bool trylock_page(Page* page) { return !page->test_and_set(PG_locked); }
  void unlock_page(Page* page, const sc_core::sc_time& at);
  void wait_on_page_locked(Page* page, KCtx& k);
  void sync_page(Page* page, KCtx& k);
  void wait_on_page_writeback(Page* page, KCtx& k);
  // wake_up_page: sleepers on the page's wait queue (end_page_writeback's wake-up for PG_writeback).
  void wake_up_page(Page* page, const sc_core::sc_time& at);

  // Scheduler hook: the address-space switch onto `next` on `cpu` (switch_mm, or enter_lazy_tlb for a
  // kernel thread, which keeps the mm the CPU has loaded).
  void switch_mm(unsigned cpu, MmStruct* next_mm, MmStruct*& active_mm, KCtx& k);
  MmStruct* loaded_mm(unsigned cpu) const { return cpu < m_loaded.size() ? m_loaded[cpu] : nullptr; }

  // Swap (swap_state.cpp, page_io.cpp, swapfile's page-level functions in swapoff.cpp, thrash.cpp).
  SwapAreas* swap_areas() const { return m_swap; }
  AddressSpace& swapper_space() { return m_swapper_space; }
  const SwapStats& swap_stats() const { return m_swap_stats; }
  uint64_t total_swapcache_pages() const { return m_swapper_space.nrpages; }
  // add_to_swap(page, GFP_ATOMIC) for reclaim: the locked anonymous page joins the swap cache, dirty.
  bool add_to_swap(Page* page, KCtx& k);
  // swap_writepage: the page (locked, PG_dirty cleared by pageout) is written to its slot, or dropped
  // from the swap cache without I/O when no one else refers to the slot. Unlocks the page.
  void swap_writepage(Page* page, KCtx& k);
  // shmem_writepage: moves a shmem page to the swap cache (false: no swap space, page still locked).
  bool shmem_writepage(Page* page, KCtx& k);
  void __delete_from_swap_cache(Page* page, KCtx& k);  // tree_lock held by the caller
  void delete_from_swap_cache(Page* page, KCtx& k);
  Page* lookup_swap_cache(uint64_t entry, KCtx& k);
  bool can_share_swap_page(Page* page);
  bool remove_exclusive_swap_page(Page* page, KCtx& k);
  void free_swap_and_cache(uint64_t entry, KCtx& k);
  bool swap_duplicate(uint64_t entry, KCtx& k);
  void swap_free(uint64_t entry, KCtx& k);
  // sys_swapon / sys_swapoff (the area given by type); negative errno on failure, `why` says why.
  int sys_swapon(const SwapOnRequest& rq, std::string& why, KCtx& k);
  int64_t sys_swapoff(unsigned type, std::string& why, KCtx& k);
  // The swap token (mm/thrash.c).
  void grab_swap_token(MmStruct& mm, KCtx& k);
  void put_swap_token(MmStruct& mm, KCtx& k);
  void disable_swap_token();
  bool has_swap_token(const MmStruct& mm) const { return m_swap_token_mm == &mm; }

  // Page-table inspection (walks through the bus): the PTE value for `va`, or 0 if a level is missing.
  uint64_t read_pte(MmStruct& mm, uint64_t va, KCtx& k);
  uint64_t pte_addr(MmStruct& mm, uint64_t va, KCtx& k);  // physical address of the PTE, 0 if missing

  // invalidate_mapping_pages over the whole mapping (truncate.cpp): frees its clean, unmapped, unlocked
  // pages; returns how many.
  uint64_t invalidate_mapping_pages(AddressSpace& as, KCtx& k);

  // Files (the page cache's owners).
  File* new_file(const std::string& name, std::unique_ptr<FileBacking> backing);
  Page* find_get_page(AddressSpace& as, uint64_t index, KCtx& k);

  Lru& lru() { return m_lru; }
  PageAllocator& allocator() { return m_lru.allocator(); }
  MemMap& mem_map() { return allocator().mem_map(); }
  KernelBus& bus() { return m_bus; }
  const MmStats& stats() const { return m_stats; }
  // Frames allocated to page tables (all levels, PGDs included) right now.
  uint64_t page_table_pages() const { return m_stats.pt_pages_allocated - m_stats.pt_pages_freed; }
  // Time each CPU has spent in flush_tlb_page (reclaim splits its rmap time from its shootdowns).
  uint64_t tlb_flush_fs(unsigned cpu) const { return cpu < m_flush_fs.size() ? m_flush_fs[cpu] : 0; }
  // put_page with its cost (page_free when it frees the page).
  void put_page(Page* p, KCtx& k);
  void cost(uint64_t cycles, KCtx& k) { k.delay += m_cpu_cycle * static_cast<double>(cycles); }

 private:
  // The gathered frees of an unmap (mmu_gather): pages and page-table pages are released only after the
  // TLB flush, so no CPU can still reach a freed frame or a freed table through a cached entry.
  struct MmuGather {
    explicit MmuGather(MmStruct* m) : mm(m) {}
    MmStruct* mm;
    bool need_flush = false;
    std::vector<Page*> pages;
  };
  void tlb_finish_mmu(MmuGather& tlb, KCtx& k);

  // Page tables (mm/memory.c: __pud_alloc, __pmd_alloc, __pte_alloc; free_pgtables).
  uint64_t alloc_table(KCtx& k);  // a zeroed frame, or 0 when memory is exhausted
  // Walks to the PTE of `va`, allocating missing tables when `alloc`; returns its physical address,
  // 0 when a level is missing (or allocation failed).
  uint64_t walk(MmStruct& mm, uint64_t va, bool alloc, KCtx& k);
  Spinlock& pte_lockptr(MmStruct& mm, uint64_t pte_pa);
  uint64_t get_pte(uint64_t pte_pa, KCtx& k);
  void set_pte(uint64_t pte_pa, uint64_t v, KCtx& k);
  uint64_t ptep_get_and_clear(uint64_t pte_pa, KCtx& k);  // returns the old entry
  bool ptep_test_and_clear_young(uint64_t pte_pa, KCtx& k);
  bool ptep_test_and_clear_dirty(uint64_t pte_pa, KCtx& k);
  void ptep_set_wrprotect(uint64_t pte_pa, KCtx& k);
  bool ptep_clear_flush_young(MmStruct& mm, uint64_t addr, uint64_t pte_pa, KCtx& k);
  bool ptep_clear_flush_dirty(MmStruct& mm, uint64_t addr, uint64_t pte_pa, KCtx& k);
  uint64_t ptep_clear_flush(MmStruct& mm, uint64_t addr, uint64_t pte_pa, FlushCause why, KCtx& k);
  void free_pgtables(MmStruct& mm, uint64_t start, uint64_t end, MmuGather& tlb, KCtx& k);
  bool free_table_level(MmStruct& mm, uint64_t table_pa, unsigned level, uint64_t base, uint64_t start,
                        uint64_t end, MmuGather& tlb, KCtx& k);

  // Faults.
  FaultResult handle_pte_fault(MmStruct& mm, Vma& vma, uint64_t va, uint64_t pte_pa, uint64_t entry,
                               bool write, KCtx& k);
  FaultResult do_anonymous_page(MmStruct& mm, Vma& vma, uint64_t va, uint64_t pte_pa, bool write, KCtx& k);
  FaultResult do_no_page(MmStruct& mm, Vma& vma, uint64_t va, uint64_t pte_pa, bool write, KCtx& k);
  FaultResult do_swap_page(MmStruct& mm, Vma& vma, uint64_t va, uint64_t pte_pa, uint64_t orig_pte,
                           bool write, KCtx& k);
  // Entered with the PTE lock held (it is released on return).
  FaultResult do_wp_page(MmStruct& mm, Vma& vma, uint64_t va, uint64_t pte_pa, uint64_t orig_pte,
                         Spinlock& ptl, KCtx& k);
  bool expand_stack(Vma& vma, uint64_t va);
  Page* alloc_user_page(bool zero, KCtx& k);
  uint64_t mk_pte(const Page* page, uint32_t vm_flags, bool writable);

  // Page cache and readahead (mm/filemap.c, mm/readahead.c).
  Page* filemap_nopage(Vma& vma, uint64_t va, bool& major, bool& sigbus, KCtx& k);
  Page* shmem_nopage(Vma& vma, uint64_t va, bool& sigbus, KCtx& k);  // shmem.cpp
  bool add_to_page_cache(Page* page, AddressSpace& as, uint64_t index, KCtx& k);
  // __do_page_cache_readahead: reads the missing pages of [start, start + nr) (clipped at EOF); returns
  // how many it started.
  uint64_t do_page_cache_readahead(File& f, uint64_t start, uint64_t nr, KCtx& k);
  uint64_t page_cache_readahead(File& f, FileRaState& ra, uint64_t offset, uint64_t req_size, KCtx& k);
  uint64_t blockable_page_cache_readahead(File& f, FileRaState& ra, uint64_t offset, uint64_t nr, KCtx& k);
  bool make_ahead_window(File& f, FileRaState& ra, bool force, KCtx& k);
  uint64_t max_sane_readahead(uint64_t nr) const;
  // page_cache_read: a page-cache page for `index`, locked, its read started (mapping->readpage).
  bool page_cache_read(File& f, uint64_t index, KCtx& k);
  // Reads a locked page the caller owns and waits for the data (prepare_write of a partial page).
  bool read_page_sync(File& f, Page* page, KCtx& k);
  bool invalidate_complete_page(AddressSpace& as, Page* page, KCtx& k);
  // copy_to_user / copy_from_user in line-sized pieces through the task's MMU on its core; a fault is
  // handled and the piece retried, as an exception-table fixup does. False on an unfixable fault.
  bool copy_user(MmStruct& mm, uint64_t user_va, uint64_t kernel_pa, uint64_t len, bool to_user, KCtx& k);
  void set_page_dirty(Page* page);
  WaitQueue& page_waitqueue(Page* page) { return m_page_wq[page]; }

  // VMAs.
  // `dup_of`: fork's copy of that VMA (a file VMA joins its vm_set list instead of a tree insertion).
  Vma* insert_vma(MmStruct& mm, std::unique_ptr<Vma> v, KCtx& k, Vma* dup_of = nullptr);
  void split_vma(MmStruct& mm, Vma& vma, uint64_t addr, KCtx& k);  // vma keeps [start, addr)
  void remove_vma(MmStruct& mm, Vma& vma, KCtx& k);
  uint64_t get_unmapped_area(MmStruct& mm, uint64_t len) const;
  File* create_shmem_file(uint64_t len);  // shmem.cpp
  void anon_vma_prepare(MmStruct& mm, Vma& vma, KCtx& k);
  void link_vma_rmap(Vma& vma, Vma* dup_of, KCtx& k);
  void unlink_vma_rmap(Vma& vma, KCtx& k);
  void init_mapping(AddressSpace& as);

  // Unmapping and copying.
  void unmap_vmas(MmStruct& mm, Vma& vma, uint64_t start, uint64_t end, MmuGather& tlb, KCtx& k);
  int64_t do_munmap_locked(MmStruct& mm, uint64_t addr, uint64_t len, KCtx& k);
  bool copy_page_range(MmStruct& dst, MmStruct& src, Vma& vma, KCtx& k);
  void change_protection(MmStruct& mm, Vma& vma, uint64_t start, uint64_t end, KCtx& k);
  void exit_mmap(MmStruct& mm, KCtx& k);

  // Swap cache and I/O internals.
  int add_to_swap_cache(Page* page, uint64_t entry, KCtx& k);    // 0, -EEXIST, -ENOENT
  int __add_to_swap_cache(Page* page, uint64_t entry, KCtx& k);  // 0, -EEXIST
  Page* read_swap_cache_async(uint64_t entry, KCtx& k);
  void swapin_readahead(uint64_t entry, KCtx& k);
  void swap_readpage(Page* page, KCtx& k);
  // The disk and PAGE_SIZE block of a slot (map_swap_page, under swap_lock).
  std::pair<unsigned, uint64_t> swap_location(uint64_t entry, KCtx& k);
  void free_swap_cache(Page* page, KCtx& k);  // free_pages_and_swap_cache's step for one page
  void add_to_mmlist(MmStruct& mm, KCtx& k);
  uint64_t jiffies() const;
  // try_to_unuse and its helpers (swapoff.cpp).
  int try_to_unuse(unsigned type, KCtx& k);
  bool unuse_mm(MmStruct& mm, uint64_t entry, Page* page, KCtx& k);
  bool shmem_unuse(uint64_t entry, Page* page, KCtx& k);
  Page* shmem_swapin(File& f, uint64_t idx, uint64_t entry, bool& sigbus, bool& oom, KCtx& k);

  // Reverse-mapping primitives (NR_ANON_PAGES / NR_FILE_MAPPED follow the first and last mapping).
  void page_add_new_anon_rmap(Page* page, Vma& vma, uint64_t addr);
  void page_add_anon_rmap(Page* page, Vma& vma, uint64_t addr);
  void page_add_file_rmap(Page* page);
  void page_remove_rmap(Page* page);
  int page_referenced_one(Page* page, Vma& vma, int& mapcount, KCtx& k);
  SwapResult try_to_unmap_one(Page* page, Vma& vma, KCtx& k);
  int page_referenced_file(Page* page, int mapcount, KCtx& k);
  SwapResult try_to_unmap_file(Page* page, KCtx& k);
  // vma_prio_tree_foreach's step over a file page's VMAs, counted and charged: rmap_op per VMA and
  // prio_tree_node per tree node read since the last step (`charged`: the nodes charged so far).
  Vma* next_file_vma(VmaPrioTreeIter& it, uint64_t& charged, KCtx& k);

  void flush_tlb_page(MmStruct& mm, uint64_t va, FlushCause why, KCtx& k);
  void flush_tlb_mm(MmStruct& mm, FlushCause why, KCtx& k);

  KernelBus& m_bus;
  Lru& m_lru;
  ArchOps& m_arch;
  KernelCosts m_costs;
  VmConfig m_vm;
  LockClasses& m_locks;
  SwapAreas* m_swap = nullptr;
  SwapIo* m_swap_io = nullptr;
  unsigned m_page_cluster = 3;
  std::unique_ptr<Spinlock> m_swap_lock, m_mmlist_lock;
  AddressSpace m_swapper_space;
  std::vector<MmStruct*> m_mmlist;  // init_mm.mmlist: mms that may hold swap entries, in insertion order
  std::unordered_map<Page*, bool> m_ra_pending;  // readahead pages not yet used by a fault
  SwapStats m_swap_stats;
  std::function<void(Page*, const sc_core::sc_time&)> m_end_wb;
  // mm/thrash.c: the holder (nullptr: nobody, init_mm in Linux) and its jiffy deadlines.
  MmStruct* m_swap_token_mm = nullptr;
  uint64_t m_swap_token_check = 0, m_swap_token_timeout = 0, m_swap_token_default_timeout = 0;
  sc_core::sc_time m_jiffy;
  std::vector<hw::Cpu*> m_cpus;
  sc_core::sc_time m_cpu_cycle;
  Page* m_zero_page = nullptr;
  std::vector<MmStruct*> m_loaded;  // the mm each CPU has loaded in CR3 (holding an mm_count)
  std::unordered_map<MmStruct*, std::unique_ptr<MmStruct>> m_mms;
  std::vector<std::unique_ptr<AnonVma>> m_anon_vmas;  // owned here, for the kernel's lifetime
  std::vector<std::unique_ptr<File>> m_files;         // every file: the scenario's and shmem's
  std::unordered_map<Page*, WaitQueue> m_page_wq;     // page_waitqueue (hashed in Linux)
  MmStats m_stats;
  bool m_skip_lock_recheck = false;
  std::vector<uint64_t> m_flush_fs;
  std::function<void(File&)> m_on_dirtied;
  std::function<void(File&, KCtx&)> m_on_write;
};

}  // namespace pc::kernel
