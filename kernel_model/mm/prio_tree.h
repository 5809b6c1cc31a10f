// The radix priority search tree of file mappings (Linux 2.6.18 lib/prio_tree.c, include/linux/
// prio_tree.h; McCreight's structure as Ashwin Chaugule and Rajesh Venkatasubramanian wrote it for the
// kernel): every node holds a closed interval [radix_index, heap_index] of file pages; the tree is a
// max-heap on heap_index and a radix tree on the bits of radix_index (then, once those run out, on the
// bits of heap_index - radix_index), so a stabbing query visits only the nodes on paths that can hold an
// overlapping interval. Nodes with an identical interval are not in the tree twice: insert returns the
// node already there (mm/prio_tree.c chains them as the vm_set list). Empty links point at the node itself
// and the root's parent at the root, as in Linux; a node in no tree has null links.
#pragma once

#include <cstdint>

namespace pc::kernel {

struct PrioTreeNode {
  PrioTreeNode* left = nullptr;
  PrioTreeNode* right = nullptr;
  PrioTreeNode* parent = nullptr;
  // The interval, set before insertion (Linux derives it from the VMA: vm_pgoff .. vm_pgoff + pages - 1;
  // it cannot change while the node is in the tree).
  uint64_t radix_index = 0, heap_index = 0;
  void* owner = nullptr;  // what the node belongs to (its Vma)

  bool in_tree() const { return parent != nullptr; }
  bool is_root() const { return parent == this; }
  bool left_empty() const { return left == this; }
  bool right_empty() const { return right == this; }
  void init() { left = right = parent = this; }  // INIT_PRIO_TREE_NODE
};

struct PrioTreeRoot {
  PrioTreeNode* node = nullptr;
  unsigned index_bits = 1;

  bool empty() const { return node == nullptr; }
  // Inserts `node` and returns it, or returns the node already in the tree with the same interval (then
  // `node` is not inserted).
  PrioTreeNode* insert(PrioTreeNode* node);
  void remove(PrioTreeNode* node);
  // `node` (in the tree) gives its place to `with` (not in the tree, same interval); returns `node`.
  PrioTreeNode* replace(PrioTreeNode* node, PrioTreeNode* with);

 private:
  PrioTreeNode* expand(PrioTreeNode* node, uint64_t max_heap_index);
};

// A stabbing/overlap query for [r_index, h_index] (struct prio_tree_iter with prio_tree_next). `visited`
// counts the nodes whose interval the walk read: what the walk costs.
struct PrioTreeIter {
  PrioTreeIter(PrioTreeRoot& root, uint64_t r, uint64_t h) : root(&root), r_index(r), h_index(h) {}
  PrioTreeNode* next();  // the next node overlapping the query, nullptr at the end

  PrioTreeRoot* root;
  uint64_t r_index, h_index;
  PrioTreeNode* cur = nullptr;
  uint64_t mask = 0, value = 0;
  unsigned size_level = 0;
  uint64_t visited = 0;

 private:
  PrioTreeNode* first();
  PrioTreeNode* go_left(uint64_t& r, uint64_t& h);
  PrioTreeNode* go_right(uint64_t& r, uint64_t& h);
  void go_parent();
  void step_down(PrioTreeNode* to);
  bool overlap(uint64_t r, uint64_t h) const { return h_index >= r && r_index <= h; }
};

}  // namespace pc::kernel
