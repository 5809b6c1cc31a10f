// Kernel model configuration: platform-level knobs and the CPU cost table for the kernel work that is
// not modeled instruction by instruction (ARCHITECTURE.md §3). Memory traffic is never in this table:
// page-table reads and writes, page zeroing and copying are real transactions and cost what they cost.
#pragma once

#include <cstdint>
#include <vector>

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
  uint64_t prio_tree_node = 10;    // reading one i_mmap prio tree node in an rmap walk (a cache line)
  uint64_t spin_lock = 25;         // taking and releasing an uncontended spinlock (or a semaphore)
  uint64_t vma_op = 250;           // creating, splitting, merging or removing a VMA
  uint64_t context_switch = 1500;  // schedule(): runqueue work and register state (CR3 load is separate)
  uint64_t fork_base = 20000;      // copy_process without the address space (task struct, files, signals)
  uint64_t exec_base = 20000;      // execve without the address space (binary loading, argument copying)
  uint64_t page_cache_op = 40;     // a radix-tree lookup or insertion in a mapping
  uint64_t work_item = 500;        // running one workqueue item (the work itself is charged separately)
  uint64_t slab_op = 10;           // moving one object pointer through a slab array cache or slab list
  uint64_t d_lookup = 60;          // hashing a name and walking its dcache hash chain (its loads separate)

  void describe(cfg::Visitor& v) {
    v.u64("fault_entry", fault_entry, "cycles", "page-fault exception entry and exit");
    v.u64("syscall_entry", syscall_entry, "cycles", "system call entry and exit");
    v.u64("find_vma", find_vma, "cycles", "VMA lookup");
    v.u64("page_alloc", page_alloc, "cycles", "allocator list work per allocation");
    v.u64("page_free", page_free, "cycles", "allocator list work per freed page");
    v.u64("lru_op", lru_op, "cycles", "LRU pagevec or list operation");
    v.u64("rmap_op", rmap_op, "cycles", "reverse-mapping bookkeeping per page");
    v.u64("prio_tree_node", prio_tree_node, "cycles",
          "one i_mmap priority-search-tree node read by a file rmap walk");
    v.u64("spin_lock", spin_lock, "cycles", "uncontended spinlock (or semaphore) acquire and release");
    v.u64("vma_op", vma_op, "cycles", "VMA create, split, merge or remove");
    v.u64("context_switch", context_switch, "cycles", "scheduler work of one context switch");
    v.u64("fork_base", fork_base, "cycles", "fork work other than copying the address space");
    v.u64("exec_base", exec_base, "cycles", "execve work other than building the address space");
    v.u64("page_cache_op", page_cache_op, "cycles", "page-cache radix-tree lookup or insertion");
    v.u64("work_item", work_item, "cycles", "workqueue overhead of one work item");
    v.u64("slab_op", slab_op, "cycles",
          "slab: one object through a per-CPU or shared array, or a slab list move");
    v.u64("d_lookup", d_lookup, "cycles", "path lookup of one name: hashing and the dcache hash-chain walk");
  }
};

// VM policy switches (the /proc/sys/vm knobs of the execution-model and reclaim issues).
struct VmConfig {
  bool flush_on_young =
      true;  // ptep_clear_flush_young flushes the TLB entry of a young PTE (2.6.18; off: later kernels)
  uint64_t swappiness = 60;                  // vm.swappiness (swap_tendency)
  bool laptop_mode = false;                  // vm.laptop_mode: reclaim starts without writing dirty pages
  uint64_t dirty_ratio = 40;                 // vm.dirty_ratio (%)
  uint64_t dirty_background_ratio = 10;      // vm.dirty_background_ratio (%)
  uint64_t dirty_writeback_centisecs = 500;  // wb_kupdate period
  uint64_t dirty_expire_centisecs = 3000;    // age at which wb_kupdate writes a dirty page
  uint64_t vfs_cache_pressure = 100;         // dcache/icache shrinker weight
  uint64_t min_free_kbytes = 0;              // 0: computed at boot (isqrt(lowmem_kbytes * 16))
  bool count_pgsteal = false;                // 2.6.19+: pgsteal_* count reclaimed pages (2.6.18: never)
  bool panic_on_oom = false;                 // vm.panic_on_oom: panic instead of OOM-killing

  void describe(cfg::Visitor& v) {
    v.boolean(
        "flush_on_young", flush_on_young,
        "page_referenced flushes the TLB entry of each young PTE it clears (2.6.18 behaviour); off selects "
        "what later kernels (3.x) do: leave the stale entry until something else flushes it");
    v.u64("swappiness", swappiness, "%", "vm.swappiness: how readily reclaim deactivates mapped pages", 0,
          100);
    v.boolean("laptop_mode", laptop_mode,
              "vm.laptop_mode: reclaim starts with may_writepage off and wakes pdflush for all dirty pages");
    v.u64("dirty_ratio", dirty_ratio, "%",
          "vm.dirty_ratio: writers are throttled above this share of memory dirty (reduced to half the "
          "unmapped share, at least 5)",
          1, 100);
    v.u64("dirty_background_ratio", dirty_background_ratio, "%",
          "vm.dirty_background_ratio: pdflush writes back in the background above this share", 0, 100);
    v.u64("dirty_writeback_centisecs", dirty_writeback_centisecs, "cs",
          "vm.dirty_writeback_centisecs: period of wb_kupdate (0: off)", 0, 1000000);
    v.u64("dirty_expire_centisecs", dirty_expire_centisecs, "cs",
          "vm.dirty_expire_centisecs: wb_kupdate writes pages dirty for longer than this", 0, 1000000);
    v.u64("vfs_cache_pressure", vfs_cache_pressure, "%",
          "vm.vfs_cache_pressure: weight of the dentry and inode caches in shrink_slab", 0, 10000);
    v.u64("min_free_kbytes", min_free_kbytes, "KiB",
          "vm.min_free_kbytes: 0 computes it at boot as 2.6.18 does; a value recomputes the watermarks "
          "(setup_per_zone_pages_min) as the sysctl does",
          0, 65536);
    v.boolean(
        "count_pgsteal", count_pgsteal,
        "count reclaimed pages in pgsteal_<zone> as 2.6.19 and later do; off (2.6.18) leaves pgsteal at 0 "
        "and counts reclaimed pages in pgactivate, as 2.6.18's shrink_inactive_list does");
    v.boolean("panic_on_oom", panic_on_oom,
              "vm.panic_on_oom: when memory runs out the kernel panics (the run stops with an error) "
              "instead of killing the task badness picks");
  }
};

// One swap area (a partition: a sector range of a disk; a file: extents of a file on a disk). The platform
// writes its mkswap header into the disk image before the run; the kernel brings it in with sys_swapon.
struct SwapAreaConfig {
  enum class Kind { Partition, File };
  uint64_t disk = 0;  // the disk it is on
  Kind kind = Kind::Partition;
  uint64_t size_mib = 0;   // 0: twice the memory, as installers of the era sized it
  uint64_t start_mib = 0;  // where it starts on the disk; 0: after the scenario's files
  int64_t priority = -1;   // swapon's priority; -1: assigned (-1, -2, ... in swapon order)
  uint64_t extents = 1;    // a swap file: the number of extents it is laid out in (with 1 MiB gaps)
  bool format = true;      // run mkswap on it (off: whatever the disk holds, zeros: swapon refuses it)
  bool active = true;      // swapon at boot (off: a scenario's swapon step brings it in)

  void describe(cfg::Visitor& v) {
    v.u64("disk", disk, "", "the disk the area is on (0 = disk, 1.. = extra_disks)", 0, 31);
    v.choice("kind", kind, {{"partition", Kind::Partition}, {"file", Kind::File}},
             "a swap partition (one sector range) or a swap file (extents mapped by map_swap_page)");
    v.u64("size_mib", size_mib, "MiB", "area size; 0 = twice the memory size", 0, 1ull << 22);
    v.u64("start_mib", start_mib, "MiB", "start on the disk; 0 = placed after the scenario's files", 0,
          1ull << 24);
    v.i64("priority", priority, "",
          "swapon priority (higher first, round-robin among equals); -1 assigns -1, -2, ... in order", -1,
          32767);
    v.u64("extents", extents, "", "swap file: extents it is laid out in, 1 MiB apart on the disk", 1, 1024);
    v.boolean("format", format, "write the mkswap header (SWAPSPACE2) before the run");
    v.boolean("active", active, "swapon at boot (else a scenario 'swapon' step brings it in)");
  }
};

struct SwapConfig {
  std::vector<SwapAreaConfig> areas;
  uint64_t page_cluster = 3;  // vm.page_cluster: swap-in readahead of 2^n slots
  bool swap_token = true;     // mm/thrash.c's swap token
  uint64_t swap_token_timeout_s = 300;

  void describe(cfg::Visitor& v) {
    v.list("areas", areas, "swap areas, brought in in this order (swap type 0, 1, ...)");
    v.u64("page_cluster", page_cluster, "",
          "vm.page_cluster: swap-in reads 2^n slots around a fault (0: off)", 0, 5);
    v.boolean("swap_token", swap_token, "the swap token (mm/thrash.c): a thrashing task's pages are kept");
    v.u64("swap_token_timeout_s", swap_token_timeout_s, "s",
          "vm.swap_token_timeout: how long one task may hold the token", 1, 100000);
  }
};

struct KernelConfig {
  uint64_t reserved_kib = 2048;  // low memory the kernel image and firmware occupy (never allocatable)
  uint64_t hz = 250;             // CONFIG_HZ: jiffies per second (time slices, timers, congestion naps)
  uint64_t irq_affinity = 0;     // the CPU device interrupts go to (2.6.18 without irqbalance: CPU 0)
  uint64_t readahead_kib = 128;  // VM_MAX_READAHEAD: the largest readahead window of a file
  // khungtaskd's hung_task_timeout_secs (Linux 2.6.30+, not in 2.6.18): a task asleep this long where
  // only a wake-up can end its sleep means a lost wake-up in the model; the run stops and says where.
  uint64_t hung_task_timeout_s = 120;
  VmConfig vm;
  KernelCosts costs;
  BlockConfig block;
  SwapConfig swap;

  void describe(cfg::Visitor& v) {
    v.u64("reserved_kib", reserved_kib, "KiB",
          "low physical memory reserved for firmware and the kernel image", 4, 1ull << 30);
    v.u64("hz", hz, "Hz", "CONFIG_HZ: the timer tick (time slices are whole jiffies: nice 0 gets 100 ms)",
          100, 1000);
    v.u64("irq_affinity", irq_affinity, "cpu", "the CPU that handles device interrupts", 0, 255);
    v.u64("readahead_kib", readahead_kib, "KiB",
          "file readahead: the largest window (VM_MAX_READAHEAD; mmap read-around reads this much around a "
          "fault)",
          4, 2048);
    v.u64("hung_task_timeout_s", hung_task_timeout_s, "s",
          "stop the run with an error naming the task and what it waits on when a task has slept this long "
          "(simulated) with no timeout, as khungtaskd reports (0: never)",
          0, 1000000);
    v.section("vm", vm, "VM policy (/proc/sys/vm)");
    v.section("costs", costs, "CPU cycles of kernel operations not modeled instruction by instruction");
    v.section("block", block, "block layer and disk driver (Linux 2.6.18)");
    v.section("swap", swap, "swap areas and swap policy (mm/swapfile.c, mm/thrash.c)");
  }
};

}  // namespace pc::kernel
