// The memory manager over simulated memory: page tables, faults, fork/COW with real bytes, rmap, munmap
// and exit, with exact frame and cost accounting. The kernel reaches memory only through its bus; the
// tests play the CPU by reading and writing user bytes straight into the frames the PTEs name.
#include <gtest/gtest.h>

#include "tests/support/mm_rig.h"

using namespace pc;
using namespace pc::kernel;
namespace pg = pc::hw::paging;

namespace {
using test::kReservedFrames;
using test::Rig;
constexpr uint32_t kRW = PROT_READ | PROT_WRITE;
constexpr uint32_t kPrivAnon = MAP_PRIVATE | MAP_ANONYMOUS;
}  // namespace

TEST(MmSim, AnonymousWriteFaultCostsItsTransactionsAndTable) {
  Rig r;
  auto m = r.mm->mm_alloc(r.k);
  const int64_t a = r.mm->do_mmap(*m, 0, 1 << 20, kRW, kPrivAnon, nullptr, 0, r.k);
  ASSERT_EQ(a, static_cast<int64_t>(kMmapBase));
  r.k.delay = sc_core::SC_ZERO_TIME;
  EXPECT_EQ(r.fault(*m, a + 0x123, true), FaultResult::Minor);
  // Walk: 3 entry reads; each missing table (PDPT, PD, PT) is allocated and zeroed (one 4 KiB
  // transaction), then the entry is re-read under page_table_lock and written (__pud_alloc and friends);
  // the PTE is read, the user page zeroed, the PTE re-read under its lock (the pte_same check) and
  // written: 8 reads + 8 writes = 16 transactions of 50 ns (no caches: the fixed memory has no bandwidth
  // limit, a 4 KiB write costs its latency). CPU work: fault_entry 300 + mmap_sem 25 + find_vma 30 +
  // 3 x (page_alloc 80 + page_table_lock 25) + anon_vma_prepare (page_table_lock 25 + anon_vma lock 25)
  // + the user page's page_alloc 80 + one zone lock 25 (the per-CPU list refills by its batch of 3: the
  // PGD and the zero page took 2 of the first 3) + the PTE lock 25 + lru_op 15 + rmap_op 20 = 885 cycles.
  EXPECT_EQ(r.k.delay, sc_core::sc_time(16 * 50, sc_core::SC_NS) + r.cycles(885));
  EXPECT_EQ(m->nr_ptes, 1u);  // Linux counts PTE pages only (__pte_alloc)
  EXPECT_EQ(m->anon_rss, 1u);
  const uint64_t pte = r.mm->read_pte(*m, a, r.k);
  EXPECT_EQ(pte & (pg::kP | pg::kRW | pg::kUS | pg::kA | pg::kD | pg::kNX),
            pg::kP | pg::kRW | pg::kUS | pg::kA | pg::kD | pg::kNX);
  EXPECT_EQ(r.peek(*m, a + 0x120), 0u);  // a zeroed page
  // A second page in the same PTE table: 4 walk reads + the recheck, the page clear and the PTE write
  // (7 transactions); 300 + 25 + 30 + page_alloc 80 + a zone lock 25 (the per-CPU list is empty again)
  // + PTE lock 25 + 15 + 20 = 520 cycles.
  r.k.delay = sc_core::SC_ZERO_TIME;
  EXPECT_EQ(r.fault(*m, a + 0x1000, true), FaultResult::Minor);
  EXPECT_EQ(r.k.delay, sc_core::sc_time(7 * 50, sc_core::SC_NS) + r.cycles(520));
  EXPECT_EQ(r.alloc.events().get(PGFAULT), 2u);
}

TEST(MmSim, ReadFaultMapsZeroPageThenWriteCopiesIt) {
  Rig r;
  auto m = r.mm->mm_alloc(r.k);
  const uint64_t a = static_cast<uint64_t>(r.mm->do_mmap(*m, 0, 8192, kRW, kPrivAnon, nullptr, 0, r.k));
  const int zero_maps = r.mm->zero_page()->mapcount;
  EXPECT_EQ(r.fault(*m, a, false), FaultResult::Minor);
  uint64_t pte = r.mm->read_pte(*m, a, r.k);
  EXPECT_EQ(pg::frame_of(pte), r.map.page_to_phys(r.mm->zero_page()));
  EXPECT_FALSE(pte & pg::kRW);
  EXPECT_EQ(r.mm->zero_page()->mapcount, zero_maps + 1);
  EXPECT_EQ(m->file_rss, 1u);
  // The write: a protection fault on a present read-only PTE -> do_wp_page -> a fresh zeroed page.
  EXPECT_EQ(r.fault(*m, a, true), FaultResult::Minor);
  pte = r.mm->read_pte(*m, a, r.k);
  EXPECT_NE(pg::frame_of(pte), r.map.page_to_phys(r.mm->zero_page()));
  EXPECT_TRUE(pte & pg::kRW);
  EXPECT_EQ(r.mm->zero_page()->mapcount, zero_maps);
  EXPECT_EQ(m->file_rss, 0u);
  EXPECT_EQ(m->anon_rss, 1u);
  EXPECT_EQ(r.mm->stats().cow_copies, 1u);
  EXPECT_EQ(r.root.find("bus.pages_copied")->to_json(), 0);  // zero page: allocate zeroed, nothing to copy
  EXPECT_EQ(r.peek(*m, a), 0u);
}

TEST(MmSim, ForkCowKeepsParentAndChildBytesApart) {
  Rig r;
  auto parent = r.mm->mm_alloc(r.k);
  const uint64_t a = static_cast<uint64_t>(r.mm->do_mmap(*parent, 0, 4096, kRW, kPrivAnon, nullptr, 0, r.k));
  ASSERT_EQ(r.fault(*parent, a, true), FaultResult::Minor);
  r.poke(*parent, a + 8, 0x1111);
  auto child = r.mm->dup_mm(*parent, r.k);
  ASSERT_TRUE(child);
  // Both PTEs now map the same frame read-only; the page has two mappings.
  EXPECT_EQ(r.phys(*parent, a), r.phys(*child, a));
  EXPECT_FALSE(r.mm->read_pte(*parent, a, r.k) & pg::kRW);
  EXPECT_FALSE(r.mm->read_pte(*child, a, r.k) & pg::kA);  // the child's copy starts old
  Page* shared = r.map.phys_to_page(r.phys(*parent, a) & ~0xfffull);
  EXPECT_EQ(shared->page_mapcount(), 2);
  EXPECT_EQ(r.peek(*child, a + 8), 0x1111u);
  // The child writes: COW copy, then its store lands in its own frame.
  ASSERT_EQ(r.fault(*child, a + 8, true), FaultResult::Minor);
  r.poke(*child, a + 8, 0x2222);
  EXPECT_EQ(r.peek(*parent, a + 8), 0x1111u);
  EXPECT_EQ(r.peek(*child, a + 8), 0x2222u);
  EXPECT_EQ(r.mm->stats().cow_copies, 1u);
  // The parent writes: its page is mapped once now, so it is reused, not copied.
  ASSERT_EQ(r.fault(*parent, a + 8, true), FaultResult::Minor);
  r.poke(*parent, a + 8, 0x3333);
  EXPECT_EQ(r.mm->stats().cow_copies, 1u);
  EXPECT_EQ(r.mm->stats().cow_reuses, 1u);
  EXPECT_EQ(r.peek(*child, a + 8), 0x2222u);
  EXPECT_EQ(r.phys(*parent, a) & ~0xfffull, r.map.page_to_phys(shared));
}

TEST(MmSim, RmapFindsAllFourPtesAfterThreeForksAndUnmapsThem) {
  Rig r;
  auto parent = r.mm->mm_alloc(r.k);
  const uint64_t a = static_cast<uint64_t>(r.mm->do_mmap(*parent, 0, 4096, kRW, kPrivAnon, nullptr, 0, r.k));
  ASSERT_EQ(r.fault(*parent, a, true), FaultResult::Minor);
  std::vector<MmStruct*> kids;
  for (int i = 0; i < 3; ++i) kids.push_back(r.mm->dup_mm(*parent, r.k));
  Page* page = r.map.phys_to_page(r.phys(*parent, a) & ~0xfffull);
  r.lru.lru_add_drain_all(r.k);  // the LRU pagevec's reference goes once the page is on the list
  EXPECT_EQ(page->page_mapcount(), 4);
  EXPECT_EQ(page->count, 4);
  std::vector<MmStruct*> all{parent, kids[0], kids[1], kids[2]};
  // Only the parent's PTE is young (children start old): page_referenced counts 1 and clears it.
  EXPECT_EQ(r.mm->page_referenced(page, false, r.k), 1);
  // Set A in all four, as the walker would, then page_referenced must find and clear all four.
  for (MmStruct* m : all) r.bus->fetch_or64(r.mm->pte_addr(*m, a, r.k), pg::kA, r.k);
  EXPECT_EQ(r.mm->page_referenced(page, false, r.k), 4);
  for (MmStruct* m : all) EXPECT_FALSE(r.mm->read_pte(*m, a, r.k) & pg::kA);
  EXPECT_EQ(r.mm->page_referenced(page, false, r.k), 0);
  // As add_to_swap would have done: the page is in the swap cache with entry (type 0, offset 42).
  page->set(PG_swapcache);
  page->private_ = swp_entry(0, 42);
  Lru::get_page(page);
  EXPECT_EQ(r.mm->try_to_unmap(page, r.k), SwapResult::Success);
  for (MmStruct* m : all) {
    const uint64_t pte = r.mm->read_pte(*m, a, r.k);
    EXPECT_EQ(pte, swp_entry(0, 42));
    EXPECT_EQ(swp_offset(pte), 42u);
    EXPECT_EQ(m->anon_rss, 0u);
  }
  EXPECT_FALSE(page->mapped());
  EXPECT_EQ(page->count, 1);  // only the swap cache's reference is left
  EXPECT_EQ(r.mm->stats().unmapped_by_rmap, 4u);
}

TEST(MmSim, TryToUnmapRefusesYoungAndNonSwapCachePages) {
  Rig r;
  auto m = r.mm->mm_alloc(r.k);
  const uint64_t a = static_cast<uint64_t>(r.mm->do_mmap(*m, 0, 4096, kRW, kPrivAnon, nullptr, 0, r.k));
  ASSERT_EQ(r.fault(*m, a, true), FaultResult::Minor);
  Page* page = r.map.phys_to_page(r.phys(*m, a) & ~0xfffull);
  // Young (A set by the fault): SWAP_FAIL, and the A bit is cleared on the way.
  EXPECT_EQ(r.mm->try_to_unmap(page, r.k), SwapResult::Fail);
  EXPECT_FALSE(r.mm->read_pte(*m, a, r.k) & pg::kA);
  // Old but not in the swap cache: unmapping would lose the data, so it fails too.
  EXPECT_EQ(r.mm->try_to_unmap(page, r.k), SwapResult::Fail);
  EXPECT_TRUE(page->mapped());
}

TEST(MmSim, FramesAreConservedThroughMmapForkMunmapExit) {
  Rig r;
  const uint64_t total = r.alloc.total_present();
  auto conserved = [&] {
    r.lru.lru_add_drain_all(r.k);
    EXPECT_EQ(r.alloc.nr_free_pages() + r.frames_in_use(), total);
  };
  const uint64_t free0 = r.alloc.nr_free_pages();
  {
    auto p = r.mm->mm_alloc(r.k);
    // 2 MiB-aligned, so that [a + 2 MiB, a + 4 MiB) is exactly one PTE table.
    const uint64_t a = static_cast<uint64_t>(
        r.mm->do_mmap(*p, 0x40000000, 6 << 20, kRW, kPrivAnon | MAP_FIXED, nullptr, 0, r.k));
    ASSERT_EQ(a, 0x40000000u);
    for (uint64_t off = 0; off < (6u << 20); off += 24576)
      ASSERT_EQ(r.fault(*p, a + off, true), FaultResult::Minor);
    conserved();
    auto c = r.mm->dup_mm(*p, r.k);
    for (uint64_t off = 0; off < (3u << 20); off += 49152)
      ASSERT_EQ(r.fault(*c, a + off, true), FaultResult::Minor);
    conserved();
    // Unmap the middle 2 MiB of the parent: the PTE table of that region must go too.
    const uint64_t pt_before = r.mm->page_table_pages();
    EXPECT_EQ(r.mm->do_munmap(*p, a + (2 << 20), 2 << 20, r.k), 0);
    EXPECT_EQ(r.mm->page_table_pages(), pt_before - 1);
    conserved();
    r.mm->mmput(c, r.k);
    conserved();
    r.mm->mmput(p, r.k);
    conserved();
  }
  r.lru.lru_add_drain_all(r.k);
  EXPECT_EQ(r.mm->page_table_pages(), 0u);
  EXPECT_EQ(r.alloc.nr_free_pages(), free0);  // everything came back
}

TEST(MmSim, SegvAndMprotect) {
  Rig r;
  auto m = r.mm->mm_alloc(r.k);
  const uint64_t a = static_cast<uint64_t>(r.mm->do_mmap(*m, 0, 8192, PROT_READ, kPrivAnon, nullptr, 0, r.k));
  EXPECT_EQ(r.fault(*m, a - 4096, false), FaultResult::SigSegv);  // below, no VMA
  EXPECT_EQ(r.fault(*m, a, true), FaultResult::SigSegv);          // read-only
  EXPECT_EQ(r.fault(*m, a, false, true), FaultResult::SigSegv);   // not executable
  EXPECT_EQ(r.mm->do_mprotect(*m, a + 4096, 4096, kRW, r.k), 0);
  EXPECT_EQ(m->vmas.size(), 2u);  // split at a + 4096
  EXPECT_EQ(r.fault(*m, a + 4096, true), FaultResult::Minor);
  EXPECT_EQ(r.fault(*m, a, true), FaultResult::SigSegv);
  EXPECT_EQ(r.mm->stats().segv, 4u);
  // Taking write permission back makes the present PTE read-only (and flushes it).
  const uint64_t flushes = r.arch.mm_flushes;
  EXPECT_EQ(r.mm->do_mprotect(*m, a + 4096, 4096, PROT_READ, r.k), 0);
  EXPECT_FALSE(r.mm->read_pte(*m, a + 4096, r.k) & pg::kRW);
  EXPECT_EQ(r.arch.mm_flushes, flushes);  // no CPU runs this mm: nothing to flush
}

TEST(MmSim, StackGrowsDownAndBrkMovesTheHeap) {
  Rig r;
  auto m = r.mm->mm_alloc(r.k);
  r.mm->setup_stack(*m, 4 * 4096, r.k);
  const uint64_t low = kStackTop - 4 * 4096;
  EXPECT_EQ(r.fault(*m, low - 3 * 4096 + 8, true), FaultResult::Minor);
  EXPECT_EQ(m->find_vma(low - 3 * 4096)->vm_start, low - 3 * 4096);
  EXPECT_EQ(r.fault(*m, kStackTop - kMaxStackBytes - 4096, true), FaultResult::SigSegv);
  m->start_brk = m->brk = 0x10000000;
  EXPECT_EQ(r.mm->do_brk(*m, 0x10000000 + 10000, r.k), 0x10000000 + 10000);
  EXPECT_EQ(m->find_vma(0x10000000)->vm_end, 0x10000000u + 3 * 4096);
  EXPECT_EQ(r.fault(*m, 0x10002000, true), FaultResult::Minor);
  EXPECT_EQ(r.mm->do_brk(*m, 0x10000000 + 4096, r.k), 0x10000000 + 4096);
  EXPECT_EQ(m->anon_rss, 0u + 1);  // stack page only: the heap page above the new break was unmapped
  EXPECT_EQ(r.fault(*m, 0x10002000, true), FaultResult::SigSegv);
}

TEST(MmSim, SharedAnonymousMappingIsSharedAcrossFork) {
  Rig r;
  auto p = r.mm->mm_alloc(r.k);
  const uint64_t a =
      static_cast<uint64_t>(r.mm->do_mmap(*p, 0, 4096, kRW, MAP_SHARED | MAP_ANONYMOUS, nullptr, 0, r.k));
  ASSERT_EQ(r.fault(*p, a, true), FaultResult::Minor);
  r.poke(*p, a, 7);
  auto c = r.mm->dup_mm(*p, r.k);
  ASSERT_EQ(r.fault(*c, a, true), FaultResult::Minor);  // a spurious fault at most
  r.poke(*c, a, 9);
  EXPECT_EQ(r.peek(*p, a), 9u);
  EXPECT_EQ(r.mm->stats().cow_copies, 0u);
}

TEST(MmSim, TwoCpusFaultingInOnePteTableSpinOnItsLock) {
  // Two CPUs take write faults on two pages of one PTE table at the same instant. Their paths are the
  // same up to the PTE lock (split page_table_lock of that table), so they reach it together: the first
  // holds it for the pte_same re-read (50 ns), lru_op + rmap_op (35 cycles) and the PTE write (50 ns) =
  // 335 cycles at 3 GHz, and the second spins exactly that long, then does the same.
  Rig r;
  auto m = r.mm->mm_alloc(r.k);
  const uint64_t a = static_cast<uint64_t>(r.mm->do_mmap(*m, 0, 1 << 20, kRW, kPrivAnon, nullptr, 0, r.k));
  ASSERT_EQ(r.fault(*m, a, true), FaultResult::Minor);  // the tables and the anon_vma exist from here
  r.alloc.drain_all_pages();  // both CPUs start from empty per-CPU lists: identical paths
  sc_core::sc_start(r.k.delay + sc_core::sc_time(1, sc_core::SC_US));  // past every earlier lock hold
  const auto* spin = r.root.find("locks.page_table_lock.spin_cycles");
  const auto* contended = r.root.find("locks.page_table_lock.contended");
  ASSERT_TRUE(spin && contended);
  EXPECT_EQ(contended->to_json(), 0);
  KCtx k[2] = {KCtx(0), KCtx(1)};
  FaultResult res[2] = {FaultResult::Oom, FaultResult::Oom};
  for (unsigned i = 0; i < 2; ++i)
    sc_core::sc_spawn([&, i] {
      res[i] = r.mm->do_page_fault(*m, a + (i + 1) * kPageSize, pg::kPfWrite | pg::kPfUser, k[i]);
    });
  sc_core::sc_start();
  EXPECT_EQ(res[0], FaultResult::Minor);
  EXPECT_EQ(res[1], FaultResult::Minor);
  EXPECT_EQ(contended->to_json(), 1);
  EXPECT_EQ(spin->to_json(), 335);
  EXPECT_EQ(k[1].delay - k[0].delay,
            sc_core::sc_time(100, sc_core::SC_NS) + r.cycles(35));  // the hold, exactly
  EXPECT_TRUE(r.mm->read_pte(*m, a + kPageSize, r.k) & pg::kP);
  EXPECT_TRUE(r.mm->read_pte(*m, a + 2 * kPageSize, r.k) & pg::kP);
}

TEST(MmSim, ShmemPagesCannotBeWrittenBackWithoutSwap) {
  // shmem's writepage refuses (there is no swap to write to yet): the caller keeps the page; it never
  // comes back as zeros.
  Rig r;
  auto m = r.mm->mm_alloc(r.k);
  const uint64_t a =
      static_cast<uint64_t>(r.mm->do_mmap(*m, 0, 4096, kRW, MAP_SHARED | MAP_ANONYMOUS, nullptr, 0, r.k));
  File* f = m->find_vma(a)->vm_file;
  ASSERT_TRUE(f && f->unlinked_shmem);
  bool done = false;
  EXPECT_EQ(f->backing->writepage(0, kReservedFrames * kPageSize, r.k, [&](int, uint64_t) { done = true; }),
            28);  // ENOSPC
  EXPECT_FALSE(done);
}

TEST(MmSim, MunmapFlushesTheTlbBeforeFreeingPagesAndTables) {
  // Two 2 MiB-aligned regions touched once each: two data pages and two PTE pages. munmap of those 4 MiB
  // (unmap_vmas, free_pgtables, tlb_finish_mmu) flushes the TLB while every one of them is still
  // allocated, so no TLB or paging-structure-cache entry can point into a freed frame; they are freed
  // right after the flush.
  Rig r;
  auto m = r.mm->mm_alloc(r.k);
  m->cpu_vm_mask = 1;  // loaded on CPU 0: a flush has a CPU to reach
  const uint64_t a = static_cast<uint64_t>(r.mm->do_mmap(*m, 0, 8 << 20, kRW, kPrivAnon, nullptr, 0, r.k));
  const uint64_t b = (a + (2 << 20) - 1) & ~uint64_t{(2 << 20) - 1};
  ASSERT_EQ(r.fault(*m, b, true), FaultResult::Minor);
  ASSERT_EQ(r.fault(*m, b + (2 << 20), true), FaultResult::Minor);
  EXPECT_EQ(m->nr_ptes, 2u);
  const uint64_t before = r.frames_in_use();
  uint64_t at_flush = 0;
  r.arch.on_flush_mm = [&] { at_flush = r.frames_in_use(); };
  ASSERT_EQ(r.mm->do_munmap(*m, b, 4 << 20, r.k), 0);
  EXPECT_EQ(r.arch.mm_flushes, 1u);
  EXPECT_EQ(at_flush, before);
  // The two pages and their two PTE pages go (each PTE page covers 2 MiB inside the hole); the PD and
  // PDPT stay for the rest of the mapping.
  EXPECT_EQ(r.frames_in_use(), before - 4);
  EXPECT_EQ(m->nr_ptes, 0u);
}
