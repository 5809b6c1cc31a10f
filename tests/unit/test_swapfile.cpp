// Swap areas (mm/swapfile.c, spec §9): the header check, swapon's accounting, scan_swap_map's cluster
// walk, get_swap_page's priority round-robin, slot reference counts, map_swap_page, valid_swaphandles and
// find_next_to_unuse, each against values derived from the 2.6.18 rules.
#include <gtest/gtest.h>

#include <cstring>

#include "kernel_model/mm/mm.h"
#include "kernel_model/mm/swapfile.h"

namespace pc::kernel {
namespace {

// An area of `pages` pages (mkswap'd: last_page = pages - 1) as one extent at disk block `block`.
int swapon(SwapAreas& sa, const char* name, uint64_t pages, int prio = -1, uint64_t block = 1000) {
  SwapHeaderInfo h;
  h.last_page = static_cast<uint32_t>(pages - 1);
  const auto hdr = mkswap_header(h);
  SwapOnRequest rq;
  rq.name = name;
  rq.prio = prio;
  rq.area_pages = pages;
  rq.extents = {{0, pages, block}};
  rq.header = hdr.data();
  std::string why;
  const int t = sa.sys_swapon(rq, why);
  EXPECT_GE(t, 0) << why;
  return t;
}

uint64_t off(uint64_t e) {
  return swp_offset(e);
}

TEST(SwapHeader, MkswapRoundTripAndLayout) {
  SwapHeaderInfo h;
  h.last_page = 24575;
  h.badpages = {7, 300};
  const auto page = mkswap_header(h);
  ASSERT_EQ(page.size(), 4096u);
  EXPECT_EQ(std::memcmp(&page[4086], "SWAPSPACE2", 10), 0);
  uint32_t v;
  std::memcpy(&v, &page[1024], 4);
  EXPECT_EQ(v, 1u);  // version
  std::memcpy(&v, &page[1028], 4);
  EXPECT_EQ(v, 24575u);  // last_page
  std::memcpy(&v, &page[1032], 4);
  EXPECT_EQ(v, 2u);  // nr_badpages
  std::memcpy(&v, &page[1536], 4);
  EXPECT_EQ(v, 7u);  // the bad-page list starts at byte 1536
  for (size_t i = 0; i < 1024; ++i) ASSERT_EQ(page[i], 0) << "boot block byte " << i;
  SwapHeaderInfo out;
  std::string why;
  ASSERT_EQ(parse_swap_header(page.data(), 24576, false, out, why), 0) << why;
  EXPECT_EQ(out.last_page, 24575u);
  EXPECT_EQ(out.badpages, (std::vector<uint32_t>{7, 300}));
}

TEST(SwapHeader, RefusedWithEinvalAndAReason) {
  SwapHeaderInfo h;
  h.last_page = 99;
  auto good = mkswap_header(h);
  SwapHeaderInfo out;
  std::string why;
  std::vector<uint8_t> zeros(4096, 0);
  EXPECT_EQ(parse_swap_header(zeros.data(), 100, false, out, why), -22);
  EXPECT_NE(why.find("SWAPSPACE2"), std::string::npos) << why;
  auto v0 = good;
  std::memcpy(&v0[4086], "SWAP-SPACE", 10);
  EXPECT_EQ(parse_swap_header(v0.data(), 100, false, out, why), -22);
  EXPECT_NE(why.find("version-0"), std::string::npos) << why;
  auto ver = good;
  ver[1024] = 2;
  EXPECT_EQ(parse_swap_header(ver.data(), 100, false, out, why), -22);
  EXPECT_NE(why.find("version 2"), std::string::npos) << why;
  // last_page 99 means 99 slots; an area of 98 pages is too short.
  EXPECT_EQ(parse_swap_header(good.data(), 98, false, out, why), -22);
  EXPECT_NE(why.find("shorter"), std::string::npos) << why;
  EXPECT_EQ(parse_swap_header(good.data(), 99, false, out, why), 0) << why;
  h.badpages = {5};
  auto bad = mkswap_header(h);
  EXPECT_EQ(parse_swap_header(bad.data(), 100, true, out, why), -22);  // no bad pages on a swap file
  EXPECT_EQ(parse_swap_header(bad.data(), 100, false, out, why), 0) << why;
  h.badpages = {0};
  auto zero = mkswap_header(h);
  EXPECT_EQ(parse_swap_header(zero.data(), 100, false, out, why), -22);  // the header page cannot be listed
  uint32_t many = 638;
  std::memcpy(&good[1032], &many, 4);
  EXPECT_EQ(parse_swap_header(good.data(), 100, false, out, why), -22);  // at most 637
}

TEST(SwapOn, AccountsUsableSlotsAndAssignsPriorities) {
  SwapAreas sa;
  // last_page 999: slots 0..998, slot 0 the header: 998 usable.
  const int a = swapon(sa, "a", 1000);
  const int b = swapon(sa, "b", 500);
  EXPECT_EQ(a, 0);
  EXPECT_EQ(b, 1);
  EXPECT_EQ(sa.info(0).pages, 998u);
  EXPECT_EQ(sa.info(0).max, 999u);
  EXPECT_EQ(sa.info(0).swap_map[0], SWAP_MAP_BAD);
  EXPECT_EQ(sa.info(0).prio, -1);
  EXPECT_EQ(sa.info(1).prio, -2);
  EXPECT_EQ(sa.total_swap_pages(), 998 + 498);
  EXPECT_EQ(sa.nr_swap_pages(), 998 + 498);
  EXPECT_EQ(sa.list_head(), 0);  // -1 before -2
  std::string why;
  SwapHeaderInfo h;
  h.last_page = 499;
  const auto hdr = mkswap_header(h);
  SwapOnRequest rq;
  rq.name = "b";
  rq.area_pages = 500;
  rq.extents = {{0, 500, 0}};
  rq.header = hdr.data();
  EXPECT_EQ(sa.sys_swapon(rq, why), -16);  // EBUSY: already swapped on
}

TEST(SwapOn, ABadPageListedTwiceCountsOnce) {
  // Found by the swap_header fuzz harness. 2.6.18's nr_good_pages = last_page - nr_badpages - 1 counts a
  // repeated entry twice: last_page 3 with bad pages {1, 1} looked empty although slot 2 is good, and
  // last_page 2 with {1, 1} gave 2 - 2 - 1, which wrapped to 2^64 - 1 free slots.
  SwapAreas sa;
  SwapHeaderInfo h;
  h.last_page = 3;
  h.badpages = {1, 1};
  auto hdr = mkswap_header(h);
  SwapOnRequest rq;
  rq.name = "a";
  rq.area_pages = 3;
  rq.extents = {{0, 3, 0}};
  rq.header = hdr.data();
  std::string why;
  ASSERT_EQ(sa.sys_swapon(rq, why), 0) << why;
  EXPECT_EQ(sa.info(0).pages, 1u);  // slot 2; slot 0 the header, slot 1 bad
  EXPECT_EQ(sa.nr_swap_pages(), 1);
  h.last_page = 2;
  hdr = mkswap_header(h);
  rq.name = "b";
  rq.area_pages = 2;
  rq.extents = {{0, 2, 0}};
  rq.header = hdr.data();
  EXPECT_EQ(sa.sys_swapon(rq, why), -22);
  EXPECT_EQ(why, "empty swap area (no good page)");
  EXPECT_EQ(sa.total_swap_pages(), 1);
}

TEST(ScanSwapMap, FirstClusterIs256ContiguousSlotsThenTheNextRun) {
  SwapAreas sa;
  swapon(sa, "a", 2000);
  for (uint64_t i = 1; i <= 256; ++i) ASSERT_EQ(off(sa.get_swap_page()), i);
  EXPECT_EQ(sa.info(0).stats.new_clusters, 1u);
  EXPECT_EQ(sa.info(0).stats.cluster_hits, 255u);
  // The 257th allocation starts a new cluster search from lowest_bit (257): the run 257..512.
  EXPECT_EQ(off(sa.get_swap_page()), 257u);
  EXPECT_EQ(sa.info(0).stats.new_clusters, 2u);
  EXPECT_EQ(sa.info(0).cluster_next, 258u);
}

TEST(ScanSwapMap, HolesWaitUntilTheClusterEndsThenTheSearchSkipsFragmentedSpace) {
  SwapAreas sa;
  swapon(sa, "a", 2000);
  for (uint64_t i = 1; i <= 600; ++i) ASSERT_EQ(off(sa.get_swap_page()), i);
  // Clusters 1..256, 257..512, and 513.. with 88 allocated: cluster_nr = 255 - 87 = 168.
  EXPECT_EQ(sa.info(0).cluster_nr, 168u);
  for (uint64_t i = 2; i <= 600; i += 2) sa.swap_free(swp_entry(0, i));
  EXPECT_EQ(sa.info(0).lowest_bit, 2u);
  // The current cluster continues at 601 regardless of the holes below.
  for (uint64_t i = 601; i <= 768; ++i) ASSERT_EQ(off(sa.get_swap_page()), i);
  EXPECT_EQ(sa.info(0).cluster_nr, 0u);
  // A new search from lowest_bit 2: 1-slot holes never make a 256-run; the first one starts at 769.
  EXPECT_EQ(off(sa.get_swap_page()), 769u);
}

TEST(ScanSwapMap, SmallAreaAllocatesFirstFreeAndFillsUp) {
  SwapAreas sa;
  swapon(sa, "a", 200);  // 198 usable slots: fewer than a cluster
  for (uint64_t i = 1; i <= 10; ++i) ASSERT_EQ(off(sa.get_swap_page()), i);
  sa.swap_free(swp_entry(0, 5));
  EXPECT_EQ(sa.info(0).lowest_bit, 5u);
  // cluster_nr runs on: 11, 12, ... 198 first, the hole at 5 last.
  for (uint64_t i = 11; i <= 198; ++i) ASSERT_EQ(off(sa.get_swap_page()), i);
  EXPECT_EQ(off(sa.get_swap_page()), 5u);
  EXPECT_EQ(sa.info(0).highest_bit, 0u);  // full
  EXPECT_EQ(sa.info(0).lowest_bit, sa.info(0).max);
  EXPECT_EQ(sa.get_swap_page(), 0u);
  EXPECT_EQ(sa.nr_swap_pages(), 0);
}

TEST(GetSwapPage, RoundRobinAmongEqualPrioritiesLowerOnlyWhenFull) {
  SwapAreas sa;
  const int a = swapon(sa, "a", 10, 5);  // 8 slots each
  const int b = swapon(sa, "b", 10, 5);
  const int c = swapon(sa, "c", 10, 1);
  // b went in before the existing equal priority: the list is b, a, c.
  EXPECT_EQ(sa.list_head(), b);
  std::vector<int> types;
  for (int i = 0; i < 16; ++i) types.push_back(static_cast<int>(swp_type(sa.get_swap_page())));
  for (int i = 0; i < 16; ++i) EXPECT_EQ(types[i], i % 2 == 0 ? b : a) << i;
  // Both full: the lower priority.
  EXPECT_EQ(static_cast<int>(swp_type(sa.get_swap_page())), c);
  // A slot freed in a full higher-priority area is used before the lower one again.
  sa.swap_free(swp_entry(static_cast<unsigned>(a), 3));
  const uint64_t e = sa.get_swap_page();
  EXPECT_EQ(static_cast<int>(swp_type(e)), a);
  EXPECT_EQ(off(e), 3u);
}

TEST(SwapMap, DuplicateFreeAndSaturation) {
  SwapAreas sa;
  swapon(sa, "a", 100);
  const uint64_t e = sa.get_swap_page();
  EXPECT_EQ(sa.swap_count(e), 1);
  EXPECT_TRUE(sa.swap_duplicate(e));
  EXPECT_EQ(sa.swap_count(e), 2);
  sa.swap_free(e);
  sa.swap_free(e);
  EXPECT_EQ(sa.swap_count(e), 0);
  EXPECT_FALSE(sa.swap_duplicate(e));  // a free slot cannot be duplicated
  EXPECT_EQ(sa.nr_swap_pages(), 98);
  sa.swap_free(e);  // freeing a free slot is counted, not done
  EXPECT_EQ(sa.bad_free_attempts(), 1u);
  const uint64_t f = sa.get_swap_page();
  for (int i = 1; i < SWAP_MAP_MAX - 1; ++i) ASSERT_TRUE(sa.swap_duplicate(f));
  EXPECT_EQ(sa.swap_count(f), SWAP_MAP_MAX - 1);
  EXPECT_TRUE(sa.swap_duplicate(f));
  EXPECT_EQ(sa.swap_count(f), SWAP_MAP_MAX);  // saturated
  sa.swap_free(f);
  EXPECT_EQ(sa.swap_count(f), SWAP_MAP_MAX);  // never decremented
  sa.reset_saturated(f);
  EXPECT_EQ(sa.swap_count(f), 1);
  EXPECT_FALSE(sa.swap_duplicate(swp_entry(3, 1)));  // no such area
  EXPECT_FALSE(sa.swap_duplicate(swp_entry(0, 0)));  // the header slot is SWAP_MAP_BAD
}

TEST(MapSwapPage, WalksTheExtentListFromItsCursor) {
  SwapAreas sa;
  SwapHeaderInfo h;
  h.last_page = 299;
  const auto hdr = mkswap_header(h);
  SwapOnRequest rq;
  rq.name = "file";
  rq.is_file = true;
  rq.area_pages = 300;
  rq.extents = {{0, 100, 5000}, {100, 100, 5356}, {200, 100, 5712}};
  rq.header = hdr.data();
  std::string why;
  ASSERT_EQ(sa.sys_swapon(rq, why), 0) << why;
  EXPECT_EQ(sa.map_swap_page(0, 1), 5001u);
  EXPECT_EQ(sa.map_swap_page(0, 150), 5406u);
  EXPECT_EQ(sa.info(0).curr_swap_extent, 1u);
  EXPECT_EQ(sa.map_swap_page(0, 298), 5810u);
  EXPECT_EQ(sa.map_swap_page(0, 99), 5099u);  // wraps around the circular list
  EXPECT_EQ(sa.info(0).curr_swap_extent, 0u);
  // Extents that leave a hole are refused.
  rq.name = "holey";
  rq.extents = {{0, 100, 0}, {150, 150, 400}};
  EXPECT_EQ(sa.sys_swapon(rq, why), -22);
}

TEST(ValidSwaphandles, AlignedWindowStopsAtTheFirstFreeSlot) {
  SwapAreas sa;
  swapon(sa, "a", 100);
  for (int i = 0; i < 20; ++i) sa.get_swap_page();  // slots 1..20
  uint64_t start = 0;
  // Slot 13 with page_cluster 3: the window 8..15, all in use.
  EXPECT_EQ(sa.valid_swaphandles(swp_entry(0, 13), 3, start), 8u);
  EXPECT_EQ(start, 8u);
  // Slot 3: the window would start at the header, so 1..7.
  EXPECT_EQ(sa.valid_swaphandles(swp_entry(0, 3), 3, start), 7u);
  EXPECT_EQ(start, 1u);
  // A free slot ends the window (even before the faulting slot).
  sa.swap_free(swp_entry(0, 11));
  EXPECT_EQ(sa.valid_swaphandles(swp_entry(0, 13), 3, start), 3u);
  EXPECT_EQ(start, 8u);
  EXPECT_EQ(sa.valid_swaphandles(swp_entry(0, 13), 0, start), 0u);  // page_cluster 0: no readahead
  // Past the last slots in use: 17..20 then free 21.
  EXPECT_EQ(sa.valid_swaphandles(swp_entry(0, 18), 2, start), 4u);
  EXPECT_EQ(start, 16u);
}

TEST(FindNextToUnuse, VisitsEverySlotInUseWrappingOnce) {
  SwapAreas sa;
  swapon(sa, "a", 50);
  for (int i = 0; i < 10; ++i) sa.get_swap_page();
  for (uint64_t i = 1; i <= 10; ++i)
    if (i != 4 && i != 7) sa.swap_free(swp_entry(0, i));
  EXPECT_EQ(sa.find_next_to_unuse(0, 0), 4u);
  EXPECT_EQ(sa.find_next_to_unuse(0, 4), 7u);
  EXPECT_EQ(sa.find_next_to_unuse(0, 7), 4u);  // wraps to the start once
  sa.swap_free(swp_entry(0, 4));
  sa.swap_free(swp_entry(0, 7));
  EXPECT_EQ(sa.find_next_to_unuse(0, 0), 0u);
}

TEST(Swapoff, TakesTheAreaOutAndBackIn) {
  SwapAreas sa;
  swapon(sa, "a", 100);                            // 98
  swapon(sa, "b", 50);                             // 48
  for (int i = 0; i < 5; ++i) sa.get_swap_page();  // from a (priority -1)
  ASSERT_EQ(sa.swapoff_begin(0), 0);
  // nr_swap_pages loses all of a's usable slots: b's free slots minus a's slots in use.
  EXPECT_EQ(sa.nr_swap_pages(), 48 - 5);
  EXPECT_EQ(sa.total_swap_pages(), 48);
  EXPECT_EQ(static_cast<int>(swp_type(sa.get_swap_page())), 1);  // no new slots in a
  sa.swapoff_abort(0);
  EXPECT_EQ(sa.total_swap_pages(), 98 + 48);
  EXPECT_EQ(sa.nr_swap_pages(), 98 - 5 + 47);
  ASSERT_EQ(sa.swapoff_begin(0), 0);
  for (uint64_t i = 1; i <= 5; ++i) sa.swap_free(swp_entry(0, i));  // try_to_unuse brought them back
  EXPECT_EQ(sa.nr_swap_pages(), 47);
  sa.swapoff_end(0);
  EXPECT_EQ(sa.swapoff_begin(0), -22);  // not active any more
}

}  // namespace
}  // namespace pc::kernel
