// Kernel model configuration: platform-level knobs and the CPU cost table for the kernel work that is
// not modeled instruction by instruction (ARCHITECTURE.md §3). Memory traffic is never in this table:
// page-table reads and writes, page zeroing and copying are real transactions and cost what they cost.
#pragma once

#include <cstdint>

#include "kernel_model/block/block_config.h"
#include "platform/core/config.h"

namespace pc::kernel {

// Cycles per named operation. Defaults are estimates of a 2.6-era kernel on a ~3 GHz core, in the
// range lmbench-style measurements report (a minor fault costs ~1 us end to end, most of it the
// exception round trip and the page clear); override them to calibrate against a real machine.
struct KernelCosts {
  uint64_t fault_entry = 300;      // exception entry, do_page_fault prologue, iret
  uint64_t syscall_entry = 150;    // SYSCALL/SYSRET round trip and dispatch
  uint64_t find_vma = 30;          // VMA tree lookup
  uint64_t page_alloc = 80;        // buddy / per-CPU list operations of one allocation
  uint64_t page_free = 50;         // freeing one page
  uint64_t lru_op = 15;            // pagevec add, list move
  uint64_t rmap_op = 20;           // mapcount / anon_vma bookkeeping of one page
  uint64_t pte_lock = 25;          // taking and releasing a page-table lock
  uint64_t vma_op = 250;           // creating, splitting, merging or removing a VMA
  uint64_t context_switch = 1500;  // schedule(): runqueue work and register state (CR3 load is separate)
  uint64_t fork_base = 20000;      // copy_process without the address space (task struct, files, signals)

  void describe(cfg::Visitor& v) {
    v.u64("fault_entry", fault_entry, "cycles", "page-fault exception entry and exit");
    v.u64("syscall_entry", syscall_entry, "cycles", "system call entry and exit");
    v.u64("find_vma", find_vma, "cycles", "VMA lookup");
    v.u64("page_alloc", page_alloc, "cycles", "allocator list work per allocation");
    v.u64("page_free", page_free, "cycles", "allocator list work per freed page");
    v.u64("lru_op", lru_op, "cycles", "LRU pagevec or list operation");
    v.u64("rmap_op", rmap_op, "cycles", "reverse-mapping bookkeeping per page");
    v.u64("pte_lock", pte_lock, "cycles", "page-table lock round trip");
    v.u64("vma_op", vma_op, "cycles", "VMA create, split, merge or remove");
    v.u64("context_switch", context_switch, "cycles", "scheduler work of one context switch");
    v.u64("fork_base", fork_base, "cycles", "fork work other than copying the address space");
  }
};

struct KernelConfig {
  uint64_t reserved_kib = 2048;  // low memory the kernel image and firmware occupy (never allocatable)
  uint64_t timeslice_us = 1000;  // round-robin time slice
  uint64_t readahead_kib = 128;  // file readahead window (VM_MAX_READAHEAD)
  KernelCosts costs;
  BlockConfig block;

  void describe(cfg::Visitor& v) {
    v.u64("reserved_kib", reserved_kib, "KiB", "low physical memory reserved for firmware and the kernel image", 4,
          1ull << 30);
    v.u64("timeslice_us", timeslice_us, "us", "scheduler time slice", 1, 10000000);
    v.u64("readahead_kib", readahead_kib, "KiB",
          "file readahead: a page-cache miss reads up to this much of the file in one request (4 = none)", 4, 2048);
    v.section("costs", costs, "CPU cycles of kernel operations not modeled instruction by instruction");
    v.section("block", block, "block layer and disk driver (Linux 2.6.18)");
  }
};

}  // namespace pc::kernel
