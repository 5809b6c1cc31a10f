// The disk driver and the block layer's SystemC side: generic_make_request with get_request_wait
// sleeps, the unplug timer (kblockd), ahci_qc_issue-style command submission through MMIO and
// descriptors in memory, and the interrupt handler that completes requests (Linux 2.6.18
// block/ll_rw_blk.c, drivers/scsi/ahci.c). It reaches the controller only through KernelBus and irq_in.
#pragma once

#include <systemc>
#include <vector>

#include "kernel_model/block/request_queue.h"
#include "kernel_model/hal/kernel_bus.h"
#include "kernel_model/kernel/kctx.h"
#include "kernel_model/kernel/wait.h"
#include "kernel_model/mm/vmstat.h"
#include "platform/core/stats.h"
#include "platform/hwdefs/disk_regs.h"

namespace pc::kernel {

class AhciDisk;

// Block-layer globals: the per-direction congestion wait queues (congestion_wqh[2]) and submit_bio.
// Every path that may sleep takes the path's context: a kernel task sleeps through the scheduler, a
// plain SystemC thread (the standalone block-I/O workload) waits on an event.
class BlockLayer {
 public:
  explicit BlockLayer(stats::Group& parent);
  // Every driver registers itself; the first one is the disk a bio without bdev goes to.
  void register_disk(AhciDisk* disk) { m_disks.push_back(disk); }
  AhciDisk* disk(size_t i = 0) const { return i < m_disks.size() ? m_disks[i] : nullptr; }
  size_t num_disks() const { return m_disks.size(); }
  // The kernel's event counters (pgpgin / pgpgout), if there is a kernel.
  void set_vm_events(VmEvents* e) { m_events = e; }
  // submit_bio(rw, bio): to bio->bdev (null: the first disk); may sleep for a free request.
  void submit_bio(Bio* bio, KCtx& k);
  // blk_congestion_wait(rw, timeout): sleep until a queue leaves congestion in that direction, or the
  // timeout; returns the time slept.
  sc_core::sc_time blk_congestion_wait(bool write, const sc_core::sc_time& timeout, KCtx& k);
  void clear_congested(bool write, const sc_core::sc_time& at) { m_congestion_wqh[write].wake_up_all(at); }

 private:
  std::vector<AhciDisk*> m_disks;
  VmEvents* m_events = nullptr;
  WaitQueue m_congestion_wqh[2];
  stats::Group m_stats;
  stats::Counter m_waits, m_woken;
  stats::Histogram m_wait_us;
};

class AhciDisk : public sc_core::sc_module {
 public:
  sc_core::sc_in<bool> irq_in;

  // `mmio_base`: the controller's register window; [dma_base, dma_base + dma_bytes): driver memory for
  // the command list and PRD tables (see BlockConfig::dma_region_kib). Its stats go into a group of
  // `parent` named `stats_name` ("block" for the first disk, "block1", ... for the others).
  AhciDisk(sc_core::sc_module_name name, const BlockConfig& cfg, KernelBus& bus, uint64_t mmio_base,
           uint64_t dma_base, uint64_t dma_bytes, BlockLayer& blk, stats::Group& parent,
           const char* stats_name = "block");

  // generic_make_request -> __make_request (it may sleep in get_request_wait).
  void generic_make_request(Bio* bio, KCtx& k);
  // The device size read from the controller (probes the port on first use, on the path's CPU).
  uint64_t capacity_sectors(KCtx& k);
  // block_sync_page / blk_run_backing_dev: a task about to sleep on a page kicks the queue.
  void unplug(KCtx& k);
  // With a kernel: the unplug timer queues its work on kblockd (which calls unplug with its context)
  // and each interrupt handler's time is taken from the CPU it ran on. Without one, a thread of the
  // driver's own does the unplug and the handler's time goes nowhere.
  void set_kernel_hooks(std::function<void()> queue_unplug_work,
                        std::function<void(unsigned cpu, uint64_t fs)> irq_done, unsigned irq_cpu) {
    m_queue_unplug = std::move(queue_unplug_work);
    m_irq_done = std::move(irq_done);
    m_irq_cpu = irq_cpu;
  }
  RequestQueue& queue() { return m_q; }
  unsigned in_flight() const { return m_in_flight; }
  void finish_stats() { m_q.finish_stats(sc_core::sc_time_stamp().value()); }

 private:
  SC_HAS_PROCESS(AhciDisk);
  Fs now(const sc_core::sc_time& delay) const { return sc_core::sc_time_stamp().value() + delay.value(); }
  void ahci_port_start(BusCtx& b);
  void request_fn(BusCtx& b);
  // generic_unplug_device(): remove the plug and run request_fn on the path's CPU.
  void generic_unplug_device(KCtx& k);
  void ahci_interrupt();
  void kblockd();

  BlockConfig m_cfg;
  KernelBus& m_bus;
  BlockLayer& m_blk;
  uint64_t m_mmio, m_dma_base;
  stats::Group m_stats;
  RequestQueue m_q;
  bool m_started = false;
  uint64_t m_capacity = 0;
  unsigned m_depth = 0, m_in_flight = 0;
  Request* m_tags[hw::disk::kSlots] = {};
  WaitQueue m_rq_freed[2];  // get_request_wait sleepers
  sc_core::sc_event m_plug_ev;
  std::function<void()> m_queue_unplug;
  sc_core::sc_time m_completion_time;  // the interrupt handler's time while it completes requests
  std::function<void(unsigned, uint64_t)> m_irq_done;
  unsigned m_irq_cpu = 0;
  stats::Counter m_issued, m_completed, m_errors, m_irqs, m_unplug_thresh, m_unplug_timer, m_bad_bios;
  stats::Histogram m_device_us;
};

}  // namespace pc::kernel
