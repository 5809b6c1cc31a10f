// A file stored in one contiguous extent of the disk, read and written through the block layer (Linux
// 2.6.18 mpage_readpages / block_write_full_page on a simple extent layout; block_sync_page).
#pragma once

#include <cstdint>
#include <list>
#include <memory>

#include "kernel_model/block/ahci.h"
#include "kernel_model/mm/mm_types.h"

namespace pc::kernel {

class BlockFileBacking : public FileBacking {
 public:
  // The file's pages are the `pages` x 8 sectors of `disk` from `start_sector`.
  BlockFileBacking(BlockLayer& blk, AhciDisk& disk, uint64_t start_sector, uint64_t pages)
      : m_blk(blk), m_disk(disk), m_start(start_sector), m_pages(pages) {}

  // Submits one bio for the run of pages and returns: the caller sleeps on a locked page meanwhile.
  bool readpages(uint64_t index, const std::vector<uint64_t>& pas, KCtx& k, IoDone done) override;
  int writepage(uint64_t index, uint64_t pa, KCtx& k, IoDone done) override;
  void sync_page(KCtx& k) override;
  bool congested(bool write) const override { return m_disk.queue().congested(write); }
  uint64_t size_pages() const override { return m_pages; }
  uint64_t start_sector() const { return m_start; }
  AhciDisk& disk() const { return m_disk; }

 private:
  void submit(uint64_t index, const std::vector<uint64_t>& pas, bool write, KCtx& k, IoDone done);

  struct InFlight {
    Bio bio;
    bool done = false;
  };
  BlockLayer& m_blk;
  AhciDisk& m_disk;
  std::list<std::unique_ptr<InFlight>> m_inflight;  // bios live until completion; reaped at the next submit
  uint64_t m_start;
  uint64_t m_pages;
};

}  // namespace pc::kernel
