// Sparse sector store.
#include "models/disk/sector_store.h"

#include <cstring>
#include <stdexcept>

namespace pc::disk {

void SectorStore::read(uint64_t lba, uint64_t count, uint8_t* buf) const {
  if (lba > m_capacity || count > m_capacity - lba) throw std::logic_error("SectorStore::read beyond capacity");
  for (uint64_t i = 0; i < count; ++i, buf += kSectorBytes) {
    const uint64_t s = lba + i;
    const auto it = m_chunks.find(s / kChunkSectors);
    if (it == m_chunks.end())
      std::memset(buf, 0, kSectorBytes);
    else
      std::memcpy(buf, it->second.get() + (s % kChunkSectors) * kSectorBytes, kSectorBytes);
  }
}

void SectorStore::write(uint64_t lba, uint64_t count, const uint8_t* buf) {
  if (lba > m_capacity || count > m_capacity - lba) throw std::logic_error("SectorStore::write beyond capacity");
  for (uint64_t i = 0; i < count; ++i, buf += kSectorBytes) {
    const uint64_t s = lba + i;
    auto& chunk = m_chunks[s / kChunkSectors];
    if (!chunk) {
      chunk = std::make_unique<uint8_t[]>(kChunkSectors * kSectorBytes);
      std::memset(chunk.get(), 0, kChunkSectors * kSectorBytes);
    }
    std::memcpy(chunk.get() + (s % kChunkSectors) * kSectorBytes, buf, kSectorBytes);
  }
}

}  // namespace pc::disk
