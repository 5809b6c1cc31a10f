// Builds the SoC from a resolved configuration: backing store, memory timing model, router, cores,
// the workload contexts and the kernel that schedules them; runs it and owns the stats tree.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "kernel_model/block/ahci.h"
#include "kernel_model/hal/kernel_bus.h"
#include "kernel_model/kernel.h"
#include "models/cache/cache_hierarchy.h"
#include "models/cpu/core.h"
#include "models/disk/disk_controller.h"
#include "models/dram/dram_controller.h"
#include "models/dram/lt_adapter.h"
#include "models/interconnect/router.h"
#include "models/mem/backing_store.h"
#include "models/mem/fixed_memory.h"
#include "models/mmu/cpu_control.h"
#include "platform/core/clock.h"
#include "platform/core/stats.h"
#include "platform/soc/cpu_arch_ops.h"
#include "platform/soc/platform_config.h"
#include "testbench/bare_metal.h"
#include "testbench/blockio.h"
#include "testbench/page_tables.h"
#include "testbench/pager.h"
#include "testbench/scenario.h"
#include "testbench/workload_context.h"

namespace pc::soc {

class Soc {
 public:
  // Elaborates the platform. Throws cfg::ConfigError or tb::TraceError on bad input.
  explicit Soc(const PlatformConfig& cfg);
  ~Soc();

  // Simulates until every core has halted. `progress` prints a status line on stderr every half second
  // of host time once the run has taken two seconds (it never changes what is simulated).
  void run(bool progress);
  // An observer called at every multiple of `period` of simulated time while the run goes on (time
  // series, timeline counters). It only reads state: the run's results do not change.
  void set_sampler(sc_core::sc_time period, std::function<void(sc_core::sc_time)> fn) {
    m_sample_period = period;
    m_sampler = std::move(fn);
  }

  stats::Group& stats() { return m_root; }
  const PlatformConfig& config() const { return m_cfg; }
  uint64_t sim_cycles() const { return static_cast<uint64_t>(m_sim_cycles.value()); }
  uint64_t mem_accesses() const { return static_cast<uint64_t>(m_mem_accesses.value()); }
  uint64_t data_errors() const { return static_cast<uint64_t>(m_data_errors.value()); }
  double host_seconds() const { return m_host_seconds; }
  mem::BackingStore& memory() { return *m_store; }
  interconnect::Router& router() { return *m_router; }
  dram::DramController* dram() { return m_dram.get(); }  // null with dram.model = fixed
  // Disk i's controller (0 = `disk`, i = extra_disks[i-1]); nullptr if there is no such disk.
  disk::DiskController* disk(size_t i = 0) { return i < m_disks.size() ? m_disks[i].get() : nullptr; }
  size_t num_disks() const { return m_disks.size(); }
  kernel::BlockLayer* block_layer() { return m_blk.get(); }
  tb::BlockIoWorkload* blockio() { return m_blockio.get(); }
  const std::vector<std::unique_ptr<cpu::Core>>& cores() const { return m_cores; }
  // The privileged-operation interface the kernel uses (nullptr with paging off).
  hw::CpuControl* cpu_control() { return m_mmu_ctl.get(); }
  kernel::Kernel* os() { return m_os.get(); }  // the modeled kernel (scenario runs), else nullptr
  const tb::ScenarioShared* scenario() const { return m_scenario.get(); }

 private:
  void build_workload();
  void build_disk();
  void build_os();
  void build_swap_areas(const std::vector<uint64_t>& first_free_sector);
  void finalize_stats();

  PlatformConfig m_cfg;
  ClockDomain m_cpu_clk;
  stats::Group m_root;
  stats::Group m_summary;
  stats::Scalar m_sim_cycles, m_mem_accesses, m_ops, m_data_errors, m_reads_checked, m_bus_errors,
      m_pages_touched;
  stats::Group m_cpu_stats;

  std::unique_ptr<mem::BackingStore> m_store;
  std::unique_ptr<mem::FixedMemory> m_mem;
  std::unique_ptr<dram::DramController> m_dram;
  std::unique_ptr<dram::LtAdapter> m_dram_adapter;
  std::unique_ptr<interconnect::Router> m_router;
  std::unique_ptr<mmu::MmuControl> m_mmu_ctl;
  std::unique_ptr<tb::FrameAllocator> m_frames;
  std::unique_ptr<tb::PageTableBuilder> m_pt_builder;
  std::unique_ptr<tb::BareMetalKernel> m_kernel;
  // Scenario runs: the modeled Linux kernel, its memory port and architecture operations.
  std::unique_ptr<kernel::KernelBus> m_kbus;
  std::unique_ptr<CpuArchOps> m_arch;
  std::unique_ptr<kernel::Kernel> m_os;
  std::unique_ptr<tb::ScenarioShared> m_scenario;
  std::vector<std::unique_ptr<tb::WorkloadContext>> m_contexts;
  std::vector<std::unique_ptr<cpu::Core>> m_cores;
  // sim.heap_chaff: events no process waits on, and the generator of their instants.
  std::vector<std::unique_ptr<sc_core::sc_event>> m_chaff;
  uint64_t m_chaff_rng = 0;
  tb::CheckTotals m_check_totals;
  // Disk path (disk.present): controllers and media on the router, one interrupt line each, the kernel's
  // block layer and drivers (standalone: disk 0's, behind their own KernelBus), the block-I/O workload.
  std::unique_ptr<stats::Group> m_kernel_stats;
  std::vector<std::unique_ptr<disk::DiskController>> m_disks;
  std::vector<std::unique_ptr<sc_core::sc_signal<bool>>> m_disk_irqs;
  std::unique_ptr<kernel::KernelBus> m_blk_bus;
  std::unique_ptr<kernel::BlockLayer> m_blk;
  std::unique_ptr<kernel::AhciDisk> m_ahci;
  std::unique_ptr<tb::BlockIoWorkload> m_blockio;
  std::unique_ptr<cache::SharedLlc> m_llc;
  std::vector<std::unique_ptr<cache::CoherentDma>> m_dma_snoops;  // one per disk controller's DMA engine
  std::vector<std::unique_ptr<cache::CoreCaches>>
      m_caches;  // after m_cores: their stats live in the cores' groups
  double m_host_seconds = 0;
  sc_core::sc_time m_sample_period;
  std::function<void(sc_core::sc_time)> m_sampler;
};

}  // namespace pc::soc
