// The i_mmap radix priority search tree (lib/prio_tree.c, mm/prio_tree.c): a hand-worked small tree
// (its shape and the nodes a query reads), the vm_set lists of identical ranges, and random insertions,
// removals and queries against a brute-force interval list.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <set>
#include <vector>

#include "kernel_model/mm/mm_types.h"

using namespace pc::kernel;

namespace {

struct Iv {
  PrioTreeNode n;
  Iv(uint64_t r, uint64_t h) {
    n.radix_index = r;
    n.heap_index = h;
    n.owner = this;
  }
};

std::vector<PrioTreeNode*> query(PrioTreeRoot& root, uint64_t r, uint64_t h, uint64_t* visited = nullptr) {
  PrioTreeIter it(root, r, h);
  std::vector<PrioTreeNode*> out;
  while (PrioTreeNode* n = it.next()) out.push_back(n);
  if (visited) *visited = it.visited;
  return out;
}

// Heap order and parent links hold everywhere; returns the number of nodes.
size_t check_tree(const PrioTreeNode* n) {
  size_t c = 1;
  if (!n->left_empty()) {
    EXPECT_EQ(n->left->parent, n);
    EXPECT_LE(n->left->heap_index, n->heap_index);
    c += check_tree(n->left);
  }
  if (!n->right_empty()) {
    EXPECT_EQ(n->right->parent, n);
    EXPECT_LE(n->right->heap_index, n->heap_index);
    c += check_tree(n->right);
  }
  return c;
}

}  // namespace

TEST(PrioTree, HandWorkedTreeShapeAndQueryCost) {
  PrioTreeRoot root;
  Iv a(0, 3), b(4, 5), c(1, 1), d(6, 7);
  // [0,3]: the empty tree grows to index_bits 2 (largest index 3) with it as the root.
  EXPECT_EQ(root.insert(&a.n), &a.n);
  EXPECT_EQ(root.index_bits, 2u);
  // [4,5]: 5 > 3, so index_bits becomes 3 and the new node is the root with the old tree on its left.
  root.insert(&b.n);
  EXPECT_EQ(root.index_bits, 3u);
  EXPECT_EQ(root.node, &b.n);
  EXPECT_EQ(b.n.left, &a.n);
  // [1,1]: bit 2 of radix 1 is 0 -> left of [4,5]; bit 1 is 0 -> left of [0,3].
  root.insert(&c.n);
  EXPECT_EQ(a.n.left, &c.n);
  // [6,7]: its heap index 7 beats the root's 5, so it takes the root's place and [4,5] goes on down:
  // bit 2 of 4 is 1 -> the right child.
  root.insert(&d.n);
  EXPECT_EQ(root.node, &d.n);
  EXPECT_EQ(d.n.left, &a.n);
  EXPECT_EQ(d.n.right, &b.n);
  EXPECT_TRUE(b.n.left_empty() && b.n.right_empty());
  EXPECT_EQ(check_tree(root.node), 4u);
  // An identical interval is not inserted again: the node there is returned.
  Iv dup(1, 1);
  EXPECT_EQ(root.insert(&dup.n), &c.n);
  EXPECT_FALSE(dup.n.in_tree());

  // Page 2: the root [6,7] (read 1, no overlap), its left [0,3] (read 2, overlaps: found), then [1,1]
  // (read 3: it ends before 2, nothing below can overlap); the right subtree holds radix indices >= 4 > 2
  // and is not read. 3 nodes read, [4,5] never.
  uint64_t visited = 0;
  EXPECT_EQ(query(root, 2, 2, &visited), std::vector<PrioTreeNode*>{&a.n});
  EXPECT_EQ(visited, 3u);
  // Page 4: root (1), [0,3] ends at 3 < 4 (2), then right: [4,5] (3) overlaps.
  EXPECT_EQ(query(root, 4, 4, &visited), std::vector<PrioTreeNode*>{&b.n});
  EXPECT_EQ(visited, 3u);
  // Page 1: root (1), [0,3] found (2), [1,1] found (3); right needs radix >= 4 > 1: not read.
  EXPECT_EQ(query(root, 1, 1, &visited), (std::vector<PrioTreeNode*>{&a.n, &c.n}));
  EXPECT_EQ(visited, 3u);
  // Beyond every interval: the root ends at 7 < 8, nothing else is read.
  EXPECT_TRUE(query(root, 8, 8, &visited).empty());
  EXPECT_EQ(visited, 1u);

  // Removing the root: its larger child [4,5] (heap 5 > 3) moves up into its place.
  root.remove(&d.n);
  EXPECT_FALSE(d.n.in_tree());
  EXPECT_EQ(root.node, &b.n);
  EXPECT_TRUE(b.n.is_root());
  EXPECT_EQ(b.n.left, &a.n);
  EXPECT_TRUE(b.n.right_empty());
  EXPECT_EQ(check_tree(root.node), 3u);
  root.remove(&a.n);  // [1,1] moves up
  EXPECT_EQ(b.n.left, &c.n);
  root.remove(&b.n);
  root.remove(&c.n);
  EXPECT_TRUE(root.empty());
  EXPECT_EQ(root.index_bits, 1u);
}

TEST(PrioTree, RandomIntervalsMatchBruteForce) {
  // Deterministic: mt19937_64's output is fixed by the standard; no distribution objects are used.
  std::mt19937_64 rng(20061018);
  for (uint64_t span : {16ull, 1000ull, 1ull << 40}) {  // small spans force the size-bit levels
    PrioTreeRoot root;
    std::vector<std::unique_ptr<Iv>> all;
    std::vector<Iv*> in;  // inserted and in the tree (distinct intervals)
    for (int round = 0; round < 3000; ++round) {
      const uint64_t op = rng() % 10;
      if (op < 6 || in.empty()) {
        const uint64_t r = rng() % span;
        const uint64_t len = (rng() % 4 == 0) ? rng() % span : rng() % 8;
        const uint64_t h = std::min(span - 1, r + len);
        all.push_back(std::make_unique<Iv>(r, h));
        Iv* iv = all.back().get();
        PrioTreeNode* got = root.insert(&iv->n);
        auto same = std::find_if(in.begin(), in.end(),
                                 [&](Iv* o) { return o->n.radix_index == r && o->n.heap_index == h; });
        if (same == in.end()) {
          EXPECT_EQ(got, &iv->n);
          in.push_back(iv);
        } else {
          EXPECT_EQ(got, &(*same)->n);
        }
      } else {
        const size_t i = rng() % in.size();
        root.remove(&in[i]->n);
        EXPECT_FALSE(in[i]->n.in_tree());
        in.erase(in.begin() + static_cast<ptrdiff_t>(i));
      }
      if (round % 50 == 0 && !root.empty()) {
        EXPECT_EQ(check_tree(root.node), in.size());
      }
      for (int q = 0; q < 4; ++q) {
        const uint64_t qr = rng() % span;
        const uint64_t qh = q % 2 ? qr : std::min(span - 1, qr + rng() % 16);
        std::set<PrioTreeNode*> expect;
        for (Iv* iv : in)
          if (iv->n.radix_index <= qh && qr <= iv->n.heap_index) expect.insert(&iv->n);
        uint64_t visited = 0;
        const std::vector<PrioTreeNode*> got = query(root, qr, qh, &visited);
        ASSERT_EQ(std::set<PrioTreeNode*>(got.begin(), got.end()), expect)
            << "span " << span << " round " << round << " query [" << qr << "," << qh << "]";
        EXPECT_EQ(got.size(), expect.size());  // each overlapping node exactly once
        EXPECT_GE(visited, got.size());
        EXPECT_LE(visited, in.size());
      }
    }
  }
}

TEST(PrioTree, VmaSetListsOfIdenticalRanges) {
  // Four VMAs map file pages [10, 13], two map [0, 19]; one maps [14, 15].
  std::vector<std::unique_ptr<Vma>> v;
  auto mk = [&](uint64_t pgoff, uint64_t pages) {
    v.push_back(std::make_unique<Vma>());
    v.back()->vm_start = 0x10000000 + v.size() * 0x1000000;
    v.back()->vm_end = v.back()->vm_start + pages * kPageSize;
    v.back()->vm_pgoff = pgoff;
    return v.back().get();
  };
  PrioTreeRoot root;
  Vma* a0 = mk(10, 4);
  Vma* a1 = mk(10, 4);
  Vma* a2 = mk(10, 4);
  Vma* w0 = mk(0, 20);
  Vma* w1 = mk(0, 20);
  Vma* s = mk(14, 2);
  for (Vma* x : {a0, a1, a2, w0, w1, s}) vma_prio_tree_insert(x, root);
  Vma* a3 = mk(10, 4);
  vma_prio_tree_add(a3, a1);  // fork: next to its parent's VMA
  // Only the three distinct ranges are tree nodes; the others hang on their vm_set lists.
  EXPECT_EQ(check_tree(root.node), 3u);
  EXPECT_TRUE(a0->shared.node.in_tree());
  EXPECT_EQ(a0->shared.head, a1);  // the list's first VMA and the tree node point at each other
  EXPECT_EQ(a1->shared.head, a0);
  auto walk = [&](uint64_t page) {
    std::vector<Vma*> out;
    VmaPrioTreeIter it(root, page, page);
    while (Vma* x = it.next()) out.push_back(x);
    return out;
  };
  auto as_set = [](std::vector<Vma*> x) { return std::set<Vma*>(x.begin(), x.end()); };
  // Page 11: the [0,19] pair and the [10,13] four, each once; the tree node first, then its list in order
  // (a1, the fork's a3 right after it, then a2).
  const std::vector<Vma*> p11 = walk(11);
  EXPECT_EQ(p11.size(), 6u);
  EXPECT_EQ(as_set(p11), (std::set<Vma*>{a0, a1, a2, a3, w0, w1}));
  const auto at = std::find(p11.begin(), p11.end(), a0);
  ASSERT_LE(at + 4, p11.end());
  EXPECT_EQ(std::vector<Vma*>(at, at + 4), (std::vector<Vma*>{a0, a1, a3, a2}));
  EXPECT_EQ(as_set(walk(15)), (std::set<Vma*>{w0, w1, s}));
  EXPECT_EQ(as_set(walk(5)), (std::set<Vma*>{w0, w1}));
  EXPECT_TRUE(walk(20).empty());
  // Removing the tree node a0: its list's first VMA a1 takes its place in the tree, a3 becomes the first.
  vma_prio_tree_remove(a0, root);
  EXPECT_FALSE(a0->shared.node.in_tree());
  EXPECT_TRUE(a1->shared.node.in_tree());
  EXPECT_EQ(a1->shared.head, a3);
  EXPECT_EQ(as_set(walk(12)), (std::set<Vma*>{a1, a2, a3, w0, w1}));
  // Removing the list's first (a3): a2 takes over. Then a list member and a node without a list.
  vma_prio_tree_remove(a3, root);
  EXPECT_EQ(a1->shared.head, a2);
  vma_prio_tree_remove(w1, root);
  vma_prio_tree_remove(s, root);
  EXPECT_EQ(as_set(walk(12)), (std::set<Vma*>{a1, a2, w0}));
  EXPECT_EQ(as_set(walk(15)), (std::set<Vma*>{w0}));
  for (Vma* x : {a1, a2, w0}) vma_prio_tree_remove(x, root);
  EXPECT_TRUE(root.empty());
}
