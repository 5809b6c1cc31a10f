// The inode cache (Linux 2.6.18 fs/inode.c): iget, iput and prune_icache.
#include <stdexcept>
#include <vector>

#include "kernel_model/fs/dcache.h"
#include "kernel_model/kernel/task.h"
#include "kernel_model/mm/mm_types.h"

namespace pc::kernel {

Inode* Vfs::iget(uint64_t ino, AddressSpace* mapping, KCtx& k) {
  for (;;) {
    lock(m_inode_lock, k);
    auto it = m_inodes.find(ino);
    if (it != m_inodes.end()) {
      // __iget: an unused inode goes back to inode_in_use.
      Inode* inode = it->second.get();
      if (inode->i_count == 0) {
        ListHead::move(&inode->i_list, &m_inode_in_use);
        --m_inodes_nr_unused;
      }
      ++inode->i_count;
      store_count(inode->pa, inode->i_count, inode->i_state, k);
      unlock(m_inode_lock, k);
      ++m_stats.i_hits;
      return inode;
    }
    unlock(m_inode_lock, k);
    // alloc_inode: the object, its fields initialised.
    const uint64_t objp = m_slab.kmem_cache_alloc(m_inode_cache, GFP_KERNEL, k);
    if (!objp) return nullptr;
    static const uint8_t zero[kInodeBytes] = {};
    m_bus.write(objp, zero, kInodeBytes, k);
    lock(m_inode_lock, k);
    if (m_inodes.count(ino)) {  // hashed by another task meanwhile (get_new_inode's recheck)
      unlock(m_inode_lock, k);
      m_slab.kmem_cache_free(m_inode_cache, objp, k);
      continue;
    }
    auto inode = std::make_unique<Inode>();
    inode->i_ino = ino;
    inode->pa = objp;
    inode->i_count = 1;
    inode->i_mapping = mapping;
    m_inode_in_use.add(&inode->i_list);
    store_count(inode->pa, inode->i_count, inode->i_state, k);
    Inode* ip = inode.get();
    m_inodes.emplace(ino, std::move(inode));
    unlock(m_inode_lock, k);
    return ip;
  }
}

void Vfs::iput(Inode* inode, KCtx& k) {
  lock(m_inode_lock, k);
  if (inode->i_count <= 0) throw std::logic_error("iput of an unreferenced inode");
  --inode->i_count;
  if (inode->i_count == 0) {
    // generic_forget_inode of a hashed, clean inode: it stays cached, on inode_unused.
    ListHead::move(&inode->i_list, &m_inode_unused);
    ++m_inodes_nr_unused;
  }
  store_count(inode->pa, inode->i_count, inode->i_state, k);
  unlock(m_inode_lock, k);
}

void Vfs::prune_icache(uint64_t nr_to_scan, KCtx& k) {
  // iprune_mutex is not modeled: prune_icache runs to completion without sleeping here.
  std::vector<Inode*> freeable;
  uint64_t nr_pruned = 0, reap = 0;
  lock(m_inode_lock, k);
  for (uint64_t nr_scanned = 0; nr_scanned < nr_to_scan; ++nr_scanned) {
    if (m_inode_unused.empty()) break;
    Inode* inode = reinterpret_cast<Inode*>(m_inode_unused.prev);
    m_bus.read64(inode->pa, k);  // i_count and i_state
    if (inode->i_state || inode->i_count) {
      ListHead::move(&inode->i_list, &m_inode_unused);
      continue;
    }
    if (inode->i_mapping && inode->i_mapping->nrpages && m_invalidate) {
      // Its page cache goes first, with the inode pinned (__iget) and inode_lock dropped.
      ++inode->i_count;
      ListHead::move(&inode->i_list, &m_inode_in_use);
      --m_inodes_nr_unused;
      unlock(m_inode_lock, k);
      reap += m_invalidate(*inode->i_mapping, k);
      iput(inode, k);  // back to the head of inode_unused
      lock(m_inode_lock, k);
      if (m_inode_unused.next != &inode->i_list) continue;  // somebody took it meanwhile
      // can_unuse: pages left (mapped, dirty, locked) keep the inode.
      if (inode->i_state || inode->i_count || inode->i_mapping->nrpages) continue;
    }
    ListHead::del(&inode->i_list);
    inode->i_state |= I_FREEING;
    store_count(inode->pa, inode->i_count, inode->i_state, k);
    freeable.push_back(inode);
    ++nr_pruned;
  }
  m_inodes_nr_unused -= nr_pruned;
  unlock(m_inode_lock, k);
  m_stats.inode_pages += reap;
  if (m_events)
    m_events->count(k.task && (k.task->flags & PF_KSWAPD) ? KSWAPD_INODESTEAL : PGINODESTEAL, reap);
  // dispose_list: unhashed, then destroy_inode.
  for (Inode* inode : freeable) {
    const uint64_t pa = inode->pa;
    lock(m_inode_lock, k);
    m_inodes.erase(inode->i_ino);
    unlock(m_inode_lock, k);
    m_slab.kmem_cache_free(m_inode_cache, pa, k);
    ++m_stats.i_pruned;
  }
}

int64_t Vfs::shrink_icache_memory(uint64_t nr, gfp_t gfp, KCtx& k) {
  if (nr) {
    if (!(gfp & __GFP_FS)) return -1;
    ++m_stats.icache_shrinks;
    prune_icache(nr, k);
  }
  return static_cast<int64_t>((m_inodes_nr_unused / 100) * m_vm.vfs_cache_pressure);
}

}  // namespace pc::kernel
