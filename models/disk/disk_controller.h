// AHCI-like disk controller (../shared/spec/disk.md §4.1): an MMIO register target, a DMA engine that is
// a TLM initiator into memory, 32 NCQ command slots handed to the medium's scheduler, and a level
// interrupt raised while completions are pending. Register map and descriptors: platform/hwdefs/disk_regs.h.
#pragma once

#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <memory>
#include <queue>
#include <string>
#include <systemc>
#include <tlm>
#include <vector>

#include "models/disk/disk_config.h"
#include "models/disk/media.h"
#include "models/disk/sector_store.h"
#include "platform/core/stats.h"
#include "platform/core/tlm_ext.h"
#include "platform/hwdefs/disk_regs.h"

namespace pc::disk {

class DiskController : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<DiskController> tsock;          // registers (window-relative)
  tlm_utils::simple_initiator_socket<DiskController> dma_isock;   // descriptors and data, into memory
  sc_core::sc_out<bool> irq_out;                                  // level: high while IS & IE != 0

  // Builds the medium named by cfg.media; its stats group is named like the module ("disk", "disk1").
  // Throws cfg::ConfigError on an impossible geometry or an injected error range beyond the medium,
  // naming the key under `cfg_key` (the configuration section this disk came from).
  DiskController(sc_core::sc_module_name name, const DiskConfig& cfg, stats::Group& parent,
                 const std::string& cfg_key = "disk");
  ~DiskController() override;

  Media& media() { return *m_media; }
  SectorStore& store() { return *m_store; }
  uint64_t completed() const { return m_completed; }
  // Simulated time of the last completion (for rates).
  sc_core::sc_time last_completion() const { return sc_core::sc_time::from_value(m_last_done); }
  void finish_stats();

 private:
  SC_HAS_PROCESS(DiskController);
  struct Slot {
    hw::disk::CmdHeader hdr{};
    uint64_t hdr_addr = 0;  // where the header was fetched: its status goes back there, whatever CLB is now
    std::vector<hw::disk::PrdEntry> prd;
    std::vector<uint8_t> data;
    Fs issued = 0, started = 0;
  };
  struct Dir {
    Dir(stats::Group& parent, const char* name);
    stats::Group g;
    stats::Counter requests, bytes, errors;
    stats::Histogram queue_us, service_us, latency_us;
    stats::Formula iops;
  };

  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  unsigned transport_dbg(tlm::tlm_generic_payload& gp);
  uint32_t reg_read(uint32_t off) const;
  void reg_write(uint32_t off, uint32_t v, const sc_core::sc_time& delay);
  void run();
  void update_irq();
  // DMA: moves `len` bytes in bursts; false on a decode error. Adds the memory's latency to `delay`.
  bool dma(tlm::tlm_command cmd, uint64_t pa, uint8_t* data, uint64_t len, sc_core::sc_time& delay);
  // Fetches and checks a command; returns a hw::disk::Status (data for writes is fetched too).
  uint32_t fetch(unsigned slot, sc_core::sc_time& delay);
  // Moves read data to memory and writes the status back into the header, taking `delay`; returns the
  // final status (a read whose data DMA faults becomes kStatusDmaFault).
  // A read that hits an injected error range moves no data and ends with kStatusMediaError, a write
  // leaves the sector store as it was.
  uint32_t complete(unsigned slot, uint32_t status, sc_core::sc_time& delay);
  bool injected(bool write, uint64_t lba, uint64_t sectors) const;
  // Once that transfer is over in simulated time: slot status, CI/CS/ERR, IS and the interrupt line, so
  // a driver never sees a completion before its data and status are in memory.
  void post(unsigned slot, uint32_t status);
  // Reserves the drive's serial link (one transfer at a time) for `bytes` from `start`; returns when
  // the transfer ends. The DMA engine moves the same data concurrently.
  Fs link_end(uint64_t bytes, Fs start);
  Fs now() const { return sc_core::sc_time_stamp().value(); }

  DiskConfig m_cfg;
  std::unique_ptr<Media> m_media;
  std::unique_ptr<SectorStore> m_store;
  sc_core::sc_time m_mmio_latency;
  tlm::tlm_generic_payload m_gp;
  AccessExt m_ext;

  uint64_t m_clb = 0;
  uint32_t m_ci = 0, m_cs = 0, m_err = 0, m_is = 0, m_ie = 0;
  uint32_t m_slot_status[hw::disk::kSlots] = {};
  std::vector<std::pair<Fs, uint32_t>> m_issues;  // (time the CI write takes effect, slots)
  Slot m_slots[hw::disk::kSlots];
  using Done = std::pair<Fs, unsigned>;
  std::priority_queue<Done, std::vector<Done>, std::greater<Done>> m_done;
  // Interrupt-line updates: one event for completions (controller thread), one for register writes
  // (the kernel's local time): a pending notification on one never swallows the other's.
  sc_core::sc_event m_wake, m_irq_ev, m_irq_reg_ev;
  uint64_t m_completed = 0;
  Fs m_last_done = 0;
  Fs m_link_free = 0;

  stats::Group m_stats;
  Dir m_read, m_write;
  stats::Counter m_flushes, m_bad_descriptors, m_lba_errors, m_dma_faults, m_dma_bytes, m_interrupts;
  stats::Counter m_media_errors_read, m_media_errors_write;
  stats::Histogram m_outstanding, m_flush_us;
};

}  // namespace pc::disk
