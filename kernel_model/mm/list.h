// Intrusive doubly linked list in the manner of Linux's struct list_head (include/linux/list.h): the
// LRU lists, buddy free lists and per-CPU page lists link page descriptors without allocating.
#pragma once

#include <cstddef>

namespace pc::kernel {

struct ListHead {
  ListHead* next = this;
  ListHead* prev = this;

  ListHead() = default;
  ListHead(const ListHead&) = delete;
  ListHead& operator=(const ListHead&) = delete;

  bool empty() const { return next == this; }
  // Insert `n` right after this head (list_add: the "head" end, where new LRU pages go).
  void add(ListHead* n) { link(n, this, next); }
  // Insert `n` right before this head (list_add_tail: the tail, the oldest end of an LRU list).
  void add_tail(ListHead* n) { link(n, prev, this); }
  static void del(ListHead* n) {
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->next = n->prev = n;
  }
  // Unlinks `n` from its list and adds it after `head`.
  static void move(ListHead* n, ListHead* head) {
    del(n);
    head->add(n);
  }
  static void move_tail(ListHead* n, ListHead* head) {
    del(n);
    head->add_tail(n);
  }

 private:
  static void link(ListHead* n, ListHead* prev, ListHead* next) {
    next->prev = n;
    n->next = next;
    n->prev = prev;
    prev->next = n;
  }
};

}  // namespace pc::kernel
