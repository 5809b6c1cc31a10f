// Sparse backing store of simulated physical memory.
#include "models/mem/backing_store.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace pc::mem {

BackingStore::BackingStore(uint64_t size_bytes) : m_size(size_bytes) {
  const uint64_t pages = (size_bytes + kPageBytes - 1) / kPageBytes;
  m_slots.resize((pages + (1ull << kPagesPerSlotBits) - 1) >> kPagesPerSlotBits);
}

const uint8_t* BackingStore::page_for_read(uint64_t page) const {
  const auto& slot = m_slots[page >> kPagesPerSlotBits];
  if (!slot) return nullptr;
  return slot[page & ((1ull << kPagesPerSlotBits) - 1)].get();
}

uint8_t* BackingStore::page_for_write(uint64_t page) {
  auto& slot = m_slots[page >> kPagesPerSlotBits];
  if (!slot) slot = std::make_unique<Page[]>(1ull << kPagesPerSlotBits);
  auto& p = slot[page & ((1ull << kPagesPerSlotBits) - 1)];
  if (!p) {
    p = std::make_unique<uint8_t[]>(kPageBytes);  // value-initialised: zero
    ++m_pages_allocated;
  }
  return p.get();
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
    std::memcpy(page_for_write(addr / kPageBytes) + off, src, n);
    addr += n;
    src += n;
    len -= n;
  }
}

void BackingStore::discard(uint64_t addr, uint64_t len) {
  static const uint8_t zeros[kPageBytes] = {};
  while (len) {
    const uint64_t off = addr % kPageBytes;
    const uint64_t n = std::min(len, kPageBytes - off);
    auto& slot = m_slots[(addr / kPageBytes) >> kPagesPerSlotBits];
    if (slot) {
      auto& p = slot[(addr / kPageBytes) & ((1ull << kPagesPerSlotBits) - 1)];
      if (p && n == kPageBytes) {
        p.reset();
        --m_pages_allocated;
      } else if (p) {
        std::memcpy(p.get() + off, zeros, n);
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
      c->write(((s << kPagesPerSlotBits) + i) * kPageBytes, m_slots[s][i].get(), kPageBytes);
    }
  }
  return c;
}

}  // namespace pc::mem
