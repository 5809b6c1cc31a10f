// The radix priority search tree (Linux 2.6.18 lib/prio_tree.c) and the i_mmap tree of VMAs built on
// it (mm/prio_tree.c), rule for rule.
#include "kernel_model/mm/prio_tree.h"

#include <stdexcept>

#include "kernel_model/mm/mm_types.h"

namespace pc::kernel {
namespace {

constexpr unsigned kBitsPerLong = 64;

// prio_tree_maxindex: the largest heap index a tree of `bits` radix bits holds.
uint64_t maxindex(unsigned bits) {
  return bits >= kBitsPerLong ? ~0ull : (1ull << bits) - 1;
}

}  // namespace

PrioTreeNode* PrioTreeRoot::replace(PrioTreeNode* old, PrioTreeNode* with) {
  with->init();
  if (old->is_root()) {
    // Linux could shrink index_bits here and does not ("complex and does not help much").
    with->parent = with;
    node = with;
  } else {
    with->parent = old->parent;
    if (old->parent->left == old)
      old->parent->left = with;
    else
      old->parent->right = with;
  }
  if (!old->left_empty()) {
    with->left = old->left;
    old->left->parent = with;
  }
  if (!old->right_empty()) {
    with->right = old->right;
    old->right->parent = with;
  }
  return old;  // its links still name its old neighbours: remove() climbs through them
}

PrioTreeNode* PrioTreeRoot::expand(PrioTreeNode* n, uint64_t max_heap_index) {
  // The new interval ends beyond what index_bits can hold: it becomes the root and the old tree its left
  // subtree (every old radix index has the new top bit clear). Each further bit needed takes one old node
  // out to fill the chain of left children down to the old tree.
  PrioTreeNode *first = nullptr, *last = nullptr;
  if (max_heap_index > maxindex(index_bits)) ++index_bits;
  while (max_heap_index > maxindex(index_bits)) {
    ++index_bits;
    if (empty()) continue;
    PrioTreeNode* top = node;
    remove(top);
    top->init();
    if (!first) {
      first = last = top;
    } else {
      last->left = top;
      top->parent = last;
      last = top;
    }
  }
  n->init();
  if (first) {
    n->left = first;
    first->parent = n;
  } else {
    last = n;
  }
  if (!empty()) {
    last->left = node;
    node->parent = last;
  }
  node = n;
  return n;
}

PrioTreeNode* PrioTreeRoot::insert(PrioTreeNode* n) {
  uint64_t radix_index = n->radix_index, heap_index = n->heap_index;
  if (empty() || heap_index > maxindex(index_bits)) return expand(n, heap_index);
  PrioTreeNode* res = n;
  PrioTreeNode* cur = node;
  uint64_t mask = 1ull << (index_bits - 1);
  bool size_flag = false;
  while (mask) {
    uint64_t r_index = cur->radix_index, h_index = cur->heap_index;
    if (r_index == radix_index && h_index == heap_index) return cur;
    // The heap order: the larger heap index (then the smaller radix index) stays above; the other one
    // goes on down.
    if (h_index < heap_index || (h_index == heap_index && r_index > radix_index)) {
      PrioTreeNode* tmp = n;
      n = replace(cur, n);
      cur = tmp;
      std::swap(r_index, radix_index);
      std::swap(h_index, heap_index);
    }
    const uint64_t index = size_flag ? heap_index - radix_index : radix_index;
    if (index & mask) {
      if (cur->right_empty()) {
        n->init();
        cur->right = n;
        n->parent = cur;
        return res;
      }
      cur = cur->right;
    } else {
      if (cur->left_empty()) {
        n->init();
        cur->left = n;
        n->parent = cur;
        return res;
      }
      cur = cur->left;
    }
    mask >>= 1;
    if (!mask) {  // the radix bits are used up: go on by the interval's size
      mask = 1ull << (kBitsPerLong - 1);
      size_flag = true;
    }
  }
  throw std::logic_error("prio_tree_insert: ran out of index bits");
}

void PrioTreeRoot::remove(PrioTreeNode* n) {
  // Follow the larger child down to a leaf, unhook it, then shift every node on that path up one level
  // into the place of the one above it: `n` drops out and the heap order holds.
  PrioTreeNode* cur = n;
  while (!cur->left_empty() || !cur->right_empty()) {
    if (cur->left_empty()) {
      cur = cur->right;
      continue;
    }
    if (cur->right_empty()) {
      cur = cur->left;
      continue;
    }
    cur = cur->left->heap_index >= cur->right->heap_index ? cur->left : cur->right;
  }
  if (cur->is_root()) {
    if (node != cur) throw std::logic_error("prio_tree_remove: a second root");
    node = nullptr;
    index_bits = 1;
    cur->left = cur->right = cur->parent = nullptr;
    return;
  }
  if (cur->parent->right == cur)
    cur->parent->right = cur->parent;
  else
    cur->parent->left = cur->parent;
  while (cur != n) cur = replace(cur->parent, cur);
  n->left = n->right = n->parent = nullptr;
}

void PrioTreeIter::step_down(PrioTreeNode* to) {
  cur = to;
  mask >>= 1;
  if (mask) {
    if (size_level) ++size_level;
  } else if (size_level) {  // a leaf below the last size bit
    ++size_level;
    mask = ~0ull;
  } else {
    size_level = 1;
    mask = 1ull << (kBitsPerLong - 1);
  }
}

PrioTreeNode* PrioTreeIter::go_left(uint64_t& r, uint64_t& h) {
  if (cur->left_empty()) return nullptr;
  r = cur->left->radix_index;
  h = cur->left->heap_index;
  ++visited;
  // Below a node ending before the query starts nothing can overlap (the heap order).
  if (r_index > h) return nullptr;
  step_down(cur->left);
  return cur;
}

PrioTreeNode* PrioTreeIter::go_right(uint64_t& r, uint64_t& h) {
  if (cur->right_empty()) return nullptr;
  const uint64_t v = size_level ? value : value | mask;
  // Every radix index on the right is at least v: nothing there starts by the query's end.
  if (h_index < v) return nullptr;
  r = cur->right->radix_index;
  h = cur->right->heap_index;
  ++visited;
  if (r_index > h) return nullptr;
  step_down(cur->right);
  value = v;
  return cur;
}

void PrioTreeIter::go_parent() {
  cur = cur->parent;
  if (mask == ~0ull || size_level == 1)
    mask = 1;
  else
    mask <<= 1;
  if (size_level) --size_level;
  if (!size_level && (value & mask)) value ^= mask;
}

PrioTreeNode* PrioTreeIter::first() {
  cur = nullptr;
  mask = value = 0;
  size_level = 0;
  if (root->empty()) return nullptr;
  uint64_t r = root->node->radix_index, h = root->node->heap_index;
  ++visited;
  if (r_index > h) return nullptr;
  mask = 1ull << (root->index_bits - 1);
  cur = root->node;
  for (;;) {
    if (overlap(r, h)) return cur;
    if (go_left(r, h)) continue;
    if (go_right(r, h)) continue;
    break;
  }
  cur = nullptr;
  return nullptr;
}

PrioTreeNode* PrioTreeIter::next() {
  if (!cur) return first();
  uint64_t r = 0, h = 0;
  for (;;) {
    while (go_left(r, h))
      if (overlap(r, h)) return cur;
    while (!go_right(r, h)) {
      while (!cur->is_root() && cur->parent->right == cur) go_parent();
      if (cur->is_root()) return nullptr;
      go_parent();
    }
    if (overlap(r, h)) return cur;
  }
}

// ---- mm/prio_tree.c: VMAs in the tree. A VMA's interval is its file pages [vm_pgoff, vm_pgoff +
// pages - 1]; VMAs with the same interval share one tree node (the first one linked) and hang off it on
// the vm_set list, so the tree stays as small as the number of distinct ranges.

void vma_prio_tree_add(Vma* vma, Vma* old) {
  vma->shared.head = nullptr;
  vma->shared.node.left = vma->shared.node.right = vma->shared.node.parent = nullptr;
  if (!old->shared.node.in_tree()) {
    old->shared.list.add(&vma->shared.list);  // after `old` on the list it is on
  } else if (old->shared.head) {
    old->shared.head->shared.list.add_tail(&vma->shared.list);
  } else {  // the first VMA on the tree node's list: the two point at each other
    ListHead::del(&vma->shared.list);
    vma->shared.head = old;
    old->shared.head = vma;
  }
}

void vma_prio_tree_insert(Vma* vma, PrioTreeRoot& root) {
  VmaShared& sh = vma->shared;
  sh.head = nullptr;
  sh.node.radix_index = vma->vm_pgoff;
  sh.node.heap_index = vma->vm_pgoff + vma->pages() - 1;
  sh.node.owner = vma;
  PrioTreeNode* ptr = root.insert(&sh.node);
  if (ptr != &sh.node) vma_prio_tree_add(vma, static_cast<Vma*>(ptr->owner));
}

void vma_prio_tree_remove(Vma* vma, PrioTreeRoot& root) {
  VmaShared& sh = vma->shared;
  if (!sh.head) {
    if (!sh.node.in_tree())
      ListHead::del(&sh.list);
    else
      root.remove(&sh.node);
    return;
  }
  if (sh.head->shared.head != vma) throw std::logic_error("vma_prio_tree_remove: broken vm_set list");
  if (sh.node.in_tree()) {
    // The tree node goes: the first VMA of its list takes its place in the tree, the next one (if any)
    // becomes the list's first.
    Vma* head = sh.head;
    Vma* new_head = nullptr;
    if (!head->shared.list.empty()) {
      new_head = vm_set_entry(head->shared.list.next);
      ListHead::del(&head->shared.list);
    }
    head->shared.node.radix_index = sh.node.radix_index;
    head->shared.node.heap_index = sh.node.heap_index;
    head->shared.node.owner = head;
    root.replace(&sh.node, &head->shared.node);
    sh.node.left = sh.node.right = sh.node.parent = nullptr;
    head->shared.head = new_head;
    if (new_head) new_head->shared.head = head;
  } else {  // the list's first VMA goes: the next one on the list takes over
    Vma* node = sh.head;
    if (!sh.list.empty()) {
      Vma* new_head = vm_set_entry(sh.list.next);
      ListHead::del(&sh.list);
      node->shared.head = new_head;
      new_head->shared.head = node;
    } else {
      node->shared.head = nullptr;
    }
  }
  sh.head = nullptr;
}

Vma* VmaPrioTreeIter::next() {
  // vma_prio_tree_next: a tree node, then its vm_set list (through the head, then the list), then the
  // next tree node.
  if (vma) {
    const VmaShared& sh = vma->shared;
    if (sh.node.in_tree()) {
      if (sh.head) return vma = sh.head;
    } else {
      Vma* nxt = vm_set_entry(sh.list.next);
      if (!nxt->shared.head) return vma = nxt;  // the list's end comes back to its first (headed) VMA
    }
  }
  PrioTreeNode* ptr = tree.next();
  return vma = ptr ? static_cast<Vma*>(ptr->owner) : nullptr;
}

}  // namespace pc::kernel
