// Swap in the memory manager (spec §9-§11), driven step by step as reclaim and faults drive it: a page's
// bytes through a swap device and back, swap_map counts through fork, exit and munmap, readahead's
// window, can_share_swap_page on write faults, and I/O errors. The device is a map of blocks that
// completes at once (the platform tests use the real disks).
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "tests/support/mm_rig.h"

using namespace pc;
using namespace pc::kernel;
namespace pg = pc::hw::paging;

namespace {
constexpr uint32_t kRW = PROT_READ | PROT_WRITE;
constexpr uint32_t kPrivAnon = MAP_PRIVATE | MAP_ANONYMOUS;

// Blocks of 4 KiB in a map; bad blocks fail in the direction given.
struct FakeSwapDev : SwapIo {
  mem::BackingStore& store;
  std::map<uint64_t, std::vector<uint8_t>> blocks;
  std::set<uint64_t> bad_read, bad_write;
  uint64_t reads = 0, writes = 0;
  std::vector<uint64_t> read_blocks;
  explicit FakeSwapDev(mem::BackingStore& s) : store(s) {}
  void submit(unsigned, uint64_t block, bool write, uint64_t pa, KCtx& k, Done done) override {
    if (write) {
      ++writes;
      if (bad_write.count(block)) return done(5, k.now().value());
      auto& b = blocks[block];
      b.resize(kPageSize);
      store.read(pa, b.data(), kPageSize);
    } else {
      ++reads;
      read_blocks.push_back(block);
      if (bad_read.count(block)) return done(5, k.now().value());
      auto it = blocks.find(block);
      std::vector<uint8_t> zero(kPageSize, 0);
      store.write(pa, it == blocks.end() ? zero.data() : it->second.data(), kPageSize);
    }
    done(0, k.now().value());
  }
  void unplug(unsigned, KCtx&) override {}
};

struct SwapRig : test::Rig {
  SwapAreas areas;
  FakeSwapDev dev{store};
  uint64_t ended = 0;
  static constexpr uint64_t kBlock0 = 100000;  // where the area starts on the device
  explicit SwapRig(uint64_t area_pages = 4096) {
    mm->set_swap(&areas, &dev, 3, 0, sc_core::sc_time(4, sc_core::SC_MS));
    mm->set_end_writeback([this](Page* p, const sc_core::sc_time&) {
      // end_page_writeback without the rotation (no vmscan here).
      p->clear(PG_reclaim);
      p->clear(PG_writeback);
      alloc.mod_zone_page_state(p, NR_WRITEBACK, -1);
      ++ended;
    });
    SwapHeaderInfo h;
    h.last_page = static_cast<uint32_t>(area_pages - 1);
    const auto hdr = mkswap_header(h);
    SwapOnRequest rq;
    rq.name = "test-area";
    rq.area_pages = area_pages;
    rq.extents = {{0, area_pages, kBlock0}};
    rq.header = hdr.data();
    std::string why;
    EXPECT_EQ(mm->sys_swapon(rq, why, k), 0) << why;
  }
  Page* page_at(MmStruct& m, uint64_t va) { return map.phys_to_page(pg::frame_of(mm->read_pte(m, va, k))); }
  // What shrink_page_list does to one mapped anonymous page: lock, age (the young bit would make
  // try_to_unmap refuse), add_to_swap, unmap everywhere, pageout, and remove_mapping once written.
  uint64_t swap_out(MmStruct& m, uint64_t va) {
    lru.lru_add_drain(k);  // on the LRU, as reclaim finds it (no pagevec reference)
    Page* p = page_at(m, va);
    Lru::get_page(p);  // the isolation's reference
    EXPECT_TRUE(mm->trylock_page(p));
    mm->page_referenced(p, true, k);
    EXPECT_TRUE(mm->add_to_swap(p, k));
    const uint64_t entry = p->private_;
    EXPECT_EQ(mm->try_to_unmap(p, k), SwapResult::Success);
    EXPECT_TRUE(p->test_and_clear(PG_dirty));  // clear_page_dirty_for_io
    mm->swap_writepage(p, k);                  // unlocks; the fake device completes at once
    EXPECT_FALSE(p->test(PG_writeback));
    // remove_mapping.
    EXPECT_TRUE(mm->trylock_page(p));
    EXPECT_EQ(p->count, 2);  // the swap cache's and the isolation's
    {
      SpinGuard g(*mm->swapper_space().tree_lock, k);
      mm->__delete_from_swap_cache(p, k);
    }
    mm->swap_free(entry, k);
    --p->count;
    mm->unlock_page(p, k.now());
    mm->put_page(p, k);  // frees it
    EXPECT_EQ(p->count, 0);
    return entry;
  }
};
}  // namespace

TEST(SwapMmSim, AnonymousPageComesBackBitIdenticalAndTheSlotIsReleased) {
  SwapRig r;
  auto m = r.mm->mm_alloc(r.k);
  const int64_t a = r.mm->do_mmap(*m, 0, 64 * kPageSize, kRW, kPrivAnon, nullptr, 0, r.k);
  for (uint64_t i = 0; i < 4; ++i) {
    ASSERT_EQ(r.fault(*m, a + i * kPageSize, true), FaultResult::Minor);
    for (uint64_t o = 0; o < kPageSize; o += 8) r.poke(*m, a + i * kPageSize + o, (i << 32) ^ o ^ 0x5a5a);
  }
  const uint64_t in_use = r.frames_in_use();
  const uint64_t entry = r.swap_out(*m, a + kPageSize);
  EXPECT_EQ(r.frames_in_use(), in_use - 1);
  EXPECT_EQ(r.mm->read_pte(*m, a + kPageSize, r.k), entry);  // the PTE holds the swap entry
  EXPECT_EQ(r.areas.swap_count(entry), 1);                   // that PTE's reference only
  EXPECT_EQ(m->anon_rss, 3u);
  EXPECT_EQ(r.alloc.events().get(PSWPOUT), 1u);
  EXPECT_EQ(r.dev.writes, 1u);
  // The fault reads the slot (readahead window 1..7 stops at slot 2, free): one read, a major fault.
  EXPECT_EQ(r.fault(*m, a + kPageSize + 8, false), FaultResult::Major);
  EXPECT_EQ(r.dev.reads, 1u);
  EXPECT_EQ(r.alloc.events().get(PSWPIN), 1u);
  EXPECT_EQ(r.alloc.events().get(PGMAJFAULT), 1u);
  for (uint64_t o = 0; o < kPageSize; o += 8)
    ASSERT_EQ(r.peek(*m, a + kPageSize + o), (1ull << 32) ^ o ^ 0x5a5a);
  // Mapped read-only (a private mapping), still in the swap cache, which holds the slot.
  const uint64_t pte = r.mm->read_pte(*m, a + kPageSize, r.k);
  EXPECT_TRUE(pte & pg::kP);
  EXPECT_FALSE(pte & pg::kRW);
  Page* p = r.page_at(*m, a + kPageSize);
  EXPECT_TRUE(p->test(PG_swapcache));
  EXPECT_EQ(r.areas.swap_count(entry), 1);  // the cache's
  // A write: this PTE is the only user (can_share_swap_page), so the page is reused, not copied.
  EXPECT_EQ(r.fault(*m, a + kPageSize, true), FaultResult::Minor);
  EXPECT_EQ(r.page_at(*m, a + kPageSize), p);
  EXPECT_EQ(r.mm->stats().cow_reuses, 1u);
  // munmap: the page leaves its mapping and the swap cache (free_swap_cache), the slot is free.
  EXPECT_EQ(r.mm->do_munmap(*m, a, 64 * kPageSize, r.k), 0);
  EXPECT_EQ(r.areas.nr_swap_pages(), r.areas.total_swap_pages());
  EXPECT_EQ(r.mm->total_swapcache_pages(), 0u);
  EXPECT_EQ(r.areas.bad_free_attempts(), 0u);
}

TEST(SwapMmSim, SwapMapCountsFollowForkExitAndMunmap) {
  SwapRig r;
  auto parent = r.mm->mm_alloc(r.k);
  const int64_t a = r.mm->do_mmap(*parent, 0, 16 * kPageSize, kRW, kPrivAnon, nullptr, 0, r.k);
  for (uint64_t i = 0; i < 2; ++i) {
    ASSERT_EQ(r.fault(*parent, a + i * kPageSize, true), FaultResult::Minor);
    r.poke(*parent, a + i * kPageSize, 1000 + i);
  }
  const uint64_t e0 = r.swap_out(*parent, a);
  EXPECT_EQ(r.areas.swap_count(e0), 1);
  // fork: copy_one_pte duplicates the swap PTE; the child joins the mmlist.
  MmStruct* child = r.mm->dup_mm(*parent, r.k);
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(r.areas.swap_count(e0), 2);
  EXPECT_EQ(r.mm->read_pte(*child, a, r.k), e0);
  EXPECT_TRUE(child->on_mmlist);
  EXPECT_TRUE(parent->on_mmlist);
  // The child faults it in: the slot is held by the cache and the parent's PTE.
  EXPECT_EQ(r.fault(*child, a, false), FaultResult::Major);
  EXPECT_EQ(r.peek(*child, a), 1000u);
  EXPECT_EQ(r.areas.swap_count(e0), 2);
  // A write in the child: the parent still refers to the slot, so can_share_swap_page says no: a copy.
  const uint64_t copies = r.mm->stats().cow_copies;
  EXPECT_EQ(r.fault(*child, a, true), FaultResult::Minor);
  EXPECT_EQ(r.mm->stats().cow_copies, copies + 1);
  EXPECT_EQ(r.peek(*child, a), 1000u);
  // The child exits: its page was a private copy; the slot keeps the cache's and the parent's counts.
  r.mm->mmput(child, r.k);
  EXPECT_EQ(r.areas.swap_count(e0), 2);
  // The parent unmaps the page: free_swap_and_cache drops the PTE's count; only the cache remains and
  // nobody else holds the page, so it leaves the cache and the slot is free.
  EXPECT_EQ(r.mm->do_munmap(*parent, a, kPageSize, r.k), 0);
  EXPECT_EQ(r.areas.swap_count(e0), 0);
  EXPECT_EQ(r.mm->total_swapcache_pages(), 0u);
  // Exit of the parent with a second swapped page: exit_mmap frees that slot too.
  const uint64_t e1 = r.swap_out(*parent, a + kPageSize);
  EXPECT_EQ(r.areas.swap_count(e1), 1);
  r.mm->mmput(parent, r.k);
  EXPECT_EQ(r.areas.swap_count(e1), 0);
  EXPECT_EQ(r.areas.nr_swap_pages(), r.areas.total_swap_pages());
  EXPECT_EQ(r.areas.bad_free_attempts(), 0u);
  EXPECT_EQ(r.mm->live_mms(), 0u);
}

TEST(SwapMmSim, ReadaheadReadsTheAlignedWindowOfSlotsInUse) {
  SwapRig r;
  auto m = r.mm->mm_alloc(r.k);
  const int64_t a = r.mm->do_mmap(*m, 0, 16 * kPageSize, kRW, kPrivAnon, nullptr, 0, r.k);
  std::vector<uint64_t> entries;
  for (uint64_t i = 0; i < 9; ++i) {
    ASSERT_EQ(r.fault(*m, a + i * kPageSize, true), FaultResult::Minor);
    r.poke(*m, a + i * kPageSize, 7000 + i);
  }
  for (uint64_t i = 0; i < 9; ++i) entries.push_back(r.swap_out(*m, a + i * kPageSize));
  for (uint64_t i = 0; i < 9; ++i) EXPECT_EQ(swp_offset(entries[i]), i + 1);  // one cluster: slots 1..9
  // A fault on slot 4: the window 0..7 without the header: slots 1..7, each read once.
  EXPECT_EQ(r.fault(*m, a + 3 * kPageSize, false), FaultResult::Major);
  EXPECT_EQ(r.dev.reads, 7u);
  for (uint64_t s = 1; s <= 7; ++s) EXPECT_EQ(r.dev.read_blocks[s - 1], SwapRig::kBlock0 + s);
  EXPECT_EQ(r.mm->swap_stats().ra_pages, 6u);
  // Slots 1..7 are now minor faults (found in the swap cache); slot 8 and 9: a window of their own.
  for (uint64_t i = 0; i < 7; ++i) {
    EXPECT_EQ(r.fault(*m, a + i * kPageSize, false), FaultResult::Minor);
    EXPECT_EQ(r.peek(*m, a + i * kPageSize), 7000 + i);
  }
  EXPECT_EQ(r.mm->swap_stats().ra_used, 6u);
  EXPECT_EQ(r.dev.reads, 7u);
  EXPECT_EQ(r.fault(*m, a + 7 * kPageSize, false), FaultResult::Major);  // window 8..15: slots 8, 9
  EXPECT_EQ(r.dev.reads, 9u);
  EXPECT_EQ(r.fault(*m, a + 8 * kPageSize, false), FaultResult::Minor);
  EXPECT_EQ(r.peek(*m, a + 8 * kPageSize), 7008u);
  EXPECT_EQ(r.alloc.events().get(PSWPIN), 9u);
  EXPECT_EQ(r.alloc.events().get(PGMAJFAULT), 2u);
  r.mm->mmput(m, r.k);
  EXPECT_EQ(r.areas.nr_swap_pages(), r.areas.total_swap_pages());
  EXPECT_EQ(r.mm->total_swapcache_pages(), 0u);
}

TEST(SwapMmSim, ReadErrorGivesSigbusAndKeepsTheSwapPte) {
  SwapRig r;
  auto m = r.mm->mm_alloc(r.k);
  const int64_t a = r.mm->do_mmap(*m, 0, 4 * kPageSize, kRW, kPrivAnon, nullptr, 0, r.k);
  ASSERT_EQ(r.fault(*m, a, true), FaultResult::Minor);
  r.poke(*m, a, 42);
  const uint64_t e = r.swap_out(*m, a);
  r.dev.bad_read.insert(SwapRig::kBlock0 + swp_offset(e));
  EXPECT_EQ(r.fault(*m, a, false), FaultResult::SigBus);
  EXPECT_EQ(r.mm->swap_stats().read_errors, 1u);
  EXPECT_EQ(r.mm->swap_stats().sigbus, 1u);
  EXPECT_EQ(r.mm->read_pte(*m, a, r.k), e);  // nothing was mapped; the slot still holds the data
  // Negative control: once the sector reads again, so does the page, with its bytes.
  r.dev.bad_read.clear();
  Page* cached = nullptr;
  {
    auto it = r.mm->swapper_space().page_tree.find(e);
    ASSERT_NE(it, r.mm->swapper_space().page_tree.end());  // the failed page stays in the cache, not uptodate
    cached = it->second;
  }
  EXPECT_FALSE(cached->test(PG_uptodate));
  r.mm->mmput(m, r.k);
  EXPECT_EQ(r.areas.nr_swap_pages(), r.areas.total_swap_pages());
}

TEST(SwapMmSim, WriteErrorKeepsThePageDirtyInMemory) {
  SwapRig r;
  auto m = r.mm->mm_alloc(r.k);
  const int64_t a = r.mm->do_mmap(*m, 0, 4 * kPageSize, kRW, kPrivAnon, nullptr, 0, r.k);
  ASSERT_EQ(r.fault(*m, a, true), FaultResult::Minor);
  r.poke(*m, a, 4242);
  r.lru.lru_add_drain(r.k);
  Page* p = r.page_at(*m, a);
  Lru::get_page(p);
  ASSERT_TRUE(r.mm->trylock_page(p));
  r.mm->page_referenced(p, true, r.k);
  ASSERT_TRUE(r.mm->add_to_swap(p, r.k));
  const uint64_t e = p->private_;
  r.dev.bad_write.insert(SwapRig::kBlock0 + swp_offset(e));
  ASSERT_EQ(r.mm->try_to_unmap(p, r.k), SwapResult::Success);
  ASSERT_TRUE(p->test_and_clear(PG_dirty));
  r.mm->swap_writepage(p, r.k);
  EXPECT_EQ(r.mm->swap_stats().write_errors, 1u);
  // PG_error and dirty again: reclaim keeps it (shrink_page_list activates such a page), the bytes are
  // still in the frame and a fault maps it back without I/O.
  EXPECT_TRUE(p->test(PG_error));
  EXPECT_TRUE(p->test(PG_dirty));
  EXPECT_TRUE(p->test(PG_swapcache));
  const uint64_t reads = r.dev.reads;
  EXPECT_EQ(r.fault(*m, a, false), FaultResult::Minor);
  EXPECT_EQ(r.dev.reads, reads);
  EXPECT_EQ(r.peek(*m, a), 4242u);
  r.mm->put_page(p, r.k);  // the isolation's reference
  r.mm->mmput(m, r.k);
  EXPECT_EQ(r.areas.nr_swap_pages(), r.areas.total_swap_pages());
}

TEST(SwapMmSim, ShmemPageMovesToTheSwapCacheAndBack) {
  SwapRig r;
  auto m = r.mm->mm_alloc(r.k);
  const int64_t a = r.mm->do_mmap(*m, 0, 4 * kPageSize, kRW, MAP_SHARED | MAP_ANONYMOUS, nullptr, 0, r.k);
  ASSERT_EQ(r.fault(*m, a + kPageSize, true), FaultResult::Minor);
  r.poke(*m, a + kPageSize, 0xabcdef);
  r.lru.lru_add_drain(r.k);
  Page* p = r.page_at(*m, a + kPageSize);
  File* f = r.mm->find_file("/dev/zero (deleted)");
  ASSERT_NE(f, nullptr);
  // shrink_page_list on the shmem page: unmap, then shmem_writepage moves it to the swap cache.
  Lru::get_page(p);
  ASSERT_TRUE(r.mm->trylock_page(p));
  r.mm->page_referenced(p, true, r.k);
  ASSERT_EQ(r.mm->try_to_unmap(p, r.k), SwapResult::Success);
  ASSERT_TRUE(p->test_and_clear(PG_dirty));
  ASSERT_TRUE(r.mm->shmem_writepage(p, r.k));
  EXPECT_TRUE(p->test(PG_swapcache));
  EXPECT_TRUE(p->test(PG_dirty));
  EXPECT_EQ(f->shmem_swap.size(), 1u);
  const uint64_t e = f->shmem_swap.at(1);
  EXPECT_EQ(r.areas.swap_count(e), 2);  // the cache and the shmem swap vector
  EXPECT_EQ(r.mm->swap_stats().shmem_swapout, 1u);
  // pageout again: the write to the slot; then the cache lets go.
  ASSERT_TRUE(r.mm->trylock_page(p));
  ASSERT_TRUE(p->test_and_clear(PG_dirty));
  r.mm->swap_writepage(p, r.k);
  ASSERT_TRUE(r.mm->trylock_page(p));
  {
    SpinGuard g(*r.mm->swapper_space().tree_lock, r.k);
    r.mm->__delete_from_swap_cache(p, r.k);
  }
  r.mm->swap_free(e, r.k);
  --p->count;
  r.mm->unlock_page(p, r.k.now());
  r.mm->put_page(p, r.k);
  EXPECT_EQ(p->count, 0);
  EXPECT_EQ(r.areas.swap_count(e), 1);  // shmem's
  // The fault brings it back into the file: a major fault, the slot released, the bytes intact.
  EXPECT_EQ(r.fault(*m, a + kPageSize, false), FaultResult::Minor);  // do_no_page reports shmem faults minor
  EXPECT_EQ(r.alloc.events().get(PGMAJFAULT), 1u);
  EXPECT_EQ(r.peek(*m, a + kPageSize), 0xabcdefu);
  EXPECT_EQ(r.areas.swap_count(e), 0);
  EXPECT_TRUE(f->shmem_swap.empty());
  EXPECT_EQ(r.mm->swap_stats().shmem_swapin, 1u);
  r.mm->mmput(m, r.k);
  EXPECT_EQ(r.areas.nr_swap_pages(), r.areas.total_swap_pages());
}
