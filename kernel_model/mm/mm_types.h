// Address-space objects: mm_struct, vm_area_struct, anon_vma, address_space and the kernel-path context
// (Linux 2.6.18 include/linux/mm_types.h, mm.h, rmap.h, fs.h; spec linux-2.6.18-mm.md §8.1).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <systemc>
#include <vector>

#include "kernel_model/hal/kernel_bus.h"
#include "kernel_model/mm/page.h"

namespace pc::kernel {

// vm_flags (include/linux/mm.h).
constexpr uint32_t VM_READ = 0x1, VM_WRITE = 0x2, VM_EXEC = 0x4, VM_SHARED = 0x8;
constexpr uint32_t VM_MAYREAD = 0x10, VM_MAYWRITE = 0x20, VM_MAYEXEC = 0x40, VM_MAYSHARE = 0x80;
constexpr uint32_t VM_GROWSDOWN = 0x100, VM_LOCKED = 0x2000;

// mmap prot/flags (asm-generic/mman.h).
constexpr uint32_t PROT_READ = 0x1, PROT_WRITE = 0x2, PROT_EXEC = 0x4, PROT_NONE = 0x0;
constexpr uint32_t MAP_SHARED = 0x01, MAP_PRIVATE = 0x02, MAP_FIXED = 0x10, MAP_ANONYMOUS = 0x20;

struct MmStruct;
struct Vma;
struct File;

// The context of one kernel path: the CPU it runs on and the time its memory traffic and CPU work cost
// so far. A path entered from a core's trap hands the total back as trap cycles.
struct KCtx : BusCtx {
  explicit KCtx(unsigned c = 0, sc_core::sc_time d = sc_core::SC_ZERO_TIME) : BusCtx{c, d} {}
  Page* wait_page = nullptr;  // FaultResult::Blocked: the locked page (I/O in flight) the task sleeps on
  bool retry = false;         // re-execution of a fault that slept on I/O: not counted again
  uint32_t cow_copies = 0;    // pages this path copied on write (per-task accounting)
  uint32_t major = 0;         // reads this path started (major faults)
};

struct AnonVma {
  std::vector<Vma*> vmas;  // every VMA that may map pages of this anonymous family
};

// Where a file's pages come from (the block layer for disk files, zero-filled for shmem).
class FileBacking {
 public:
  virtual ~FileBacking() = default;
  // done(error, completion time in fs): may run ahead of sc_time_stamp() (an interrupt handler's local time).
  using IoDone = std::function<void(int, uint64_t)>;
  // Starts filling the frame at `pa` with file page `index` (readpage). Returns false when the page is
  // ready at once (no I/O); otherwise the read is in flight and `done` runs when it completes.
  virtual bool readpage(uint64_t index, uint64_t pa, KCtx& k, IoDone done) = 0;
  // The same for consecutive file pages index, index+1, ... into the frames `pas` (readahead: one
  // request for the whole window). The default reads them one by one and reports once.
  virtual bool readpages(uint64_t index, const std::vector<uint64_t>& pas, KCtx& k, IoDone done) {
    auto left = std::make_shared<size_t>(pas.size());
    auto first_err = std::make_shared<int>(0);
    bool io = false;
    for (size_t i = 0; i < pas.size(); ++i) {
      io |= readpage(index + i, pas[i], k, [left, first_err, done](int err, uint64_t at) {
        if (err && !*first_err) *first_err = err;
        if (--*left == 0) done(*first_err, at);
      });
    }
    return io;
  }
  // Starts writing the frame at `pa` back as file page `index` (writepage).
  virtual void writepage(uint64_t index, uint64_t pa, KCtx& k, IoDone done) = 0;
  virtual uint64_t size_pages() const = 0;
};

struct AddressSpace {
  File* host = nullptr;
  std::map<uint64_t, Page*> page_tree;  // radix tree: file page index -> page
  std::vector<Vma*> i_mmap;             // VMAs mapping this file (the prio tree, as a list)
  uint64_t nrpages = 0;
};

struct File {
  std::string name;
  std::unique_ptr<FileBacking> backing;
  AddressSpace mapping;
  uint64_t last_read_index = ~0ull;  // mark_page_accessed once per page for sequential reads (spec §3.2)
  bool unlinked_shmem = false;       // shared anonymous memory: released with its last mapping
};

struct Vma {
  MmStruct* mm = nullptr;
  uint64_t vm_start = 0, vm_end = 0;  // [start, end)
  uint32_t vm_flags = 0;
  uint64_t vm_pgoff = 0;  // file offset in pages (anonymous: vm_start >> PAGE_SHIFT)
  File* vm_file = nullptr;
  AnonVma* anon_vma = nullptr;

  bool contains(uint64_t va) const { return va >= vm_start && va < vm_end; }
  // A private writable mapping whose pages are copied on write (is_cow_mapping).
  bool is_cow() const { return (vm_flags & (VM_SHARED | VM_MAYWRITE)) == VM_MAYWRITE; }
};

struct MmStruct {
  uint64_t pgd = 0;       // physical address of the PML4 table
  uint16_t pcid = 0;
  std::map<uint64_t, std::unique_ptr<Vma>> vmas;  // keyed by vm_start
  uint64_t start_brk = 0, brk = 0, start_stack = 0;
  uint64_t anon_rss = 0, file_rss = 0, hiwater_rss = 0;
  uint64_t nr_ptes = 0;       // page-table pages below the PGD (PUD/PMD/PTE tables)
  uint64_t cpu_vm_mask = 0;   // CPUs that have run this mm since its last full flush
  int users = 1;

  uint64_t cr3() const { return pgd | pcid; }
  // find_vma: the first VMA with vm_end > va (it may start above va).
  Vma* find_vma(uint64_t va) const {
    auto it = vmas.upper_bound(va);
    if (it != vmas.begin()) {
      auto prev = std::prev(it);
      if (prev->second->vm_end > va) return prev->second.get();
    }
    return it == vmas.end() ? nullptr : it->second.get();
  }
};

// vma_address: the linear address of `page` in `vma`, or ~0 if it lies outside it.
inline uint64_t vma_address(const Page* page, const Vma* vma) {
  const uint64_t pgoff = page->index;
  if (pgoff < vma->vm_pgoff) return ~0ull;
  const uint64_t addr = vma->vm_start + ((pgoff - vma->vm_pgoff) << kPageShift);
  return (addr >= vma->vm_start && addr < vma->vm_end) ? addr : ~0ull;
}

inline uint64_t linear_page_index(const Vma* vma, uint64_t addr) {
  return ((addr - vma->vm_start) >> kPageShift) + vma->vm_pgoff;
}

}  // namespace pc::kernel
