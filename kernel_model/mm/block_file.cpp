// File pages through the block layer.
#include "kernel_model/mm/block_file.h"

namespace pc::kernel {

void BlockFileBacking::submit(uint64_t index, const std::vector<uint64_t>& pas, bool write, KCtx& k,
                              IoDone done) {
  m_inflight.remove_if([](const std::unique_ptr<InFlight>& f) { return f->done; });
  m_inflight.push_back(std::make_unique<InFlight>());
  InFlight* f = m_inflight.back().get();
  Bio& bio = f->bio;
  bio.bdev = &m_disk;
  bio.sector = m_start + index * (kPageSize / 512);
  bio.write = write;
  // No BIO_RW_SYNC: a task that waits for one of these pages kicks the queue itself (sync_page).
  bio.sync = false;
  for (uint64_t pa : pas) bio.vecs.push_back({pa, static_cast<uint32_t>(kPageSize)});
  bio.end_io = [f, done = std::move(done)](Bio& b, int err) {
    f->done = true;
    done(err, b.completed);
  };
  m_blk.submit_bio(&bio, k);
}

bool BlockFileBacking::readpages(uint64_t index, const std::vector<uint64_t>& pas, KCtx& k, IoDone done) {
  submit(index, pas, false, k, std::move(done));  // one bio: the run is contiguous on the disk
  return true;
}

int BlockFileBacking::writepage(uint64_t index, uint64_t pa, KCtx& k, IoDone done) {
  submit(index, {pa}, true, k, std::move(done));
  return 0;
}

void BlockFileBacking::sync_page(KCtx& k) {
  m_disk.unplug(k);
}

}  // namespace pc::kernel
