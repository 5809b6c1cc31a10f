// The dentry and inode caches (Linux 2.6.18 fs/dcache.c, fs/inode.c) of one flat directory of names:
// path lookup (d_lookup, d_alloc, iget, d_add), dget/dput with the dentry_unused LRU and its
// DCACHE_REFERENCED second chance, the inode_in_use/inode_unused lists, and the shrinkers
// shrink_dcache_memory and shrink_icache_memory (prune_dcache, prune_icache) that shrink_slab calls.
// Dentries and inodes are objects of the slab caches "dentry_cache" and "inode_cache" in simulated
// memory; initialising one and touching its reference count are transactions on the kernel bus.
//
// A name may stand for a scenario file: its inode's i_data is the file's page cache, which prune_icache
// invalidates before freeing the inode (kswapd_inodesteal / pginodesteal). Not modeled: the
// filesystem's on-disk inode read on a miss (a miss costs memory traffic and CPU only) and directories
// other than the one the names live in.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>

#include "kernel_model/hal/kernel_bus.h"
#include "kernel_model/kernel/kctx.h"
#include "kernel_model/kernel/locks.h"
#include "kernel_model/kernel_config.h"
#include "kernel_model/mm/gfp.h"
#include "kernel_model/mm/list.h"
#include "kernel_model/mm/slab.h"
#include "kernel_model/mm/vmstat.h"

namespace pc::kernel {

// sizeof(struct dentry) and sizeof(struct inode) on x86-64 2.6.18 (dentry with DNAME_INLINE_LEN_MIN 36).
constexpr uint64_t kDentryBytes = 208;
constexpr uint64_t kInodeBytes = 560;
constexpr uint32_t DCACHE_REFERENCED = 0x0008;  // recently used, don't discard
constexpr uint32_t I_FREEING = 16;

// struct inode (its list link first).
struct AddressSpace;

struct Inode {
  ListHead i_list;  // inode_in_use or inode_unused
  uint64_t i_ino = 0;
  uint64_t pa = 0;  // the object in inode_cache
  int i_count = 0;
  uint32_t i_state = 0;
  AddressSpace* i_mapping = nullptr;  // a scenario file's page cache, or none
};

// struct dentry (its LRU link first).
struct Dentry {
  ListHead d_lru;     // on dentry_unused (lazily: a dentry in use may still be on it)
  uint64_t name = 0;  // the name (its hash in the one directory)
  uint64_t pa = 0;    // the object in dentry_cache
  int d_count = 0;
  uint32_t d_flags = 0;
  Inode* d_inode = nullptr;
};

struct VfsStats {
  uint64_t lookups = 0, d_hits = 0, d_misses = 0, i_hits = 0;
  uint64_t d_pruned = 0, i_pruned = 0;  // dentries freed by prune_dcache, inodes by prune_icache
  uint64_t inode_pages = 0;  // page-cache pages prune_icache invalidated (kswapd_inodesteal + pginodesteal)
  uint64_t enomem = 0;       // lookups that found no memory for a dentry or an inode
  uint64_t dcache_shrinks = 0, icache_shrinks = 0;  // shrinker calls that pruned (nr > 0, __GFP_FS)
};

class Vfs {
 public:
  // `locks`: null in tests without lock classes.
  Vfs(SlabAllocator& slab, KernelBus& bus, const KernelCosts& costs, const VmConfig& vm,
      sc_core::sc_time cpu_cycle, LockClasses* locks);

  // Path lookup of `name` (do_lookup: the dcache, else real_lookup: d_alloc, iget, d_add). Returns the
  // dentry with a reference (dget), or nullptr when no memory could be had (-ENOMEM).
  // `mapping`: the page cache of the file the name stands for (nullptr: a file with no cached data).
  Dentry* lookup(uint64_t name, KCtx& k, AddressSpace* mapping = nullptr);
  // What prune_icache needs of the memory manager: invalidate_inode_pages and the vm events.
  void set_page_hooks(std::function<uint64_t(AddressSpace&, KCtx&)> invalidate, VmEvents* events) {
    m_invalidate = std::move(invalidate);
    m_events = events;
  }
  void dput(Dentry* d, KCtx& k);

  // The shrinkers (shrinker_t): nr 0 asks for the count, (nr_unused / 100) * vfs_cache_pressure; -1
  // without __GFP_FS.
  int64_t shrink_dcache_memory(uint64_t nr, gfp_t gfp, KCtx& k);
  int64_t shrink_icache_memory(uint64_t nr, gfp_t gfp, KCtx& k);
  void prune_dcache(uint64_t count, KCtx& k);
  void prune_icache(uint64_t nr_to_scan, KCtx& k);

  // dentry_stat and inodes_stat.
  uint64_t nr_dentry() const { return m_dentries.size(); }
  uint64_t dentry_nr_unused() const { return m_dentry_nr_unused; }
  uint64_t nr_inodes() const { return m_inodes.size(); }
  uint64_t inodes_nr_unused() const { return m_inodes_nr_unused; }
  const VfsStats& stats() const { return m_stats; }
  KmemCache& dentry_cache() { return m_dentry_cache; }
  KmemCache& inode_cache() { return m_inode_cache; }
  const Dentry* find(uint64_t name) const {
    auto it = m_dentries.find(name);
    return it == m_dentries.end() ? nullptr : it->second.get();
  }

 private:
  Inode* iget(uint64_t ino, AddressSpace* mapping, KCtx& k);
  void iput(Inode* inode, KCtx& k);
  void prune_one_dentry(Dentry* d, KCtx& k);
  void cost(uint64_t cycles, KCtx& k) { k.delay += m_cycle * static_cast<double>(cycles); }
  void lock(std::unique_ptr<Spinlock>& l, KCtx& k) {
    if (l) l->lock(k);
  }
  void unlock(std::unique_ptr<Spinlock>& l, KCtx& k) {
    if (l) l->unlock(k);
  }
  // The reference count and flags word of the object at `pa`, stored (atomic_inc/dec in Linux).
  void store_count(uint64_t pa, int count, uint32_t flags, KCtx& k) {
    m_bus.write64(pa, static_cast<uint32_t>(count) | (uint64_t{flags} << 32), k);
  }

  SlabAllocator& m_slab;
  KernelBus& m_bus;
  KernelCosts m_costs;
  VmConfig m_vm;
  sc_core::sc_time m_cycle;
  KmemCache& m_dentry_cache;
  KmemCache& m_inode_cache;
  std::unique_ptr<Spinlock> m_dcache_lock, m_inode_lock;
  std::unordered_map<uint64_t, std::unique_ptr<Dentry>> m_dentries;  // dentry_hashtable
  std::unordered_map<uint64_t, std::unique_ptr<Inode>> m_inodes;     // inode_hashtable
  ListHead m_dentry_unused;                                          // head: newest, tail: oldest
  ListHead m_inode_in_use, m_inode_unused;
  uint64_t m_dentry_nr_unused = 0, m_inodes_nr_unused = 0;
  VfsStats m_stats;
  std::function<uint64_t(AddressSpace&, KCtx&)> m_invalidate;
  VmEvents* m_events = nullptr;
};

}  // namespace pc::kernel
