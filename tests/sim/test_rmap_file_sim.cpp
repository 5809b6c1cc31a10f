// Reverse mapping of file pages through the i_mmap priority search tree: a walk visits only the VMAs
// whose file range covers the page, and reads only the tree nodes on the way to them.
#include <gtest/gtest.h>

#include "tests/support/mm_rig.h"

using namespace pc;
using namespace pc::kernel;

namespace {
using test::Rig;

// A file whose pages are ready at once (no I/O): the walk is what is measured, not the reads.
struct ReadyBacking : FileBacking {
  bool readpages(uint64_t, const std::vector<uint64_t>&, KCtx&, IoDone) override { return false; }
  int writepage(uint64_t, uint64_t, KCtx&, IoDone) override { return 5; }  // EIO: not written here
  uint64_t size_pages() const override { return 64; }
};

// A read fault that maps the page (major the first time it enters the page cache, minor after).
bool map_in(Rig& r, MmStruct& m, uint64_t va) {
  const FaultResult res = r.fault(m, va, false);
  return res == FaultResult::Minor || res == FaultResult::Major;
}

}  // namespace

TEST(RmapFileSim, WalkVisitsOnlyTheVmasCoveringThePage) {
  Rig r;
  File* f = r.mm->new_file("data", std::make_unique<ReadyBacking>());
  MmStruct* m = r.mm->mm_alloc(r.k);
  // 32 shared read-only mappings of the file, mapping i covering file pages [i, i + 7].
  constexpr uint64_t kMaps = 32, kLen = 8;
  std::vector<uint64_t> addr;
  for (uint64_t i = 0; i < kMaps; ++i) {
    const int64_t a = r.mm->do_mmap(*m, 0, kLen * kPageSize, PROT_READ, MAP_SHARED, f, i, r.k);
    ASSERT_GT(a, 0);
    addr.push_back(static_cast<uint64_t>(a));
  }
  // File page 20 lies in mappings 13..20 (i <= 20 <= i + 7): 8 of the 32. Fault it in through each.
  for (uint64_t i = 13; i <= 20; ++i) ASSERT_TRUE(map_in(r, *m, addr[i] + (20 - i) * kPageSize));
  Page* page = r.mm->find_get_page(f->mapping, 20, r.k);
  ASSERT_NE(page, nullptr);
  r.mm->put_page(page, r.k);
  EXPECT_EQ(page->page_mapcount(), 8);
  r.lru.lru_add_drain_all(r.k);

  // page_referenced: PG_referenced (filemap_nopage's mark_page_accessed) counts 1 and the 8 PTEs are
  // young (the faults set A): 9. Its walk visits exactly the 8 covering VMAs (mapcount reaches 0 at the
  // last one). The file's whole VMA list, which the walk
  // filtered before the tree, has 32.
  const MmStats before = r.mm->stats();
  EXPECT_EQ(r.mm->page_referenced(page, false, r.k), 9);
  const MmStats& s = r.mm->stats();
  EXPECT_EQ(s.rmap_file_walks - before.rmap_file_walks, 1u);
  EXPECT_EQ(s.rmap_file_vmas - before.rmap_file_vmas, 8u);
  // The tree holds 32 distinct ranges; the walk reads the 8 it returns and at most the nodes on their
  // paths, never all 32.
  const uint64_t nodes = s.prio_tree_nodes - before.prio_tree_nodes;
  EXPECT_GE(nodes, 8u);
  EXPECT_LT(nodes, kMaps);
  std::printf("page 20: %llu VMAs visited, %llu prio tree nodes read (of %llu VMAs of the file)\n",
              static_cast<unsigned long long>(s.rmap_file_vmas - before.rmap_file_vmas),
              static_cast<unsigned long long>(nodes), static_cast<unsigned long long>(kMaps));

  // File page 0 lies only in mapping 0; page 38 only in mapping 31 (31 + 7 = 38).
  for (uint64_t pgoff : {0ull, 38ull}) {
    const uint64_t i = pgoff == 0 ? 0 : 31;
    ASSERT_TRUE(map_in(r, *m, addr[i] + (pgoff - i) * kPageSize));
    Page* p = r.mm->find_get_page(f->mapping, pgoff, r.k);
    ASSERT_NE(p, nullptr);
    r.mm->put_page(p, r.k);
    r.lru.lru_add_drain_all(r.k);
    const MmStats b = r.mm->stats();
    EXPECT_EQ(r.mm->page_referenced(p, false, r.k), 2);  // PG_referenced + the young PTE
    EXPECT_EQ(r.mm->stats().rmap_file_vmas - b.rmap_file_vmas, 1u);
    // try_to_unmap: the PTE is old now (page_referenced cleared A), so the one covering VMA unmaps it.
    Lru::get_page(p);
    EXPECT_EQ(r.mm->try_to_unmap(p, r.k), SwapResult::Success);
    EXPECT_EQ(r.mm->stats().rmap_file_vmas - b.rmap_file_vmas, 2u);
    EXPECT_FALSE(p->mapped());
    r.mm->put_page(p, r.k);
  }

  // try_to_unmap of page 20: the 8 covering VMAs, each unmapping its PTE (A cleared above).
  const MmStats b2 = r.mm->stats();
  Lru::get_page(page);
  EXPECT_EQ(r.mm->try_to_unmap(page, r.k), SwapResult::Success);
  EXPECT_EQ(r.mm->stats().rmap_file_vmas - b2.rmap_file_vmas, 8u);
  EXPECT_EQ(r.mm->stats().unmapped_by_rmap - b2.unmapped_by_rmap, 8u);
  EXPECT_FALSE(page->mapped());
  r.mm->put_page(page, r.k);

  // Splitting mapping 16 (munmap of its first 3 pages) re-keys it in the tree: it now covers file pages
  // [19, 23], so file page 17 lies in mappings 10..15 and 17: 7 VMAs.
  ASSERT_EQ(r.mm->do_munmap(*m, addr[16], 3 * kPageSize, r.k), 0);
  for (uint64_t i : {10ull, 11ull, 12ull, 13ull, 14ull, 15ull, 17ull})
    ASSERT_TRUE(map_in(r, *m, addr[i] + (17 - i) * kPageSize)) << i;
  Page* p17 = r.mm->find_get_page(f->mapping, 17, r.k);
  ASSERT_NE(p17, nullptr);
  r.mm->put_page(p17, r.k);
  r.lru.lru_add_drain_all(r.k);
  const MmStats b3 = r.mm->stats();
  EXPECT_EQ(r.mm->page_referenced(p17, false, r.k), 8);  // PG_referenced + 7 young PTEs
  EXPECT_EQ(r.mm->stats().rmap_file_vmas - b3.rmap_file_vmas, 7u);
  r.mm->mmput(m, r.k);
  EXPECT_TRUE(f->mapping.i_mmap.empty());
}

TEST(RmapFileSim, ForkedMappingsShareOneTreeNode) {
  Rig r;
  File* f = r.mm->new_file("data", std::make_unique<ReadyBacking>());
  MmStruct* parent = r.mm->mm_alloc(r.k);
  const uint64_t a =
      static_cast<uint64_t>(r.mm->do_mmap(*parent, 0, 4 * kPageSize, PROT_READ, MAP_SHARED, f, 2, r.k));
  ASSERT_TRUE(map_in(r, *parent, a + kPageSize));  // file page 3
  // Three forks: four VMAs of the same range [2, 5], one tree node and a vm_set list of three.
  std::vector<MmStruct*> kids;
  for (int i = 0; i < 3; ++i) kids.push_back(r.mm->dup_mm(*parent, r.k));
  const PrioTreeRoot& root = f->mapping.i_mmap;
  ASSERT_FALSE(root.empty());
  EXPECT_TRUE(root.node->left_empty() && root.node->right_empty());
  Page* page = r.mm->find_get_page(f->mapping, 3, r.k);
  ASSERT_NE(page, nullptr);
  r.mm->put_page(page, r.k);
  r.lru.lru_add_drain_all(r.k);
  // A shared file mapping's PTEs are not copied at fork (copy_page_range skips them, the children fault
  // them in): only the parent maps the page. The walk meets the parent's VMA (the tree node) first and
  // stops there, having read one node.
  EXPECT_EQ(page->page_mapcount(), 1);
  const MmStats b = r.mm->stats();
  EXPECT_EQ(r.mm->page_referenced(page, false, r.k), 2);  // PG_referenced + the parent's young PTE
  EXPECT_EQ(r.mm->stats().rmap_file_vmas - b.rmap_file_vmas, 1u);
  EXPECT_EQ(r.mm->stats().prio_tree_nodes - b.prio_tree_nodes, 1u);
  // Every child faults it in: the walk now visits all four (the node, then its list), still one node.
  for (MmStruct* c : kids) ASSERT_TRUE(map_in(r, *c, a + kPageSize));
  const MmStats b2 = r.mm->stats();
  EXPECT_EQ(r.mm->page_referenced(page, false, r.k), 4);  // PG_referenced again + 3 young child PTEs
  EXPECT_EQ(r.mm->stats().rmap_file_vmas - b2.rmap_file_vmas, 4u);
  EXPECT_EQ(r.mm->stats().prio_tree_nodes - b2.prio_tree_nodes, 1u);
  // The parent exits first: a child's VMA takes over the tree node.
  r.mm->mmput(parent, r.k);
  EXPECT_FALSE(root.empty());
  for (MmStruct* c : kids) r.mm->mmput(c, r.k);
  EXPECT_TRUE(root.empty());
}
