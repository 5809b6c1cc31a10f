// The slab allocator (Linux 2.6.18 mm/slab.c): kmem_cache_create's object layout and slab order,
// cache_grow over buddy pages, the per-CPU array caches with the node's shared array, free_block's
// free_limit, and cache_reap (run every 2 s on each CPU's events thread) draining the arrays and
// returning free slabs to the buddy allocator. One memory node (no alien caches).
//
// Objects live in simulated physical memory: the slab descriptor and its kmem_bufctl_t free list sit at
// the start of each slab (on-slab management) and every read or write of them, and every constructor's
// stores into an object, is a transaction on the kernel bus on the CPU the path runs on. The per-CPU and
// shared arrays of object pointers are charged as `costs.slab_op` per object moved.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "kernel_model/hal/kernel_bus.h"
#include "kernel_model/kernel/kctx.h"
#include "kernel_model/kernel/locks.h"
#include "kernel_model/kernel_config.h"
#include "kernel_model/mm/page_alloc.h"

namespace pc::kernel {

// kmem_cache_create flags (include/linux/slab.h, 2.6.18).
constexpr uint32_t SLAB_HWCACHE_ALIGN = 0x00002000;
constexpr uint32_t SLAB_RECLAIM_ACCOUNT = 0x00020000;  // the objects are reclaimable (dcache, icache)
constexpr uint32_t CFLGS_OFF_SLAB = 0x80000000;        // slab management kept off the slab

constexpr uint64_t BYTES_PER_WORD = 8;
constexpr uint64_t kCacheLineSize = 64;       // cache_line_size(): L1_CACHE_BYTES on x86-64
constexpr uint64_t kSlabDescBytes = 40;       // sizeof(struct slab) on x86-64
constexpr uint64_t kBufctlBytes = 4;          // sizeof(kmem_bufctl_t)
constexpr uint32_t BUFCTL_END = 0xffffffffu;  // the end of a slab's free list
constexpr unsigned MAX_GFP_ORDER = 5;         // the largest slab order tried
constexpr unsigned BATCHREFILL_LIMIT = 16;    // an untouched array refills at most this many
constexpr unsigned BREAK_GFP_ORDER_HI = 1;    // slab_break_gfp_order with more than 32 MiB

// struct array_cache: a LIFO of free object addresses.
struct ArrayCache {
  unsigned avail = 0, limit = 0, batchcount = 0;
  bool touched = false;
  std::vector<uint64_t> entry;
};

// struct slab: one slab's descriptor (its list link first, so a ListHead* is the Slab*).
struct Slab {
  ListHead list;
  uint64_t colouroff = 0;  // bytes from the slab's start to its first object
  uint64_t s_mem = 0;      // physical address of the first object
  uint64_t desc_pa = 0;    // physical address of the descriptor (struct slab, then the bufctl array)
  unsigned inuse = 0;
  uint32_t free = 0;             // index of the first free object, BUFCTL_END when full
  std::vector<uint32_t> bufctl;  // the free list (its copy in memory is written as the kernel does)
  Page* page = nullptr;
  const struct KmemCache* cache = nullptr;  // page_get_cache
};

struct KmemCache;
// The constructor run on each object when a slab is created (SLAB_CTOR_CONSTRUCTOR).
using SlabCtor = std::function<void(uint64_t objp, KCtx& k)>;

struct SlabCacheStats {
  uint64_t allocs = 0, frees = 0;
  uint64_t alloc_hits = 0, alloc_misses = 0;  // served from the per-CPU array / refilled it
  uint64_t free_hits = 0, free_misses = 0;    // the array had room / was flushed
  uint64_t grown = 0;                         // slabs created (cache_grow)
  uint64_t destroyed = 0;                     // slabs returned to the buddy allocator
  uint64_t reaped = 0;                        // of which by cache_reap's drain_freelist
};

// struct kmem_cache with its single kmem_list3.
struct KmemCache {
  std::string name;
  uint64_t obj_size = 0;     // the size asked for
  uint64_t buffer_size = 0;  // the object's footprint in the slab (aligned)
  uint64_t align = BYTES_PER_WORD;
  uint32_t flags = 0;
  unsigned gfporder = 0;
  unsigned num = 0;        // objects per slab
  uint64_t slab_size = 0;  // descriptor + bufctl array, aligned
  uint64_t colour = 0, colour_off = 0;
  gfp_t gfpflags = 0;
  SlabCtor ctor;
  unsigned limit = 0, batchcount = 0, shared = 0;  // enable_cpucache's tunables
  std::vector<ArrayCache> array;                   // per CPU
  // kmem_list3.
  ListHead slabs_partial, slabs_full, slabs_free;
  uint64_t free_objects = 0, free_limit = 0;
  bool free_touched = false;
  uint64_t next_reap = 0;  // jiffies
  uint64_t colour_next = 0;
  ArrayCache shared_array;  // l3->shared (limit shared * batchcount)
  std::unique_ptr<Spinlock> list_lock;
  SlabCacheStats stats;

  uint64_t active_objs() const { return stats.allocs - stats.frees; }
  uint64_t num_slabs() const { return stats.grown - stats.destroyed; }
  uint64_t pages() const { return num_slabs() << gfporder; }
};

class SlabAllocator {
 public:
  // `cpus`: the per-CPU arrays; `locks`: null in unit tests (no locking); `cpu_cycle`: the cost table's
  // clock.
  SlabAllocator(PageAllocator& alloc, KernelBus& bus, const KernelCosts& costs, sc_core::sc_time cpu_cycle,
                unsigned cpus, uint64_t hz, LockClass* list_lock_class);

  // kmem_cache_create(name, size, 0, flags, ctor): the layout is computed as 2.6.18 computes it
  // (calculate_slab_order, colouring, enable_cpucache's limits). Throws std::invalid_argument if the
  // object needs off-slab management (not modeled; see the README).
  KmemCache& kmem_cache_create(const std::string& name, uint64_t size, uint32_t flags, SlabCtor ctor = {});
  // kmem_cache_alloc: an object's physical address, 0 when no memory could be had.
  uint64_t kmem_cache_alloc(KmemCache& c, gfp_t gfp, KCtx& k);
  void kmem_cache_free(KmemCache& c, uint64_t objp, KCtx& k);
  // cache_reap for the CPU of `k` at jiffy `jiffies` (REAPTIMEOUT_LIST3 = 4 s between list reaps).
  void cache_reap(uint64_t jiffies, KCtx& k);

  // cache_estimate: objects of `buffer_size` bytes (aligned to `align`) a slab of order `gfporder`
  // holds, and the bytes left over.
  static void cache_estimate(unsigned gfporder, uint64_t buffer_size, uint64_t align, uint32_t flags,
                             uint64_t& left_over, unsigned& num);

  const std::vector<std::unique_ptr<KmemCache>>& caches() const { return m_caches; }
  // Pages the slab holds (what NR_SLAB counts).
  uint64_t nr_slab_pages() const;

 private:
  int cache_grow(KmemCache& c, gfp_t gfp, KCtx& k);
  uint64_t cache_alloc_refill(KmemCache& c, gfp_t gfp, KCtx& k);
  void cache_flusharray(KmemCache& c, ArrayCache& ac, KCtx& k);
  void free_block(KmemCache& c, const uint64_t* objpp, unsigned nr, KCtx& k);
  void drain_array(KmemCache& c, ArrayCache& ac, bool force, KCtx& k);
  unsigned drain_freelist(KmemCache& c, unsigned tofree, KCtx& k);
  void slab_destroy(KmemCache& c, Slab* slabp, KCtx& k);
  uint64_t slab_get_obj(KmemCache& c, Slab& s, KCtx& k);
  void slab_put_obj(KmemCache& c, Slab& s, uint64_t objp, KCtx& k);
  Slab* virt_to_slab(uint64_t objp);
  void cost(uint64_t cycles, KCtx& k) { k.delay += m_cycle * static_cast<double>(cycles); }
  void lock(KmemCache& c, KCtx& k) {
    if (c.list_lock) c.list_lock->lock(k);
  }
  void unlock(KmemCache& c, KCtx& k) {
    if (c.list_lock) c.list_lock->unlock(k);
  }

  PageAllocator& m_alloc;
  KernelBus& m_bus;
  KernelCosts m_costs;
  sc_core::sc_time m_cycle;
  unsigned m_cpus;
  uint64_t m_hz;
  LockClass* m_lock_class;
  std::vector<std::unique_ptr<KmemCache>> m_caches;  // cache_chain, in creation order
  // virt_to_slab (page_get_slab): the slab of each page, and the descriptors by their first page.
  std::unordered_map<uint64_t, Slab*> m_page_slab;
  std::unordered_map<uint64_t, std::unique_ptr<Slab>> m_slabs;
};

}  // namespace pc::kernel
