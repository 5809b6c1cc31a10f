// LRU lists, pagevecs and the reference state machine (Linux 2.6.18 mm/swap.c).
#include "kernel_model/mm/swap.h"

#include <stdexcept>

namespace pc::kernel {

Lru::Lru(PageAllocator& alloc, unsigned cpus) : m_alloc(alloc), m_pvecs(cpus) {}

void Lru::add_page_to_active_list(Zone& z, Page* p) {
  z.active_list.add(&p->lru);
  ++z.nr_active;
}

void Lru::add_page_to_inactive_list(Zone& z, Page* p) {
  z.inactive_list.add(&p->lru);
  ++z.nr_inactive;
}

void Lru::del_page_from_lru(Zone& z, Page* p) {
  ListHead::del(&p->lru);
  if (p->test_and_clear(PG_active))
    --z.nr_active;
  else
    --z.nr_inactive;
}

void Lru::pagevec_add(Pagevec& pv, Page* page, bool active, KCtx& k) {
  get_page(page);  // held by the pagevec until the splice
  pv.pages[pv.nr++] = page;
  if (pv.nr == PAGEVEC_SIZE) __pagevec_lru_add(pv, active, k);
}

void Lru::lru_cache_add(Page* page, KCtx& k) {
  pagevec_add(m_pvecs.at(k.cpu)[0], page, false, k);
}
void Lru::lru_cache_add_active(Page* page, KCtx& k) {
  pagevec_add(m_pvecs.at(k.cpu)[1], page, true, k);
}

void Lru::__pagevec_lru_add(Pagevec& pv, bool active, KCtx& k) {
  ++m_stats.pagevec_flushes;
  // One lru_lock hold per run of pages of one zone (the lock moves with the zone, as in Linux).
  Zone* locked = nullptr;
  for (unsigned i = 0; i < pv.nr; ++i) {
    Page* p = pv.pages[i];
    Zone& z = m_alloc.zone(p->zone);
    if (&z != locked) {
      if (locked) unlock_lru(*locked, k);
      lock_lru(z, k);
      locked = &z;
    }
    if (p->test_and_set(PG_lru)) throw std::logic_error("__pagevec_lru_add: page already on an LRU list");
    if (active) {
      p->set(PG_active);
      add_page_to_active_list(z, p);
    } else {
      add_page_to_inactive_list(z, p);
    }
  }
  if (locked) unlock_lru(*locked, k);
  // release_pages: drop the pagevec's references (a page whose last user went away meanwhile is freed).
  for (unsigned i = 0; i < pv.nr; ++i) put_page(pv.pages[i], k);
  pv.nr = 0;
}

void Lru::lru_add_drain_cpu(unsigned cpu, KCtx& k) {
  auto& pvs = m_pvecs.at(cpu);
  if (pvs[0].nr) __pagevec_lru_add(pvs[0], false, k);
  if (pvs[1].nr) __pagevec_lru_add(pvs[1], true, k);
}

void Lru::lru_add_drain(KCtx& k) {
  lru_add_drain_cpu(k.cpu, k);
}

void Lru::lru_add_drain_all(KCtx& k) {
  for (unsigned c = 0; c < m_pvecs.size(); ++c) lru_add_drain_cpu(c, k);
}

uint64_t Lru::pagevec_pages() const {
  uint64_t n = 0;
  for (const auto& c : m_pvecs) n += c[0].nr + c[1].nr;
  return n;
}

void Lru::activate_page(Page* page, KCtx& k) {
  Zone& z = m_alloc.zone(page->zone);
  lock_lru(z, k);
  if (page->test(PG_lru) && !page->test(PG_active)) {
    del_page_from_lru(z, page);
    page->set(PG_active);
    add_page_to_active_list(z, page);
    m_alloc.events().count(PGACTIVATE);
  }
  unlock_lru(z, k);
}

void Lru::mark_page_accessed(Page* page, KCtx& k) {
  // Two software touches promote an inactive page (spec §3.2).
  if (!page->test(PG_active) && page->test(PG_referenced) && page->test(PG_lru)) {
    activate_page(page, k);
    page->clear(PG_referenced);
  } else if (!page->test(PG_referenced)) {
    page->set(PG_referenced);
  }
}

void Lru::put_page(Page* page, KCtx& k) {
  if (page->count <= 0) throw std::logic_error("put_page on a page with no references");
  if (--page->count) return;
  if (page->test(PG_lru)) {
    Zone& z = m_alloc.zone(page->zone);
    lock_lru(z, k);
    page->clear(PG_lru);
    del_page_from_lru(z, page);
    unlock_lru(z, k);
  }
  m_alloc.free_pages(page, 0, k);
}

}  // namespace pc::kernel
