// The dentry cache (Linux 2.6.18 fs/dcache.c) and path lookup of one directory's names.
#include "kernel_model/fs/dcache.h"

#include <stdexcept>
#include <vector>

namespace pc::kernel {

Vfs::Vfs(SlabAllocator& slab, KernelBus& bus, const KernelCosts& costs, const VmConfig& vm,
         sc_core::sc_time cpu_cycle, LockClasses* locks)
    : m_slab(slab),
      m_bus(bus),
      m_costs(costs),
      m_vm(vm),
      m_cycle(cpu_cycle),
      // dcache_init and inode_init: SLAB_RECLAIM_ACCOUNT|SLAB_PANIC, inode_cache with init_once (which
      // initialises every object of a new slab: its stores are the constructor's).
      m_dentry_cache(slab.kmem_cache_create("dentry_cache", kDentryBytes, SLAB_RECLAIM_ACCOUNT)),
      m_inode_cache(slab.kmem_cache_create("inode_cache", kInodeBytes, SLAB_RECLAIM_ACCOUNT,
                                           [this](uint64_t objp, KCtx& k) {
                                             static const uint8_t zero[kInodeBytes] = {};
                                             m_bus.write(objp, zero, kInodeBytes, k);
                                           })) {
  if (locks) {
    m_dcache_lock = std::make_unique<Spinlock>(locks->dcache_lock);
    m_inode_lock = std::make_unique<Spinlock>(locks->inode_lock);
  }
}

Dentry* Vfs::lookup(uint64_t name, KCtx& k, AddressSpace* mapping) {
  ++m_stats.lookups;
  for (;;) {
    cost(m_costs.d_lookup, k);
    lock(m_dcache_lock, k);
    auto it = m_dentries.find(name);
    if (it != m_dentries.end()) {
      // __d_lookup: the name compared in the dentry's first line, then d_count taken.
      Dentry* d = it->second.get();
      uint8_t line[64];
      m_bus.read(d->pa, line, sizeof line, k);
      ++d->d_count;
      store_count(d->pa, d->d_count, d->d_flags, k);
      unlock(m_dcache_lock, k);
      ++m_stats.d_hits;
      return d;
    }
    unlock(m_dcache_lock, k);
    // real_lookup: d_alloc (the allocation may reclaim, and reclaim may prune this very cache).
    const uint64_t objp = m_slab.kmem_cache_alloc(m_dentry_cache, GFP_KERNEL, k);
    if (!objp) {
      ++m_stats.enomem;
      return nullptr;
    }
    static const uint8_t zero[kDentryBytes] = {};
    m_bus.write(objp, zero, kDentryBytes, k);  // d_alloc's initialisation and the name in d_iname
    Inode* inode = iget(name, mapping, k);     // ->lookup: the filesystem's iget
    if (!inode) {
      m_slab.kmem_cache_free(m_dentry_cache, objp, k);
      ++m_stats.enomem;
      return nullptr;
    }
    lock(m_dcache_lock, k);
    if (m_dentries.count(name)) {
      // Another task added the name while this one slept in the allocator: use that one (d_lookup
      // again under the directory's i_mutex).
      unlock(m_dcache_lock, k);
      m_slab.kmem_cache_free(m_dentry_cache, objp, k);
      iput(inode, k);
      continue;
    }
    // d_add: hashed, the inode attached, one reference (the caller's).
    auto d = std::make_unique<Dentry>();
    d->name = name;
    d->pa = objp;
    d->d_count = 1;
    d->d_inode = inode;
    store_count(d->pa, d->d_count, d->d_flags, k);
    Dentry* dp = d.get();
    m_dentries.emplace(name, std::move(d));
    unlock(m_dcache_lock, k);
    ++m_stats.d_misses;
    return dp;
  }
}

void Vfs::dput(Dentry* d, KCtx& k) {
  lock(m_dcache_lock, k);
  if (d->d_count <= 0) throw std::logic_error("dput of an unreferenced dentry");
  --d->d_count;
  if (d->d_count == 0 && d->d_lru.empty()) {
    // Unused: onto dentry_unused, marked referenced (it gets one pass of prune_dcache).
    d->d_flags |= DCACHE_REFERENCED;
    m_dentry_unused.add(&d->d_lru);
    ++m_dentry_nr_unused;
  }
  store_count(d->pa, d->d_count, d->d_flags, k);
  unlock(m_dcache_lock, k);
}

void Vfs::prune_one_dentry(Dentry* d, KCtx& k) {
  // __d_drop, dentry_iput (dcache_lock dropped), d_free; the caller retakes dcache_lock.
  Inode* inode = d->d_inode;
  const uint64_t pa = d->pa;
  m_dentries.erase(d->name);
  unlock(m_dcache_lock, k);
  if (inode) iput(inode, k);
  m_slab.kmem_cache_free(m_dentry_cache, pa, k);
  ++m_stats.d_pruned;
  lock(m_dcache_lock, k);
}

void Vfs::prune_dcache(uint64_t count, KCtx& k) {
  lock(m_dcache_lock, k);
  for (; count; --count) {
    ListHead* tmp = m_dentry_unused.prev;  // the oldest
    if (tmp == &m_dentry_unused) break;
    ListHead::del(tmp);
    --m_dentry_nr_unused;
    Dentry* d = reinterpret_cast<Dentry*>(tmp);
    m_bus.read64(d->pa, k);  // d_count and d_flags
    // In use again (left on the list lazily by the lookup that took it): just drop it from the list.
    if (d->d_count) continue;
    // Recently referenced: one more round.
    if (d->d_flags & DCACHE_REFERENCED) {
      d->d_flags &= ~DCACHE_REFERENCED;
      store_count(d->pa, d->d_count, d->d_flags, k);
      m_dentry_unused.add(tmp);
      ++m_dentry_nr_unused;
      continue;
    }
    prune_one_dentry(d, k);
  }
  unlock(m_dcache_lock, k);
}

int64_t Vfs::shrink_dcache_memory(uint64_t nr, gfp_t gfp, KCtx& k) {
  if (nr) {
    if (!(gfp & __GFP_FS)) return -1;
    ++m_stats.dcache_shrinks;
    prune_dcache(nr, k);
  }
  return static_cast<int64_t>((m_dentry_nr_unused / 100) * m_vm.vfs_cache_pressure);
}

}  // namespace pc::kernel
