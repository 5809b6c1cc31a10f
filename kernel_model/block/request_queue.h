// struct request_queue and __make_request (Linux 2.6.18 block/ll_rw_blk.c): a pool of nr_requests
// per direction, merging into queued requests, plugging, congestion on/off thresholds, and request
// completion (end_that_request_first/last). Plain C++: the SystemC side (ahci.h) gives it time.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "kernel_model/block/bio.h"
#include "kernel_model/block/block_config.h"
#include "kernel_model/block/elevator.h"
#include "platform/core/stats.h"

namespace pc::kernel {

class RequestQueue {
 public:
  enum class MakeResult { Merged, Queued, NoRequest };

  RequestQueue(const BlockConfig& cfg, stats::Group& parent);
  ~RequestQueue();

  // __make_request, minus the sleep: NoRequest when the direction's pool is exhausted (the caller
  // unplugs, sleeps in get_request_wait until a request is freed, and retries).
  MakeResult __make_request(Bio* bio, Fs now);
  // elv_insert's rule: a plugged queue with unplug_thresh requests waiting is unplugged at once.
  bool unplug_due() const { return m_plugged && m_elv->queued() >= m_cfg.unplug_thresh; }
  void blk_plug_device(Fs now);
  bool blk_remove_plug();  // true if it was plugged
  bool plugged() const { return m_plugged; }
  Fs unplug_deadline() const { return m_unplug_at; }
  // The next request for the driver (the request_fn loop's elv_next_request + blkdev_dequeue_request).
  Request* elv_next_request(Fs now);
  // end_that_request_first: ends every bio of the request (bi_end_io with 0 or -EIO); the whole request
  // completes at once since the controller reports whole commands.
  void end_that_request_first(Request* rq, int error, Fs now);
  // end_that_request_last: frees the request (congestion may clear, get_request_wait sleepers wake).
  void end_that_request_last(Request* rq, Fs now);
  void end_request(Request* rq, int error, Fs now) {
    end_that_request_first(rq, error, now);
    end_that_request_last(rq, now);
  }

  bool congested(bool write) const { return m_congested[write]; }
  uint64_t congestion_on_threshold() const { return m_cong_on; }
  uint64_t congestion_off_threshold() const { return m_cong_off; }
  uint64_t allocated(bool write) const { return m_count[write]; }
  bool request_available(bool write) const { return m_count[write] < m_cfg.nr_requests; }
  size_t queued() const { return m_elv->queued(); }
  void finish_stats(Fs now);

  // Wake-ups the SystemC side turns into events: a direction left congestion (blk_congestion_wait
  // waiters), a request was freed (get_request_wait waiters).
  std::function<void(bool write)> on_congestion_cleared;
  std::function<void(bool write)> on_request_freed;

 private:
  Request* get_request(bool write, Fs now);
  void freed_request(bool write, Fs now);

  BlockConfig m_cfg;
  std::unique_ptr<Elevator> m_elv;
  uint64_t m_count[2] = {0, 0};
  uint64_t m_cong_on, m_cong_off, m_max_sectors;
  bool m_congested[2] = {false, false};
  Fs m_congested_since[2] = {0, 0};
  bool m_plugged = false;
  Fs m_unplug_at = 0;
  std::vector<std::unique_ptr<Request>> m_all;  // every struct request ever allocated (owned here)
  std::vector<Request*> m_free;                 // the ones not in use, reused

  stats::Group m_stats;
  stats::Counter m_bios, m_requests_r, m_requests_w, m_back_merges, m_front_merges, m_no_request, m_plugs;
  stats::Scalar m_congested_ms_r, m_congested_ms_w;
  stats::Histogram m_rq_sectors, m_queue_us;
};

}  // namespace pc::kernel
