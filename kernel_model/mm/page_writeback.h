// Writeback of dirty page-cache pages (Linux 2.6.18 mm/page-writeback.c, fs/fs-writeback.c in outline):
// balance_dirty_pages throttling writers, pdflush's background_writeout and the periodic wb_kupdate,
// writeback_inodes over the files' dirty pages, and the writeback statistics.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "kernel_model/mm/vmscan.h"

namespace pc::kernel {

constexpr uint64_t MAX_WRITEBACK_PAGES = 1024;

// struct writeback_control, reduced to what the model uses.
struct WritebackControl {
  int64_t nr_to_write = 0;              // decremented per page written
  bool nonblocking = false;             // skip a congested queue (pdflush)
  bool encountered_congestion = false;  // a congested queue was skipped
  bool older_than = false;              // only files dirtied before `older_than_this` (wb_kupdate)
  sc_core::sc_time older_than_this;
  uint64_t pages_skipped = 0;  // dirty pages left alone (locked)
};

struct WritebackStats {
  uint64_t pages_written = 0, background_runs = 0, kupdate_runs = 0, throttled = 0, throttle_naps = 0;
  uint64_t fsync_calls = 0, sync_pages_written = 0;  // do_fsync (fsync, msync MS_SYNC) and what it wrote
};

class PageWriteback {
 public:
  // `files`: every file whose pages may be dirty; `congested`: the disk queue's write congestion.
  PageWriteback(MemoryManager& mm, Vmscan& vs, const VmConfig& vm, unsigned cpus,
                std::function<std::vector<File*>()> files, std::function<bool()> congested);

  // ratelimit_pages: total/(cpus*32) clamped to [16, 1024].
  static uint64_t ratelimit_pages(uint64_t total_pages, unsigned cpus);
  // The file went from clean to dirty (__mark_inode_dirty(I_DIRTY_PAGES)): its dirtied_when.
  void mark_inode_dirty(File& f, const sc_core::sc_time& at);
  // balance_dirty_pages_ratelimited_nr(mapping, nr) after a writer dirtied pages.
  void balance_dirty_pages_ratelimited(File& f, uint64_t nr_dirtied, KCtx& k);
  void balance_dirty_pages(File& f, KCtx& k);
  // writeback_inodes: writes dirty pages, oldest-dirtied files first, until nr_to_write is used up.
  void writeback_inodes(WritebackControl& wbc, KCtx& k);
  // fs/sync.c do_fsync: writes the file's dirty pages (WB_SYNC_ALL) and waits for them; 0 or -errno.
  int do_fsync(File& f, KCtx& k);
  int filemap_fdatawrite(File& f, KCtx& k);
  int filemap_fdatawait(File& f, KCtx& k);
  // pdflush work functions.
  void background_writeout(int64_t min_pages, KCtx& k);
  void wb_kupdate(KCtx& k);
  // The blk_congestion_wait of the throttling paths, and the hand-off to a pdflush thread (-1: none idle).
  std::function<void(const sc_core::sc_time&, KCtx&)> congestion_wait;
  std::function<int(std::function<void(KCtx&)>)> pdflush_operation;

  bool dirty_exceeded() const { return m_dirty_exceeded; }
  const WritebackStats& stats() const { return m_stats; }
  void dirty_limits(uint64_t& background, uint64_t& dirty, KCtx* k) const;

 private:
  // Starts the write of one dirty, unlocked page (clear_page_dirty_for_io, set_page_writeback, writepage).
  bool write_one(Page* page, File& f, KCtx& k);
  bool write_locked(Page* page, File& f, KCtx& k);  // the page is locked by the caller; unlocks it
  sc_core::sc_time hz10() const;

  MemoryManager& m_mm;
  Vmscan& m_vs;
  VmConfig m_vm;
  unsigned m_cpus;
  std::function<std::vector<File*>()> m_files;
  std::function<bool()> m_congested;
  std::map<File*, sc_core::sc_time> m_dirtied_when;
  std::vector<uint64_t> m_ratelimits;  // per CPU
  bool m_dirty_exceeded = false;
  bool m_writeback_in_progress = false;  // writeback_in_progress(bdi): one disk here
  WritebackStats m_stats;
};

}  // namespace pc::kernel
