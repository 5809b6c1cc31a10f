// noop and deadline I/O schedulers.
#include "kernel_model/block/elevator.h"

#include <algorithm>
#include <cmath>

namespace pc::kernel {

Request* NoopElevator::elv_next_request(Fs) {
  if (m_fifo.empty()) return nullptr;
  Request* rq = m_fifo.front();
  m_fifo.pop_front();
  return rq;
}

Request* NoopElevator::elv_merge_back(uint64_t sector, bool write) {
  for (auto it = m_fifo.rbegin(); it != m_fifo.rend(); ++it)
    if ((*it)->write == write && (*it)->end_sector() == sector) return *it;
  return nullptr;
}

Request* NoopElevator::elv_merge_front(uint64_t end, bool write) {
  for (auto it = m_fifo.rbegin(); it != m_fifo.rend(); ++it)
    if ((*it)->write == write && (*it)->sector == end) return *it;
  return nullptr;
}

DeadlineElevator::DeadlineElevator(const BlockConfig& cfg)
    : m_expire{static_cast<Fs>(std::llround(cfg.read_expire_ms * 1e12)),
               static_cast<Fs>(std::llround(cfg.write_expire_ms * 1e12))},
      m_fifo_batch(static_cast<unsigned>(cfg.fifo_batch)),
      m_writes_starved(static_cast<unsigned>(cfg.writes_starved)) {}

void DeadlineElevator::elv_add_request(Request* rq, Fs now) {
  m_sort[rq->write].emplace(rq->sector, rq);
  rq->deadline = now + m_expire[rq->write];
  m_fifo[rq->write].push_back(rq);
}

DeadlineElevator::SortList::iterator DeadlineElevator::find(Request* rq, uint64_t sector) {
  auto& l = m_sort[rq->write];
  auto [b, e] = l.equal_range(sector);
  for (auto it = b; it != e; ++it)
    if (it->second == rq) return it;
  return l.end();
}

Request* DeadlineElevator::successor(Request* rq) {
  auto it = find(rq, rq->sector);
  ++it;
  return it == m_sort[rq->write].end() ? nullptr : it->second;
}

void DeadlineElevator::remove(Request* rq) {
  const bool w = rq->write;
  if (m_next_rq[w] == rq) m_next_rq[w] = successor(rq);
  m_sort[w].erase(find(rq, rq->sector));
  m_fifo[w].remove(rq);
}

Request* DeadlineElevator::elv_merge_back(uint64_t sector, bool write) {
  for (auto& [s, rq] : m_sort[write])
    if (rq->end_sector() == sector) return rq;
  return nullptr;
}

Request* DeadlineElevator::elv_merge_front(uint64_t end, bool write) {
  auto it = m_sort[write].find(end);
  return it == m_sort[write].end() ? nullptr : it->second;
}

void DeadlineElevator::elv_merged_request(Request* rq, uint64_t old_sector) {
  m_sort[rq->write].erase(find(rq, old_sector));
  m_sort[rq->write].emplace(rq->sector, rq);
}

// deadline_dispatch_requests() as in 2.6.18: continue the current batch with the next request in
// sector order while it is sequential and the batch has room; otherwise choose a direction (reads
// first, unless writes have been starved writes_starved times) and start a new batch from the FIFO
// head if it has expired, else from the next request in sector order, else from the lowest sector.
Request* DeadlineElevator::elv_next_request(Fs now) {
  Request* rq = m_next_rq[1] ? m_next_rq[1] : m_next_rq[0];
  if (rq) {
    if (m_last_sector != rq->sector) m_batching += m_fifo_batch;  // a seek ends the batch
    if (m_batching >= m_fifo_batch) rq = nullptr;
  }
  if (!rq) {
    const bool reads = !m_fifo[0].empty(), writes = !m_fifo[1].empty();
    bool dir;
    if (reads && !(writes && m_starved++ >= m_writes_starved)) {
      dir = false;
    } else if (writes) {
      m_starved = 0;
      dir = true;
    } else {
      return nullptr;
    }
    if (m_fifo[dir].front()->deadline <= now) {
      m_batching = 0;
      rq = m_fifo[dir].front();
    } else if (m_next_rq[dir]) {
      rq = m_next_rq[dir];
    } else {
      m_batching = 0;
      rq = m_sort[dir].begin()->second;
    }
  }
  const bool w = rq->write;
  m_next_rq[0] = m_next_rq[1] = nullptr;
  m_next_rq[w] = successor(rq);
  remove(rq);
  m_last_sector = rq->end_sector();
  ++m_batching;
  return rq;
}

std::unique_ptr<Elevator> make_elevator(const BlockConfig& cfg) {
  if (cfg.elevator == "noop") return std::make_unique<NoopElevator>();
  return std::make_unique<DeadlineElevator>(cfg);
}

}  // namespace pc::kernel
