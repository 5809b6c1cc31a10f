// Sparse sector store holding the disk's real bytes: 4 KiB chunks allocated on first write, unwritten
// sectors read as zero; what was written reads back identically.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>

namespace pc::disk {

class SectorStore {
 public:
  static constexpr uint64_t kSectorBytes = 512;
  static constexpr uint64_t kChunkSectors = 8;

  explicit SectorStore(uint64_t capacity_sectors) : m_capacity(capacity_sectors) {}
  uint64_t capacity_sectors() const { return m_capacity; }
  // Both require lba + count <= capacity; `buf` holds count * 512 bytes.
  void read(uint64_t lba, uint64_t count, uint8_t* buf) const;
  void write(uint64_t lba, uint64_t count, const uint8_t* buf);
  uint64_t chunks_allocated() const { return m_chunks.size(); }
  // Every sector back to zeros (a fresh drive; the fuzz harness between inputs).
  void clear() { m_chunks.clear(); }

 private:
  uint64_t m_capacity;
  std::unordered_map<uint64_t, std::unique_ptr<uint8_t[]>> m_chunks;
};

}  // namespace pc::disk
