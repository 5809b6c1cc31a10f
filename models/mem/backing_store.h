// Sparse physical memory holding real bytes: 4 KiB pages allocated on first write, so a 64 GiB platform
// costs host memory only for what is used. Untouched memory reads as zero. Pages are carved in order out
// of chunks mapped from the host (no malloc per page; at most one chunk is partly used). A page whose
// writes so far were all zeros (the kernel's clear_page of a fresh frame) is touched but shares one
// read-only zero page: the host memory, and the host's own page fault on it, come with the first
// non-zero byte.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace pc::mem {

class BackingStore {
 public:
  static constexpr uint64_t kPageBytes = 4096;

  explicit BackingStore(uint64_t size_bytes);
  ~BackingStore();
  BackingStore(const BackingStore&) = delete;
  BackingStore& operator=(const BackingStore&) = delete;

  uint64_t size() const { return m_size; }
  bool contains(uint64_t addr, uint64_t len) const { return addr < m_size && len <= m_size - addr; }
  // Both require contains(addr, len).
  void read(uint64_t addr, uint8_t* dst, uint64_t len) const;
  void write(uint64_t addr, const uint8_t* src, uint64_t len);
  // Where the table entry of the page holding `addr` (which must be contained) lies in host memory, or
  // nullptr: for the caller to prefetch ahead of a read or write (the table misses the host's caches on
  // random traffic). (The caller prefetches: GCC deletes the call of a function that only prefetches.)
  const void* entry_addr(uint64_t addr) const { return find_entry(addr / kPageBytes); }
  // Pages ever written and not discarded since (zero-filled ones included).
  uint64_t pages_allocated() const { return m_pages_allocated; }
  // The host bytes of the 4 KiB page holding `addr` (which must be contained) once it has its own (a
  // non-zero byte was written), for direct access (TLM DMI); nullptr while untouched or zero-filled.
  // Stable until discard() releases the page, which tells the discard listener first.
  uint8_t* page_ptr(uint64_t addr) const;
  void set_discard_listener(std::function<void(uint64_t addr, uint64_t len)> f) {
    m_on_discard = std::move(f);
  }
  // Returns [addr, addr+len) to the untouched state (reads as zero); whole pages are released.
  void discard(uint64_t addr, uint64_t len);
  // A deep copy (what a forked process's data checker inherits).
  std::unique_ptr<BackingStore> clone() const;
  // Host memory holding pages' bytes (zero-filled pages excluded).
  uint64_t bytes_allocated() const { return m_host_pages * kPageBytes; }

 private:
  // Two-level table: one slot per GiB, each a lazily created array of page pointers.
  static constexpr unsigned kPagesPerSlotBits = 18;  // 2^18 pages * 4 KiB = 1 GiB
  using Page = uint8_t*;  // into a chunk; null: untouched; zero_page(): touched, all zeros so far
  // The page's slot entry, or nullptr while its slot array does not exist.
  const Page* find_entry(uint64_t page) const {
    const auto& slot = m_slots[page >> kPagesPerSlotBits];
    return slot ? &slot[page & ((1ull << kPagesPerSlotBits) - 1)] : nullptr;
  }
  const uint8_t* page_for_read(uint64_t page) const;
  Page& entry(uint64_t page);  // the page's slot entry (its slot array created if missing)
  uint8_t* new_page();         // zeroed
  // The largest chunk: one host huge page where the host has them.
  static constexpr size_t kHugeBytes = 2u << 20;
  // A chunk of kHugeBytes, aligned and advised to be one transparent huge page; nullptr if the host has
  // no THP (then new_page maps small pages).
  static void* map_huge();
  static uint8_t* zero_page();

  struct Chunk {
    void* base;
    size_t bytes;
  };
  uint64_t m_size;
  std::vector<std::unique_ptr<Page[]>> m_slots;
  uint64_t m_pages_allocated = 0;
  uint64_t m_host_pages = 0;  // pages with their own host memory (not zero_page())
  std::vector<Chunk> m_chunks;
  uint8_t* m_next = nullptr;  // next unused page of the last chunk
  uint8_t* m_end = nullptr;
  std::vector<uint8_t*> m_free;  // discarded pages (dirty: zeroed when reused)
  std::function<void(uint64_t, uint64_t)> m_on_discard;
};

}  // namespace pc::mem
