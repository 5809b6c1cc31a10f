// The slab allocator (Linux 2.6.18 mm/slab.c).
#include "kernel_model/mm/slab.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "kernel_model/kernel/task.h"

namespace pc::kernel {

namespace {
uint64_t align_up(uint64_t v, uint64_t a) {
  return (v + a - 1) & ~(a - 1);
}
// Offsets in struct slab (x86-64): list 0, colouroff 16, s_mem 24, inuse 32, free 36; the bufctl array
// follows it.
constexpr uint64_t kSlabInuseOff = 32;
}  // namespace

SlabAllocator::SlabAllocator(PageAllocator& alloc, KernelBus& bus, const KernelCosts& costs,
                             sc_core::sc_time cpu_cycle, unsigned cpus, uint64_t hz,
                             LockClass* list_lock_class)
    : m_alloc(alloc),
      m_bus(bus),
      m_costs(costs),
      m_cycle(cpu_cycle),
      m_cpus(cpus),
      m_hz(hz),
      m_lock_class(list_lock_class) {}

void SlabAllocator::cache_estimate(unsigned gfporder, uint64_t buffer_size, uint64_t align, uint32_t flags,
                                   uint64_t& left_over, unsigned& num) {
  const uint64_t slab_size = kPageSize << gfporder;
  uint64_t nr_objs = 0, mgmt_size = 0;
  if (flags & CFLGS_OFF_SLAB) {
    nr_objs = slab_size / buffer_size;
  } else {
    // The descriptor and one bufctl per object share the slab with the objects.
    nr_objs = (slab_size - kSlabDescBytes) / (buffer_size + kBufctlBytes);
    if (align_up(kSlabDescBytes + nr_objs * kBufctlBytes, align) + nr_objs * buffer_size > slab_size)
      --nr_objs;
    mgmt_size = align_up(kSlabDescBytes + nr_objs * kBufctlBytes, align);
  }
  nr_objs = std::min<uint64_t>(nr_objs, BUFCTL_END - 3);  // SLAB_LIMIT
  num = static_cast<unsigned>(nr_objs);
  left_over = slab_size - nr_objs * buffer_size - mgmt_size;
}

KmemCache& SlabAllocator::kmem_cache_create(const std::string& name, uint64_t size, uint32_t flags,
                                            SlabCtor ctor) {
  if (size < BYTES_PER_WORD || size > (kPageSize << MAX_GFP_ORDER))
    throw std::invalid_argument("kmem_cache_create " + name + ": bad object size");
  auto c = std::make_unique<KmemCache>();
  c->name = name;
  c->obj_size = size;
  c->ctor = std::move(ctor);
  size = align_up(size, BYTES_PER_WORD);
  uint64_t ralign = BYTES_PER_WORD;
  if (flags & SLAB_HWCACHE_ALIGN) {
    ralign = kCacheLineSize;
    while (size <= ralign / 2) ralign /= 2;
  }
  const uint64_t align = ralign;
  if (size >= (kPageSize >> 3)) flags |= CFLGS_OFF_SLAB;
  size = align_up(size, align);
  // calculate_slab_order.
  uint64_t left_over = 0;
  for (unsigned order = 0; order <= MAX_GFP_ORDER; ++order) {
    uint64_t remainder = 0;
    unsigned num = 0;
    cache_estimate(order, size, align, flags, remainder, num);
    if (!num) continue;
    c->num = num;
    c->gfporder = order;
    left_over = remainder;
    if (flags & SLAB_RECLAIM_ACCOUNT) break;  // reclaimable caches take the smallest order that fits
    if (order >= BREAK_GFP_ORDER_HI) break;
    if (left_over * 8 <= (kPageSize << order)) break;  // at most 1/8 wasted
  }
  if (!c->num) throw std::invalid_argument("kmem_cache_create " + name + ": no slab order fits the object");
  uint64_t slab_size = align_up(c->num * kBufctlBytes + kSlabDescBytes, align);
  // Off-slab management moves back onto the slab when the leftover space holds it.
  if ((flags & CFLGS_OFF_SLAB) && left_over >= slab_size) {
    flags &= ~CFLGS_OFF_SLAB;
    left_over -= slab_size;
  }
  if (flags & CFLGS_OFF_SLAB)
    throw std::invalid_argument("kmem_cache_create " + name +
                                ": off-slab slab management is not modeled (the descriptor does not fit)");
  c->colour_off = std::max(kCacheLineSize, align);
  c->colour = left_over / c->colour_off;
  c->slab_size = slab_size;
  c->flags = flags;
  c->buffer_size = size;
  c->align = align;
  // enable_cpucache.
  c->limit = size > 131072 ? 1 : size > kPageSize ? 8 : size > 1024 ? 24 : size > 256 ? 54 : 120;
  c->shared = (m_cpus > 1 && size <= kPageSize) ? 8 : 0;
  c->batchcount = (c->limit + 1) / 2;
  c->array.resize(m_cpus);
  for (ArrayCache& ac : c->array) {
    ac.limit = c->limit;
    ac.batchcount = c->batchcount;
    ac.entry.resize(c->limit);
  }
  c->shared_array.limit = c->shared * c->batchcount;
  c->shared_array.batchcount = 0xbaadf00d;  // as alloc_kmemlist sets it: never used
  c->shared_array.entry.resize(c->shared_array.limit);
  c->free_limit = (1 + uint64_t{m_cpus}) * c->batchcount + c->num;
  // REAPTIMEOUT_LIST3 plus a stagger; Linux derives it from the cache's address, the model from its
  // position in cache_chain (boot is jiffy 0).
  c->next_reap = 4 * m_hz + m_caches.size() % (4 * m_hz);
  if (m_lock_class) c->list_lock = std::make_unique<Spinlock>(*m_lock_class);
  m_caches.push_back(std::move(c));
  return *m_caches.back();
}

Slab* SlabAllocator::virt_to_slab(uint64_t objp) {
  auto it = m_page_slab.find(objp >> kPageShift);
  if (it == m_page_slab.end()) throw std::logic_error("kmem_cache_free: object outside any slab");
  return it->second;
}

uint64_t SlabAllocator::slab_get_obj(KmemCache& c, Slab& s, KCtx& k) {
  const uint64_t objp = s.s_mem + uint64_t{s.free} * c.buffer_size;
  // next = slab_bufctl(slabp)[slabp->free]: one load, then the descriptor's inuse/free store.
  m_bus.read32(s.desc_pa + kSlabDescBytes + uint64_t{s.free} * kBufctlBytes, k);
  ++s.inuse;
  s.free = s.bufctl[s.free];
  m_bus.write64(s.desc_pa + kSlabInuseOff, s.inuse | (uint64_t{s.free} << 32), k);
  return objp;
}

void SlabAllocator::slab_put_obj(KmemCache& c, Slab& s, uint64_t objp, KCtx& k) {
  const uint64_t objnr = (objp - s.s_mem) / c.buffer_size;
  if (objnr >= c.num || s.s_mem + objnr * c.buffer_size != objp || s.inuse == 0)
    throw std::logic_error("slab " + c.name + ": freeing a bad object");
  s.bufctl[objnr] = s.free;
  m_bus.write32(s.desc_pa + kSlabDescBytes + objnr * kBufctlBytes, s.free, k);
  s.free = static_cast<uint32_t>(objnr);
  --s.inuse;
  m_bus.write64(s.desc_pa + kSlabInuseOff, s.inuse | (uint64_t{s.free} << 32), k);
}

int SlabAllocator::cache_grow(KmemCache& c, gfp_t gfp, KCtx& k) {
  lock(c, k);
  const uint64_t offset = c.colour_next * c.colour_off;
  if (++c.colour_next >= c.colour) c.colour_next = 0;
  unlock(c, k);
  // kmem_getpages: the pages may come from reclaim, which may itself shrink this cache.
  cost(m_costs.page_alloc, k);
  Page* page = m_alloc.alloc_pages(gfp | c.gfpflags, c.gfporder, k);
  if (!page) return 0;
  const uint64_t nr_pages = 1ull << c.gfporder;
  for (uint64_t i = 0; i < nr_pages; ++i) page[i].set(PG_slab);
  m_alloc.mod_zone_page_state(page, NR_SLAB, static_cast<int64_t>(nr_pages));
  const uint64_t pa = m_alloc.mem_map().page_to_phys(page);
  // alloc_slabmgmt (on-slab): the descriptor after the colour offset, the objects after it.
  auto s = std::make_unique<Slab>();
  s->page = page;
  s->cache = &c;
  s->desc_pa = pa + offset;
  s->colouroff = offset + c.slab_size;
  s->s_mem = pa + s->colouroff;
  s->bufctl.resize(c.num);
  // cache_init_objs: the constructor on each object, then the free list 0 -> 1 -> ... -> END.
  if (c.ctor)
    for (unsigned i = 0; i < c.num; ++i) c.ctor(s->s_mem + uint64_t{i} * c.buffer_size, k);
  std::vector<uint8_t> desc(kSlabDescBytes + c.num * kBufctlBytes, 0);
  std::memcpy(&desc[16], &s->colouroff, 8);
  std::memcpy(&desc[24], &s->s_mem, 8);
  for (unsigned i = 0; i < c.num; ++i) {
    s->bufctl[i] = i + 1 < c.num ? i + 1 : BUFCTL_END;
    std::memcpy(&desc[kSlabDescBytes + i * kBufctlBytes], &s->bufctl[i], 4);
  }
  s->free = 0;
  m_bus.write(s->desc_pa, desc.data(), static_cast<unsigned>(desc.size()), k);
  const uint64_t pfn = pa >> kPageShift;
  for (uint64_t i = 0; i < nr_pages; ++i) m_page_slab[pfn + i] = s.get();
  Slab* sp = s.get();
  m_slabs[pfn] = std::move(s);
  lock(c, k);
  c.slabs_free.add_tail(&sp->list);
  cost(m_costs.slab_op, k);
  ++c.stats.grown;
  c.free_objects += c.num;
  unlock(c, k);
  return 1;
}

void SlabAllocator::slab_destroy(KmemCache& c, Slab* slabp, KCtx& k) {
  // kmem_freepages: NR_SLAB down, PG_slab cleared, the pages back to the buddy allocator, and the count
  // credited to the reclaiming task.
  Page* page = slabp->page;
  const uint64_t nr_pages = 1ull << c.gfporder;
  const uint64_t pfn = m_alloc.mem_map().page_to_pfn(page);
  for (uint64_t i = 0; i < nr_pages; ++i) {
    page[i].clear(PG_slab);
    m_page_slab.erase(pfn + i);
  }
  m_alloc.mod_zone_page_state(page, NR_SLAB, -static_cast<int64_t>(nr_pages));
  m_slabs.erase(pfn);
  ++c.stats.destroyed;
  cost(m_costs.page_free, k);
  m_alloc.free_pages(page, c.gfporder, k);
  if (k.task && k.task->reclaim_state) k.task->reclaim_state->reclaimed_slab += nr_pages;
}

void SlabAllocator::free_block(KmemCache& c, const uint64_t* objpp, unsigned nr, KCtx& k) {
  for (unsigned i = 0; i < nr; ++i) {
    Slab* slabp = virt_to_slab(objpp[i]);
    ListHead::del(&slabp->list);
    slab_put_obj(c, *slabp, objpp[i], k);
    cost(m_costs.slab_op, k);
    ++c.free_objects;
    if (slabp->inuse == 0) {
      if (c.free_objects > c.free_limit) {
        c.free_objects -= c.num;
        slab_destroy(c, slabp, k);
      } else {
        c.slabs_free.add(&slabp->list);
      }
    } else {
      // To the partial list's end: the most time for its other objects to be freed too.
      c.slabs_partial.add_tail(&slabp->list);
    }
  }
}

uint64_t SlabAllocator::cache_alloc_refill(KmemCache& c, gfp_t gfp, KCtx& k) {
  for (;;) {  // retry
    ArrayCache& ac = c.array.at(k.cpu);
    int batchcount = static_cast<int>(ac.batchcount);
    if (!ac.touched && batchcount > static_cast<int>(BATCHREFILL_LIMIT)) batchcount = BATCHREFILL_LIMIT;
    lock(c, k);
    bool from_shared = false;
    if (c.shared) {  // transfer_objects from the shared array
      ArrayCache& sh = c.shared_array;
      const unsigned nr = std::min({sh.avail, static_cast<unsigned>(batchcount), ac.limit - ac.avail});
      if (nr) {
        std::copy_n(&sh.entry[sh.avail - nr], nr, &ac.entry[ac.avail]);
        sh.avail -= nr;
        ac.avail += nr;
        ac.touched = true;
        cost(m_costs.slab_op * nr, k);
        from_shared = true;
      }
    }
    if (!from_shared) {
      while (batchcount > 0) {
        ListHead* entry = c.slabs_partial.next;
        if (entry == &c.slabs_partial) {
          c.free_touched = true;
          entry = c.slabs_free.next;
          if (entry == &c.slabs_free) break;  // must_grow
        }
        Slab* slabp = reinterpret_cast<Slab*>(entry);
        while (slabp->inuse < c.num && batchcount-- > 0) {
          ac.entry[ac.avail++] = slab_get_obj(c, *slabp, k);
          cost(m_costs.slab_op, k);
        }
        ListHead::del(&slabp->list);
        if (slabp->free == BUFCTL_END)
          c.slabs_full.add(&slabp->list);
        else
          c.slabs_partial.add(&slabp->list);
      }
      c.free_objects -= ac.avail;
    }
    unlock(c, k);
    if (!ac.avail) {
      const int x = cache_grow(c, gfp, k);
      ArrayCache& now = c.array.at(k.cpu);  // reclaim may have moved the task, or refilled the array
      if (!x && now.avail == 0) return 0;
      if (!now.avail) continue;
    }
    ArrayCache& now = c.array.at(k.cpu);
    now.touched = true;
    return now.entry[--now.avail];
  }
}

uint64_t SlabAllocator::kmem_cache_alloc(KmemCache& c, gfp_t gfp, KCtx& k) {
  ArrayCache& ac = c.array.at(k.cpu);
  cost(m_costs.slab_op, k);
  uint64_t objp = 0;
  if (ac.avail) {
    ++c.stats.alloc_hits;
    ac.touched = true;
    objp = ac.entry[--ac.avail];
  } else {
    ++c.stats.alloc_misses;
    objp = cache_alloc_refill(c, gfp, k);
  }
  if (objp) ++c.stats.allocs;
  return objp;
}

void SlabAllocator::cache_flusharray(KmemCache& c, ArrayCache& ac, KCtx& k) {
  unsigned batchcount = ac.batchcount;
  lock(c, k);
  bool done = false;
  if (c.shared) {
    ArrayCache& sh = c.shared_array;
    const unsigned max = sh.limit - sh.avail;
    if (max) {
      batchcount = std::min(batchcount, max);
      std::copy_n(ac.entry.begin(), batchcount, &sh.entry[sh.avail]);
      sh.avail += batchcount;
      cost(m_costs.slab_op * batchcount, k);
      done = true;
    }
  }
  if (!done) free_block(c, ac.entry.data(), batchcount, k);
  unlock(c, k);
  ac.avail -= batchcount;
  std::copy(ac.entry.begin() + batchcount, ac.entry.begin() + batchcount + ac.avail, ac.entry.begin());
}

void SlabAllocator::kmem_cache_free(KmemCache& c, uint64_t objp, KCtx& k) {
  if (virt_to_slab(objp)->cache != &c)  // BUG_ON(virt_to_cache(objp) != cachep)
    throw std::logic_error("kmem_cache_free: object of another cache freed to " + c.name);
  ArrayCache& ac = c.array.at(k.cpu);
  cost(m_costs.slab_op, k);
  ++c.stats.frees;
  if (ac.avail < ac.limit) {
    ++c.stats.free_hits;
  } else {
    ++c.stats.free_misses;
    cache_flusharray(c, ac, k);
  }
  ac.entry[ac.avail++] = objp;
}

void SlabAllocator::drain_array(KmemCache& c, ArrayCache& ac, bool force, KCtx& k) {
  if (!ac.avail) return;
  if (ac.touched && !force) {
    ac.touched = false;
    return;
  }
  lock(c, k);
  if (ac.avail) {
    unsigned tofree = force ? ac.avail : (ac.limit + 4) / 5;
    if (tofree > ac.avail) tofree = (ac.avail + 1) / 2;
    free_block(c, ac.entry.data(), tofree, k);
    ac.avail -= tofree;
    std::copy(ac.entry.begin() + tofree, ac.entry.begin() + tofree + ac.avail, ac.entry.begin());
  }
  unlock(c, k);
}

unsigned SlabAllocator::drain_freelist(KmemCache& c, unsigned tofree, KCtx& k) {
  unsigned nr_freed = 0;
  while (nr_freed < tofree && !c.slabs_free.empty()) {
    lock(c, k);
    Slab* slabp = reinterpret_cast<Slab*>(c.slabs_free.prev);
    if (slabp->inuse) throw std::logic_error("slab " + c.name + ": a used slab on slabs_free");
    ListHead::del(&slabp->list);
    c.free_objects -= c.num;
    unlock(c, k);
    slab_destroy(c, slabp, k);
    ++c.stats.reaped;
    ++nr_freed;
  }
  return nr_freed;
}

void SlabAllocator::cache_reap(uint64_t jiffies, KCtx& k) {
  // mutex_trylock(&cache_chain_mutex): only kmem_cache_create takes it, at boot; it always succeeds.
  for (auto& cp : m_caches) {
    KmemCache& c = *cp;
    drain_array(c, c.array.at(k.cpu), false, k);
    if (c.next_reap > jiffies) continue;  // time_after(l3->next_reap, jiffies)
    c.next_reap = jiffies + 4 * m_hz;     // REAPTIMEOUT_LIST3
    drain_array(c, c.shared_array, false, k);
    if (c.free_touched) {
      c.free_touched = false;
    } else {
      drain_freelist(c, static_cast<unsigned>((c.free_limit + 5 * c.num - 1) / (5 * c.num)), k);
    }
  }
}

uint64_t SlabAllocator::nr_slab_pages() const {
  uint64_t n = 0;
  for (const auto& c : m_caches) n += c->pages();
  return n;
}

}  // namespace pc::kernel
