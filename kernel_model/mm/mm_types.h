// Address-space objects: mm_struct, vm_area_struct, anon_vma, address_space, struct file with its
// readahead state (Linux 2.6.18 include/linux/mm_types.h, mm.h, rmap.h, fs.h; spec §8.1), with the
// locks Linux keeps in them.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <systemc>
#include <unordered_map>
#include <vector>

#include "kernel_model/kernel/kctx.h"
#include "kernel_model/kernel/locks.h"
#include "kernel_model/mm/page.h"
#include "kernel_model/mm/prio_tree.h"

namespace pc::kernel {

// vm_flags (include/linux/mm.h).
constexpr uint32_t VM_READ = 0x1, VM_WRITE = 0x2, VM_EXEC = 0x4, VM_SHARED = 0x8;
constexpr uint32_t VM_MAYREAD = 0x10, VM_MAYWRITE = 0x20, VM_MAYEXEC = 0x40, VM_MAYSHARE = 0x80;
constexpr uint32_t VM_GROWSDOWN = 0x100, VM_PFNMAP = 0x400, VM_LOCKED = 0x2000, VM_SEQ_READ = 0x8000,
                   VM_RAND_READ = 0x10000, VM_NONLINEAR = 0x800000, VM_HUGETLB = 0x400000,
                   VM_INSERTPAGE = 0x2000000;

// mmap prot/flags (asm-generic/mman.h).
constexpr uint32_t PROT_READ = 0x1, PROT_WRITE = 0x2, PROT_EXEC = 0x4, PROT_NONE = 0x0;
constexpr uint32_t MAP_SHARED = 0x01, MAP_PRIVATE = 0x02, MAP_FIXED = 0x10, MAP_ANONYMOUS = 0x20;
constexpr uint32_t MS_ASYNC = 1, MS_INVALIDATE = 2, MS_SYNC = 4;  // msync flags

struct MmStruct;
struct Vma;
struct File;

struct AnonVma {
  std::vector<Vma*> vmas;  // every VMA that may map pages of this anonymous family
  std::unique_ptr<Spinlock> lock;
};

// Where a file's pages come from (the block layer for disk files, zero-filled for shmem).
class FileBacking {
 public:
  virtual ~FileBacking() = default;
  // done(error, completion time in fs): may run ahead of sc_time_stamp() (an interrupt handler's local time).
  using IoDone = std::function<void(int, uint64_t)>;
  // Starts filling the frames `pas` with consecutive file pages index, index+1, ... (readpage/readpages:
  // one request for a contiguous run). Returns false when the pages are ready at once (no I/O);
  // otherwise the read is in flight and `done` runs once when all of it has completed.
  virtual bool readpages(uint64_t index, const std::vector<uint64_t>& pas, KCtx& k, IoDone done) = 0;
  // Starts writing the frame at `pa` back as file page `index` (writepage). Returns 0 if the write went
  // out (`done` will run), or a positive errno if the page cannot be written back now: shmem has no
  // backing store until swap exists (AOP_WRITEPAGE_ACTIVATE: the page stays and is reactivated).
  virtual int writepage(uint64_t index, uint64_t pa, KCtx& k, IoDone done) = 0;
  // ->sync_page (block_sync_page): a task about to sleep on one of its pages kicks the I/O queue.
  virtual void sync_page(KCtx& k) {}
  // bdi_write_congested / bdi_read_congested of the device under the file (none: never congested).
  virtual bool congested(bool write) const { return false; }
  virtual uint64_t size_pages() const = 0;
};

// struct file_ra_state (include/linux/fs.h): the readahead windows of an open file.
struct FileRaState {
  uint64_t start = 0, size = 0;  // the current window
  uint32_t flags = 0;            // RA_FLAG_MISS, RA_FLAG_INCACHE
  uint64_t cache_hit = 0;        // consecutive pages found cached
  int64_t prev_page = -1;        // the page last read
  uint64_t ahead_start = 0, ahead_size = 0;
  uint64_t ra_pages = 32;  // the largest window (VM_MAX_READAHEAD 128 KiB)
  uint64_t mmap_hit = 0, mmap_miss = 0;
};
constexpr uint32_t RA_FLAG_MISS = 0x01, RA_FLAG_INCACHE = 0x02;

struct AddressSpace {
  File* host = nullptr;
  std::map<uint64_t, Page*> page_tree;  // radix tree: file page index -> page
  // The file's mappings: a priority search tree keyed by each VMA's file page range (i_mmap). The model
  // has no remap_file_pages, so no VM_NONLINEAR VMA and no i_mmap_nonlinear list.
  PrioTreeRoot i_mmap;
  uint64_t nrpages = 0;
  std::unique_ptr<Spinlock> tree_lock, i_mmap_lock;
};

struct File {
  std::string name;
  std::unique_ptr<FileBacking> backing;
  AddressSpace mapping;
  FileRaState ra;
  bool unlinked_shmem = false;  // shared anonymous memory: released with its last mapping
  // shmem_inode_info's swap vector (i_direct and its indirect blocks): the swap entry of each page of a
  // shmem file that is out in swap, by page index.
  std::map<uint64_t, uint64_t> shmem_swap;
};

// vma->shared (include/linux/mm.h): a file VMA is either the prio tree's node for its page range
// (`node` in the tree; `head` is the first VMA on its vm_set list of VMAs with the same range, or null) or
// on such a list (`node` in no tree; the first one's `head` points back at the tree node's VMA).
struct VmaShared {
  ListHead list;  // vm_set.list (first member: see vm_set_entry)
  PrioTreeNode node;
  Vma* head = nullptr;
  Vma* vma = nullptr;  // the VMA this is part of

  VmaShared() = default;
  VmaShared(const VmaShared&) {}  // a copy of a VMA (fork, split) is in no tree until it is linked
  VmaShared& operator=(const VmaShared&) = delete;
};
inline Vma* vm_set_entry(ListHead* l) {
  return reinterpret_cast<VmaShared*>(l)->vma;
}

struct Vma {
  Vma() { shared.vma = this; }
  Vma(const Vma& o)
      : mm(o.mm),
        vm_start(o.vm_start),
        vm_end(o.vm_end),
        vm_flags(o.vm_flags),
        vm_pgoff(o.vm_pgoff),
        vm_file(o.vm_file),
        anon_vma(o.anon_vma) {
    shared.vma = this;
  }
  Vma& operator=(const Vma&) = delete;

  MmStruct* mm = nullptr;
  uint64_t vm_start = 0, vm_end = 0;  // [start, end)
  uint32_t vm_flags = 0;
  uint64_t vm_pgoff = 0;  // file offset in pages (anonymous: vm_start >> PAGE_SHIFT)
  File* vm_file = nullptr;
  AnonVma* anon_vma = nullptr;
  VmaShared shared;

  bool contains(uint64_t va) const { return va >= vm_start && va < vm_end; }
  // A private writable mapping whose pages are copied on write (is_cow_mapping).
  bool is_cow() const { return (vm_flags & (VM_SHARED | VM_MAYWRITE)) == VM_MAYWRITE; }
  uint64_t pages() const { return (vm_end - vm_start) >> kPageShift; }
};

struct MmStruct {
  uint64_t pgd = 0;  // physical address of the PML4 table
  uint16_t pcid = 0;
  std::map<uint64_t, std::unique_ptr<Vma>> vmas;  // keyed by vm_start
  uint64_t start_brk = 0, brk = 0, start_stack = 0;
  uint64_t anon_rss = 0, file_rss = 0, hiwater_rss = 0;
  uint64_t total_vm = 0;     // pages of address space mapped (OOM badness)
  uint64_t nr_ptes = 0;      // PTE pages
  uint64_t cpu_vm_mask = 0;  // CPUs that have this mm loaded (lazily or not)
  int mm_users = 1;          // tasks using it (threads share it)
  int mm_count = 1;          // references to the struct (mm_users counts as one; lazy-TLB CPUs one each)
  std::unique_ptr<RwSemaphore> mmap_sem;
  std::unique_ptr<Spinlock> page_table_lock;
  // The split PTE locks (x86-64 SMP: NR_CPUS >= CONFIG_SPLIT_PTLOCK_CPUS): one per PTE page, by its address.
  std::unordered_map<uint64_t, std::unique_ptr<Spinlock>> ptl;
  // On init_mm's mmlist (swapoff's list of mms that may hold swap entries) since its first swap PTE.
  bool on_mmlist = false;
  // The swap token (mm/thrash.c): a major fault happened since the holder was last checked, and the
  // jiffy before which this mm may not grab the token again.
  bool recent_pagein = false;
  uint64_t swap_token_time = 0;

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

// mm/prio_tree.c: the i_mmap tree of VMAs, with VMAs of identical range on the tree node's vm_set list.
void vma_prio_tree_insert(Vma* vma, PrioTreeRoot& root);
void vma_prio_tree_remove(Vma* vma, PrioTreeRoot& root);
// vma_prio_tree_add: `vma` (same range as `old`, which is linked) goes on the vm_set list right after
// `old` (fork puts the child's VMA next to the parent's this way).
void vma_prio_tree_add(Vma* vma, Vma* old);
// vma_prio_tree_foreach: every VMA whose file range overlaps [begin, end]; nullptr at the end.
struct VmaPrioTreeIter {
  VmaPrioTreeIter(PrioTreeRoot& root, uint64_t begin, uint64_t end) : tree(root, begin, end) {}
  Vma* next();
  PrioTreeIter tree;  // tree.visited: the tree nodes read
  Vma* vma = nullptr;
};

inline uint64_t linear_page_index(const Vma* vma, uint64_t addr) {
  return ((addr - vma->vm_start) >> kPageShift) + vma->vm_pgoff;
}

}  // namespace pc::kernel
