// The kernel's swap I/O path: swap bios to the disk an area lives on, through the block layer, with a
// latency histogram per disk and direction (submit to completion).
#pragma once

#include <list>
#include <memory>
#include <vector>

#include "kernel_model/block/ahci.h"
#include "kernel_model/kernel.h"
#include "kernel_model/mm/mm.h"
#include "platform/core/stats.h"

namespace pc::kernel {

class Kernel::SwapIoImpl : public SwapIo {
 public:
  SwapIoImpl(Kernel& kernel, stats::Group& parent);
  void submit(unsigned disk, uint64_t block, bool write, uint64_t pa, KCtx& k, Done done) override;
  void unplug(unsigned disk, KCtx& k) override;
  stats::Histogram& latency(unsigned disk, bool write);

 private:
  struct InFlight {
    Bio bio;
    bool done = false;
  };
  Kernel& m_kernel;
  stats::Group& m_parent;
  // Bios live until completion; completed ones are reaped at a submit once they are half the list (a
  // sweep per submit was 1.7% of the default run's host time with thousands of writeback bios queued).
  std::list<std::unique_ptr<InFlight>> m_inflight;
  size_t m_inflight_done = 0;
  std::vector<std::unique_ptr<stats::Group>> m_groups;
  std::vector<std::unique_ptr<stats::Histogram>> m_lat;  // [disk * 2 + write]
};

}  // namespace pc::kernel
