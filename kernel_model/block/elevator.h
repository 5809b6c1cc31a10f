// I/O schedulers (Linux 2.6.18 block/elevator.c, noop-iosched.c, deadline-iosched.c): where requests
// wait between __make_request and the driver, which merges they allow, and the dispatch order.
#pragma once

#include <list>
#include <map>
#include <memory>
#include <string>

#include "kernel_model/block/bio.h"
#include "kernel_model/block/block_config.h"

namespace pc::kernel {

class Elevator {
 public:
  virtual ~Elevator() = default;
  virtual void elv_add_request(Request* rq, Fs now) = 0;
  // Next request to hand to the driver, removed from the scheduler (elv_next_request + dequeue).
  virtual Request* elv_next_request(Fs now) = 0;
  // A queued request of direction `write` ending at `sector` (back merge) / starting at `end` (front).
  virtual Request* elv_merge_back(uint64_t sector, bool write) = 0;
  virtual Request* elv_merge_front(uint64_t end, bool write) = 0;
  // The request grew at the front (its sector changed): re-sort it.
  virtual void elv_merged_request(Request* rq, uint64_t old_sector) = 0;
  virtual size_t queued() const = 0;
  bool elv_queue_empty() const { return queued() == 0; }
};

// FIFO dispatch; merges with any queued request (2.6.18 noop uses the generic merge hash).
class NoopElevator : public Elevator {
 public:
  void elv_add_request(Request* rq, Fs) override { m_fifo.push_back(rq); }
  Request* elv_next_request(Fs) override;
  Request* elv_merge_back(uint64_t sector, bool write) override;
  Request* elv_merge_front(uint64_t end, bool write) override;
  void elv_merged_request(Request*, uint64_t) override {}
  size_t queued() const override { return m_fifo.size(); }

 private:
  std::list<Request*> m_fifo;
};

// Deadline: per-direction sector-sorted lists and FIFOs with expiry; batches of fifo_batch requests in
// ascending sector order; reads preferred, writes starved at most writes_starved batches.
class DeadlineElevator : public Elevator {
 public:
  explicit DeadlineElevator(const BlockConfig& cfg);
  void elv_add_request(Request* rq, Fs now) override;
  Request* elv_next_request(Fs now) override;
  Request* elv_merge_back(uint64_t sector, bool write) override;
  Request* elv_merge_front(uint64_t end, bool write) override;
  void elv_merged_request(Request* rq, uint64_t old_sector) override;
  size_t queued() const override { return m_sort[0].size() + m_sort[1].size(); }

 private:
  using SortList = std::multimap<uint64_t, Request*>;
  SortList::iterator find(Request* rq, uint64_t sector);
  void remove(Request* rq);
  Request* successor(Request* rq);

  Fs m_expire[2];
  unsigned m_fifo_batch, m_writes_starved;
  SortList m_sort[2];
  std::list<Request*> m_fifo[2];
  Request* m_next_rq[2] = {nullptr, nullptr};
  unsigned m_batching = 0, m_starved = 0;
  uint64_t m_last_sector = 0;
};

std::unique_ptr<Elevator> make_elevator(const BlockConfig& cfg);

}  // namespace pc::kernel
