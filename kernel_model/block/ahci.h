// The disk driver and the block layer's SystemC side: generic_make_request with get_request_wait
// sleeps, the unplug timer (kblockd), ahci_qc_issue-style command submission through MMIO and
// descriptors in memory, and the interrupt handler that completes requests (Linux 2.6.18
// block/ll_rw_blk.c, drivers/scsi/ahci.c). It reaches the controller only through KernelBus and irq_in.
#pragma once

#include <systemc>

#include "kernel_model/block/request_queue.h"
#include "kernel_model/hal/kernel_bus.h"
#include "platform/core/stats.h"
#include "platform/hwdefs/disk_regs.h"

namespace pc::kernel {

class AhciDisk;

// Block-layer globals: the per-direction congestion wait queues (congestion_wqh[2]) and submit_bio.
class BlockLayer {
 public:
  explicit BlockLayer(stats::Group& parent);
  void register_disk(AhciDisk* disk) { m_disk = disk; }
  AhciDisk* disk() const { return m_disk; }
  // submit_bio(rw, bio): from an SC_THREAD; may sleep for a free request.
  void submit_bio(Bio* bio);
  // blk_congestion_wait(rw, timeout): sleep until a queue leaves congestion in that direction, or the
  // timeout; returns the time slept. From an SC_THREAD.
  sc_core::sc_time blk_congestion_wait(bool write, const sc_core::sc_time& timeout);
  void clear_congested(bool write) { m_congestion_wqh[write].notify(sc_core::SC_ZERO_TIME); }

 private:
  AhciDisk* m_disk = nullptr;
  sc_core::sc_event m_congestion_wqh[2];
  stats::Group m_stats;
  stats::Counter m_waits, m_woken;
  stats::Histogram m_wait_us;
};

class AhciDisk : public sc_core::sc_module {
 public:
  sc_core::sc_in<bool> irq_in;

  // `mmio_base`: the controller's register window; [dma_base, dma_base + dma_bytes): driver memory for
  // the command list and PRD tables (see BlockConfig::dma_region_kib).
  AhciDisk(sc_core::sc_module_name name, const BlockConfig& cfg, KernelBus& bus, uint64_t mmio_base,
           uint64_t dma_base, uint64_t dma_bytes, BlockLayer& blk, stats::Group& parent);

  // generic_make_request -> __make_request. From an SC_THREAD (it may sleep).
  void generic_make_request(Bio* bio);
  // The device size read from the controller (probes the port on first use). From an SC_THREAD.
  uint64_t capacity_sectors();
  RequestQueue& queue() { return m_q; }
  unsigned in_flight() const { return m_in_flight; }
  void finish_stats() { m_q.finish_stats(sc_core::sc_time_stamp().value()); }

 private:
  SC_HAS_PROCESS(AhciDisk);
  Fs now(const sc_core::sc_time& delay) const { return sc_core::sc_time_stamp().value() + delay.value(); }
  void ahci_port_start(BusCtx& b);
  void request_fn(BusCtx& b);
  // generic_unplug_device(): remove the plug and run request_fn; waits for the MMIO it did.
  void generic_unplug_device();
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
  sc_core::sc_event m_rq_freed[2], m_plug_ev;
  stats::Counter m_issued, m_completed, m_errors, m_irqs, m_unplug_thresh, m_unplug_timer, m_bad_bios;
  stats::Histogram m_device_us;
};

}  // namespace pc::kernel
