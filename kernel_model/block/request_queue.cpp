// Request queue: allocation, merging, plugging, congestion and completion.
#include "kernel_model/block/request_queue.h"

#include <cmath>

namespace pc::kernel {

RequestQueue::RequestQueue(const BlockConfig& cfg, stats::Group& parent)
    : m_cfg(cfg),
      m_elv(make_elevator(cfg)),
      m_stats(&parent, "queue", "request queue of the disk (ll_rw_blk.c)"),
      m_bios(m_stats, "bios", "bios", "bios submitted to the queue"),
      m_requests_r(m_stats, "requests_read", "requests", "read requests allocated"),
      m_requests_w(m_stats, "requests_write", "requests", "write requests allocated"),
      m_back_merges(m_stats, "back_merges", "bios", "bios merged at the end of a queued request"),
      m_front_merges(m_stats, "front_merges", "bios", "bios merged at the front of a queued request"),
      m_no_request(m_stats, "request_waits", "bios",
                   "times a bio found no free request and slept (get_request_wait)"),
      m_plugs(m_stats, "plugs", "events", "times the queue was plugged"),
      m_congested_ms_r(m_stats, "congested_ms_read", "ms", "time the read side was congested"),
      m_congested_ms_w(m_stats, "congested_ms_write", "ms", "time the write side was congested"),
      m_rq_sectors(m_stats, "request_sectors", "sectors", "size of requests handed to the driver"),
      m_queue_us(m_stats, "queue_time_us", "us", "request allocated to handed to the driver") {
  // blk_queue_congestion_threshold(): on at nr - nr/8 + 1, off below nr - nr/8 - nr/16 - 1.
  const uint64_t nr = cfg.nr_requests;
  m_cong_on = std::min(nr, nr - nr / 8 + 1);
  m_cong_off = nr - nr / 8 - nr / 16 > 1 ? nr - nr / 8 - nr / 16 - 1 : 1;
  m_max_sectors = cfg.max_sectors;
}

RequestQueue::~RequestQueue() = default;

Request* RequestQueue::get_request(bool write, Fs now) {
  if (m_count[write] >= m_cfg.nr_requests) return nullptr;
  if (m_count[write] + 1 >= m_cong_on && !m_congested[write]) {
    m_congested[write] = true;  // set_queue_congested()
    m_congested_since[write] = now;
  }
  ++m_count[write];
  ++(write ? m_requests_w : m_requests_r);
  if (m_free.empty()) {
    m_all.push_back(std::make_unique<Request>());
    m_free.push_back(m_all.back().get());
  }
  Request* rq = m_free.back();
  m_free.pop_back();
  *rq = Request{};
  rq->write = write;
  rq->start_time = now;
  return rq;
}

void RequestQueue::freed_request(bool write, Fs now) {
  --m_count[write];
  // __freed_request: below the off threshold, clear_queue_congested runs whether or not the queue was
  // congested, and it wakes every blk_congestion_wait sleeper of that direction: in 2.6.18 any request
  // completing on an uncongested queue ends reclaim's HZ/10 naps early.
  if (m_count[write] < m_cong_off) {
    if (m_congested[write]) {
      m_congested[write] = false;
      auto& s = write ? m_congested_ms_w : m_congested_ms_r;
      s.set(s.value() + static_cast<double>(now - m_congested_since[write]) / 1e12);
    }
    if (on_congestion_cleared) on_congestion_cleared(write);
  }
  if (on_request_freed) on_request_freed(write);
}

RequestQueue::MakeResult RequestQueue::__make_request(Bio* bio, Fs now) {
  const bool w = bio->write;
  const uint32_t ns = bio->sectors();
  // ll_back_merge_fn / ll_front_merge_fn: a merge must keep the request within max_sectors and
  // max_segments (each bio segment may need its own scatter-gather entry).
  auto fits = [&](const Request* rq) {
    size_t segs = bio->vecs.size();
    for (const Bio* b : rq->bios) segs += b->vecs.size();
    return rq->nr_sectors + ns <= m_max_sectors && segs <= m_cfg.max_segments;
  };
  // Linux plugs an empty queue before adding: requests gather until unplug_thresh or the timer.
  if (m_elv->elv_queue_empty() && !m_plugged) blk_plug_device(now);
  if (Request* rq = m_elv->elv_merge_back(bio->sector, w); rq && fits(rq)) {
    rq->bios.push_back(bio);  // ll_back_merge_fn
    rq->nr_sectors += ns;
    ++m_back_merges;
    ++m_bios;
    return MakeResult::Merged;
  }
  if (Request* rq = m_elv->elv_merge_front(bio->sector + ns, w); rq && fits(rq)) {
    const uint64_t old = rq->sector;
    rq->bios.insert(rq->bios.begin(), bio);  // ll_front_merge_fn
    rq->sector = bio->sector;
    rq->nr_sectors += ns;
    m_elv->elv_merged_request(rq, old);
    ++m_front_merges;
    ++m_bios;
    return MakeResult::Merged;
  }
  Request* rq = get_request(w, now);
  if (!rq) {
    ++m_no_request;
    return MakeResult::NoRequest;
  }
  rq->sector = bio->sector;
  rq->nr_sectors = ns;
  rq->bios.push_back(bio);
  m_elv->elv_add_request(rq, now);
  ++m_bios;
  return MakeResult::Queued;
}

void RequestQueue::blk_plug_device(Fs now) {
  if (m_plugged) return;
  m_plugged = true;
  m_unplug_at = now + static_cast<Fs>(std::llround(m_cfg.unplug_delay_ms * 1e12));
  ++m_plugs;
}

bool RequestQueue::blk_remove_plug() {
  const bool was = m_plugged;
  m_plugged = false;
  return was;
}

Request* RequestQueue::elv_next_request(Fs now) {
  if (m_plugged) return nullptr;
  Request* rq = m_elv->elv_next_request(now);
  if (rq) {
    rq->dispatched = now;
    m_rq_sectors.sample(rq->nr_sectors);
    m_queue_us.sample(static_cast<double>(now - rq->start_time) / 1e9);
  }
  return rq;
}

void RequestQueue::end_that_request_first(Request* rq, int error, Fs now) {
  for (Bio* b : rq->bios) {
    b->completed = now;
    if (b->end_io) b->end_io(*b, error);
  }
}

void RequestQueue::end_that_request_last(Request* rq, Fs now) {
  const bool w = rq->write;
  m_free.push_back(rq);
  freed_request(w, now);
}

void RequestQueue::finish_stats(Fs now) {
  for (bool w : {false, true}) {
    if (!m_congested[w]) continue;
    auto& s = w ? m_congested_ms_w : m_congested_ms_r;
    s.set(s.value() + static_cast<double>(now - m_congested_since[w]) / 1e12);
    m_congested_since[w] = now;
  }
}

}  // namespace pc::kernel
