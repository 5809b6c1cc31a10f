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

void Lru::pagevec_add(Pagevec& pv, Page* page, bool active, unsigned cpu) {
  get_page(page);  // held by the pagevec until the splice
  pv.pages[pv.nr++] = page;
  if (pv.nr == PAGEVEC_SIZE) __pagevec_lru_add(pv, active, cpu);
}

void Lru::lru_cache_add(Page* page, unsigned cpu) { pagevec_add(m_pvecs.at(cpu)[0], page, false, cpu); }
void Lru::lru_cache_add_active(Page* page, unsigned cpu) { pagevec_add(m_pvecs.at(cpu)[1], page, true, cpu); }

void Lru::__pagevec_lru_add(Pagevec& pv, bool active, unsigned cpu) {
  ++m_stats.pagevec_flushes;
  for (unsigned i = 0; i < pv.nr; ++i) {
    Page* p = pv.pages[i];
    Zone& z = m_alloc.zone(p->zone);
    if (p->test_and_set(PG_lru)) throw std::logic_error("__pagevec_lru_add: page already on an LRU list");
    if (active) {
      p->set(PG_active);
      add_page_to_active_list(z, p);
    } else {
      add_page_to_inactive_list(z, p);
    }
  }
  // release_pages: drop the pagevec's references (a page whose last user went away meanwhile is freed).
  for (unsigned i = 0; i < pv.nr; ++i) put_page(pv.pages[i], cpu);
  pv.nr = 0;
}

void Lru::lru_add_drain(unsigned cpu) {
  auto& pvs = m_pvecs.at(cpu);
  if (pvs[0].nr) __pagevec_lru_add(pvs[0], false, cpu);
  if (pvs[1].nr) __pagevec_lru_add(pvs[1], true, cpu);
}

void Lru::lru_add_drain_all() {
  for (unsigned c = 0; c < m_pvecs.size(); ++c) lru_add_drain(c);
}

void Lru::activate_page(Page* page) {
  if (!page->test(PG_lru) || page->test(PG_active)) return;
  Zone& z = m_alloc.zone(page->zone);
  del_page_from_lru(z, page);
  page->set(PG_active);
  add_page_to_active_list(z, page);
  ++m_stats.pgactivate;
}

void Lru::mark_page_accessed(Page* page) {
  // Two software touches promote an inactive page (spec §3.2).
  if (!page->test(PG_active) && page->test(PG_referenced) && page->test(PG_lru)) {
    activate_page(page);
    page->clear(PG_referenced);
  } else if (!page->test(PG_referenced)) {
    page->set(PG_referenced);
  }
}

void Lru::put_page(Page* page, unsigned cpu) {
  if (page->count <= 0) throw std::logic_error("put_page on a page with no references");
  if (--page->count) return;
  if (page->test_and_clear(PG_lru)) del_page_from_lru(m_alloc.zone(page->zone), page);
  m_alloc.free_pages(page, 0, cpu);
}

}  // namespace pc::kernel
