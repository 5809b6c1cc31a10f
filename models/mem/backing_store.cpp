// Sparse backing store of simulated physical memory.
#include "models/mem/backing_store.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <new>
#include <stdexcept>
#include <string>

namespace pc::mem {

BackingStore::BackingStore(uint64_t size_bytes) : m_size(size_bytes) {
  const uint64_t pages = (size_bytes + kPageBytes - 1) / kPageBytes;
  m_slots.resize((pages + (1ull << kPagesPerSlotBits) - 1) >> kPagesPerSlotBits);
}

BackingStore::~BackingStore() {
  for (const Chunk& c : m_chunks) munmap(c.base, c.bytes);
}

namespace {
alignas(64) const uint8_t kZeros[BackingStore::kPageBytes] = {};
}  // namespace

// The shared page of zeros. Only ever read: write() replaces it before any non-zero byte is stored.
uint8_t* BackingStore::zero_page() {
  return const_cast<uint8_t*>(kZeros);
}

uint8_t* BackingStore::page_ptr(uint64_t addr) const {
  // The shared zero page is never handed out: a store through it would reach every zero-filled page.
  const uint8_t* p = page_for_read(addr / kPageBytes);
  return p == zero_page() ? nullptr : const_cast<uint8_t*>(p);
}

uint8_t* BackingStore::new_page() {
  if (!m_free.empty()) {
    uint8_t* p = m_free.back();
    m_free.pop_back();
    std::memset(p, 0, kPageBytes);
    return p;
  }
  if (m_next == m_end) {
    // Chunks grow with the store (64 KiB, doubling, up to 2 MiB), so a small store stays small. Fresh
    // anonymous mappings read as zero; MAP_POPULATE has the host back the whole chunk in one call rather
    // than fault page by page (pc_fault_bench: the first store into a page 2.4 us of host time instead of
    // 3.2, a COW copy 4.2 instead of 5.7).
    const size_t bytes = std::min<size_t>(kHugeBytes, std::max<size_t>(64u << 10, m_host_pages * kPageBytes));
    void* m = bytes == kHugeBytes ? map_huge() : nullptr;
    if (!m) {
      m = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
      if (m == MAP_FAILED) throw std::bad_alloc();
    }
    m_chunks.push_back({m, bytes});
    m_next = static_cast<uint8_t*>(m);
    m_end = m_next + bytes;
  }
  uint8_t* p = m_next;
  m_next += kPageBytes;
  return p;
}

namespace {
// Whether the host kernel may back a range advised with MADV_HUGEPAGE by transparent huge pages.
bool host_has_thp() {
  static const bool on = [] {
    std::ifstream f("/sys/kernel/mm/transparent_hugepage/enabled");
    std::string s;
    return std::getline(f, s) && s.find("[never]") == std::string::npos;
  }();
  return on;
}
}  // namespace

void* BackingStore::map_huge() {
  // A store past 2 MiB is read and written all over (a DRAM-bound run's lines at random): in 4 KiB host
  // pages most of its accesses missed the host's TLB (the stream preset, 128 MiB: 1.22 s of CPU, 1.12 s
  // with huge pages). A transparent huge page needs a 2 MiB-aligned range, asked for with MADV_HUGEPAGE
  // (Debian's default is THP on madvise only). Its one fault mostly costs less than populating 512 small
  // pages (pc_fault_bench, the first store into a page: 0.5 us instead of 1.8-2.0; a COW fault 1.7 us
  // instead of 3.1), but more when the host must compact its memory first (one run in three measured
  // 5.1 and 6.4 us). Where the host gives no huge page, the small pages fault as they are first touched.
  if (!host_has_thp()) return nullptr;
  const size_t span = 2 * kHugeBytes;
  void* raw = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const uintptr_t lo = reinterpret_cast<uintptr_t>(raw), hi = lo + span;
  const uintptr_t a = (lo + kHugeBytes - 1) & ~uintptr_t(kHugeBytes - 1);
  if (a > lo) munmap(raw, a - lo);
  if (hi > a + kHugeBytes) munmap(reinterpret_cast<void*>(a + kHugeBytes), hi - a - kHugeBytes);
  void* m = reinterpret_cast<void*>(a);
  if (madvise(m, kHugeBytes, MADV_HUGEPAGE) != 0) {  // a kernel built without THP: populated small pages
    munmap(m, kHugeBytes);
    return nullptr;
  }
  *static_cast<volatile uint8_t*>(m) = 0;  // the one fault that brings the huge page in
  return m;
}

const uint8_t* BackingStore::page_for_read(uint64_t page) const {
  const Page* e = find_entry(page);
  return e ? *e : nullptr;
}

BackingStore::Page& BackingStore::entry(uint64_t page) {
  auto& slot = m_slots[page >> kPagesPerSlotBits];
  if (!slot) slot = std::make_unique<Page[]>(1ull << kPagesPerSlotBits);  // value-initialised: null
  return slot[page & ((1ull << kPagesPerSlotBits) - 1)];
}

void BackingStore::read(uint64_t addr, uint8_t* dst, uint64_t len) const {
  while (len) {
    const uint64_t off = addr % kPageBytes;
    const uint64_t n = std::min(len, kPageBytes - off);
    const uint8_t* p = page_for_read(addr / kPageBytes);
    if (p)
      std::memcpy(dst, p + off, n);
    else
      std::memset(dst, 0, n);
    addr += n;
    dst += n;
    len -= n;
  }
}

void BackingStore::write(uint64_t addr, const uint8_t* src, uint64_t len) {
  while (len) {
    const uint64_t off = addr % kPageBytes;
    const uint64_t n = std::min(len, kPageBytes - off);
    Page& p = entry(addr / kPageBytes);
    if (!p || p == zero_page()) {
      if (!p) {
        p = zero_page();  // touched; zeros into it need no host memory yet
        ++m_pages_allocated;
      }
      if (std::memcmp(src, kZeros, n) != 0) {
        p = new_page();
        ++m_host_pages;
      }
    }
    if (p != zero_page()) std::memcpy(p + off, src, n);
    addr += n;
    src += n;
    len -= n;
  }
}

void BackingStore::discard(uint64_t addr, uint64_t len) {
  if (m_on_discard && len) m_on_discard(addr, len);
  while (len) {
    const uint64_t off = addr % kPageBytes;
    const uint64_t n = std::min(len, kPageBytes - off);
    auto& slot = m_slots[(addr / kPageBytes) >> kPagesPerSlotBits];
    if (slot) {
      auto& p = slot[(addr / kPageBytes) & ((1ull << kPagesPerSlotBits) - 1)];
      if (p && n == kPageBytes) {
        if (p != zero_page()) {
          m_free.push_back(p);
          --m_host_pages;
        }
        p = nullptr;
        --m_pages_allocated;
      } else if (p && p != zero_page()) {
        std::memcpy(p + off, kZeros, n);
      }
    }
    addr += n;
    len -= n;
  }
}

std::unique_ptr<BackingStore> BackingStore::clone() const {
  auto c = std::make_unique<BackingStore>(m_size);
  for (size_t s = 0; s < m_slots.size(); ++s) {
    if (!m_slots[s]) continue;
    for (uint64_t i = 0; i < (1ull << kPagesPerSlotBits); ++i) {
      if (!m_slots[s][i]) continue;
      c->write(((s << kPagesPerSlotBits) + i) * kPageBytes, m_slots[s][i], kPageBytes);
    }
  }
  return c;
}

}  // namespace pc::mem
