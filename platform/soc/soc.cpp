// SoC construction and the run loop.
#include "platform/soc/soc.h"

#include <fmt/format.h>

#include <chrono>

#include "kernel_model/mm/block_file.h"
#include "platform/core/ordered_wake.h"
#include "platform/core/sanitizer.h"
#include "platform/soc/mmu_factory.h"
#include "testbench/workload/lackey.h"
#include "testbench/workload/patterns.h"

namespace pc::soc {
namespace {

uint64_t mix_seed(uint64_t seed, uint64_t a, uint64_t b) {
  uint64_t x = seed ^ (a * 0x9e3779b97f4a7c15ull) ^ (b * 0xc2b2ae3d27d4eb4full);
  x = (x ^ (x >> 33)) * 0xff51afd7ed558ccdull;
  x = (x ^ (x >> 33)) * 0xc4ceb9fe1a85ec53ull;
  return x ^ (x >> 33);
}

// Runs several pattern streams one after another.
class PhasedStream : public tb::OpStream {
 public:
  explicit PhasedStream(std::vector<std::unique_ptr<tb::OpStream>> phases) : m_phases(std::move(phases)) {}
  bool next(hw::Op& op) override {
    while (m_i < m_phases.size()) {
      if (m_phases[m_i]->next(op)) return true;
      ++m_i;
    }
    return false;
  }
  bool next_batch(hw::Op* ops, size_t n, size_t& filled) override {
    while (m_i < m_phases.size()) {
      if (m_phases[m_i]->next_batch(ops, n, filled)) return true;
      ++m_i;
    }
    return false;
  }

 private:
  std::vector<std::unique_ptr<tb::OpStream>> m_phases;
  size_t m_i = 0;
};

// Stops a stream after `limit` memory operations.
class LimitedStream : public tb::OpStream {
 public:
  LimitedStream(std::unique_ptr<tb::OpStream> s, uint64_t limit) : m_s(std::move(s)), m_left(limit) {}
  bool next(hw::Op& op) override {
    if (m_left == 0 || !m_s->next(op)) return false;
    if (op.kind != hw::OpKind::Compute && op.kind != hw::OpKind::Syscall) --m_left;
    return true;
  }

 private:
  std::unique_ptr<tb::OpStream> m_s;
  uint64_t m_left;
};

constexpr uint64_t k2M = 2ull << 20;

}  // namespace

Soc::Soc(const PlatformConfig& cfg)
    : m_cfg(cfg),
      m_cpu_clk("cpu", cfg.clocks.cpu_mhz),
      m_root(nullptr, "stats", "PageCycle statistics"),
      m_summary(&m_root, "summary", "whole-run figures"),
      m_sim_cycles(m_summary, "sim_cycles", "cycles", "simulated CPU cycles until the last core halted"),
      m_mem_accesses(m_summary, "mem_accesses", "accesses", "memory operations the workload issued"),
      m_ops(m_summary, "ops", "ops", "operations retired by all cores (memory, compute, system calls)"),
      m_data_errors(m_summary, "data_errors", "reads", "data-checking mode: reads that returned wrong bytes"),
      m_reads_checked(m_summary, "reads_checked", "reads", "data-checking mode: reads verified"),
      m_bus_errors(m_summary, "bus_errors", "accesses", "accesses that ended in a bus (address) error"),
      m_pages_touched(m_summary, "pages_touched", "pages", "4 KiB pages of physical memory ever written"),
      m_cpu_stats(&m_root, "cpu", "CPU cores") {
  const uint64_t mem_bytes = cfg.dram.size_mib << 20;
  m_store = std::make_unique<mem::BackingStore>(mem_bytes);
  const bool scenario = cfg.workload.source == "scenario";
  if (cfg.dram.model == "ddr") {
    m_dram = std::make_unique<dram::DramController>("dram", cfg.dram.ddr, *m_store, m_root);
    m_dram_adapter = std::make_unique<dram::LtAdapter>("dram_lt");
    m_dram_adapter->isock.bind(m_dram->tsock);
    m_dram->set_accept_in_call(true);  // the adapter is its only initiator
    // The scheduler runs ahead of the kernel's time while nothing else is due (same commands at the same
    // cycles, fewer kernel events). That changes the shape of SystemC's timed-event heap and which delta
    // cycle of an instant a response lands in; results depend on neither (tests/cli/heap_order.sh): the
    // LT adapter grants same-instant callers in name order, and under the modeled kernel its threads due
    // at one instant resume in name order after the devices' own (sim::OrderedWake).
    m_dram->set_run_ahead(cfg.sim.dram_run_ahead);
  } else {
    m_mem = std::make_unique<mem::FixedMemory>("mem", cfg.dram.fixed, *m_store, m_root);
  }
  m_router = std::make_unique<interconnect::Router>(
      "router", hw::physical_address_map(mem_bytes, static_cast<unsigned>(cfg.num_disks())),
      m_cpu_clk.cycles(cfg.interconnect.latency_cycles), m_root);
  // The router and cores are LT; for DDR the adapter turns each b_transport into the controller's AT
  // protocol.
  if (m_dram)
    m_router->isock.bind(m_dram_adapter->tsock);
  else
    m_router->isock.bind(m_mem->tsock);
  if (cfg.disk.present || scenario)
    m_kernel_stats = std::make_unique<stats::Group>(&m_root, "kernel", "modeled kernel");
  if (cfg.disk.present) build_disk();

  const bool paging = cfg.cpu.paging == "on";
  if (scenario) {
    if (!paging)
      throw cfg::ConfigError(
          "workload.source is \"scenario\": processes run on the modeled kernel, which needs "
          "cpu.paging = \"on\" (e.g. --preset nehalem)");
    m_mmu_ctl = std::make_unique<mmu::MmuControl>(cfg.mmu);
  } else if (paging) {
    // Until the kernel model lands, a bare-metal pager maps pages on first touch; frames come from
    // above the first MiB.
    m_mmu_ctl = std::make_unique<mmu::MmuControl>(cfg.mmu);
    m_frames = std::make_unique<tb::FrameAllocator>(1ull << 20, mem_bytes);
    m_pt_builder = std::make_unique<tb::PageTableBuilder>("pt_builder", *m_frames, cfg.mmu.la57);
    m_pt_builder->mem_isock.bind(m_router->tsock);
    m_kernel = std::make_unique<tb::BareMetalPager>(static_cast<unsigned>(cfg.cpu.cores),
                                                    cfg.sim.syscall_cycles, cfg.sim.fault_cycles,
                                                    *m_pt_builder, *m_mmu_ctl, m_cpu_clk, m_root);
  } else {
    m_kernel =
        std::make_unique<tb::BareMetalKernel>(static_cast<unsigned>(cfg.cpu.cores), cfg.sim.syscall_cycles);
  }
  // With the modeled kernel the cores are driven by its tasks' threads; a bare-metal kernel is called
  // back from each core's own thread.
  if (cfg.caches.enabled) m_llc = std::make_unique<cache::SharedLlc>(cfg.caches, m_cpu_clk, m_root);
  const mmu::TranslatorFactory make_mmu = make_translator_factory(cfg, *m_store);  // mmu.impl
  for (unsigned i = 0; i < cfg.cpu.cores; ++i) {
    m_cores.push_back(std::make_unique<cpu::Core>(fmt::format("core{}", i).c_str(), i, cfg.cpu, m_cpu_clk,
                                                  m_kernel.get(), m_cpu_stats, cfg.mmu, make_mmu));
    if (m_mmu_ctl) m_mmu_ctl->add(m_cores.back()->mmu());
    if (m_llc) {
      m_caches.push_back(std::make_unique<cache::CoreCaches>(fmt::format("caches{}", i).c_str(), i,
                                                             cfg.caches, m_cpu_clk, *m_llc,
                                                             m_cores.back()->stats_group()));
      m_cores.back()->mem_isock.bind(m_caches.back()->tsock);
      m_cores.back()->set_caches(m_caches.back().get());
      m_caches.back()->mem_isock.bind(m_router->tsock);
    } else {
      m_cores.back()->mem_isock.bind(m_router->tsock);
    }
  }
  if (scenario) {
    build_os();
    sim::OrderedWake::enable(cfg.sim.ordered_wakeups);  // after the kernel, which turns it on
  }
  // Without the modeled kernel the adapter's callers are the cores' and devices' own threads, each waiting
  // for its response on an event of its own. Answered early, a caller's event is notified for the
  // response's time from the scheduler's run instead of by the responder method at that time: it resumes
  // at the same time, a delta cycle sooner, among the instant's first processes in the order of SystemC's
  // event heap, as a core's quantum sync already does (no method run and no timed event of the
  // controller's). Where the callers meet, the adapter grants same-instant callers in name order.
  // Under the modeled kernel a thread a response wakes resumes after the task threads sim::OrderedWake
  // resumes in name order at that instant; early, it would resume before them, in the heap's order.
  using Early = SimConfig::EarlyResponses;
  if (m_dram)
    m_dram->set_early_responses(cfg.sim.dram_early_responses == Early::On ||
                                (cfg.sim.dram_early_responses == Early::Auto && !scenario));
  // The kernel's loads and stores run on a CPU: port c of each kernel bus goes through core c's caches.
  for (kernel::KernelBus* bus : {m_kbus.get(), m_blk_bus.get()}) {
    if (!bus) continue;
    for (unsigned c = 0; c < cfg.cpu.cores; ++c) {
      if (m_llc)
        bus->mem_isock.bind(m_caches[c]->tsock);
      else
        bus->mem_isock.bind(m_router->tsock);
    }
  }
  // DMA is coherent with the caches, as on x86: every DMA access snoops them first.
  for (size_t i = 0; i < m_disks.size(); ++i) {
    if (m_llc) {
      m_dma_snoops.push_back(
          std::make_unique<cache::CoherentDma>(i ? fmt::format("dma_snoop{}", i).c_str() : "dma_snoop",
                                               *m_llc, static_cast<unsigned>(cfg.caches.line_bytes), m_root));
      m_disks[i]->dma_isock.bind(m_dma_snoops.back()->tsock);
      m_dma_snoops.back()->isock.bind(m_router->tsock);
    } else {
      m_disks[i]->dma_isock.bind(m_router->tsock);
    }
  }
  build_workload();
  for (uint64_t i = 0; i < cfg.sim.heap_chaff; ++i) m_chaff.push_back(std::make_unique<sc_core::sc_event>());
  m_chaff_rng = cfg.sim.seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
}

Soc::~Soc() = default;

// The disk controllers bind to the router after DRAM (map order: disk, disk1, ...); each DMA engine is one
// more initiator on the router, so DMA competes with the cores for memory. Each controller raises its own
// interrupt line. The driver's descriptors live in the top kernel.block.dma_region_kib of DRAM (disk i's
// in the i-th such region from the top); block-I/O workload buffers sit right below disk 0's.
void Soc::build_disk() {
  const uint64_t mem_bytes = m_cfg.dram.size_mib << 20;
  for (size_t i = 0; i < m_cfg.num_disks(); ++i) {
    const std::string name = i ? fmt::format("disk{}", i) : std::string("disk");
    m_disks.push_back(std::make_unique<disk::DiskController>(name.c_str(), m_cfg.disk_config(i), m_root,
                                                             PlatformConfig::disk_key(i)));
    m_router->isock.bind(m_disks.back()->tsock);  // its DMA port binds once the caches exist (it snoops them)
    m_disk_irqs.push_back(std::make_unique<sc_core::sc_signal<bool>>((name + "_irq").c_str()));
    m_disks.back()->irq_out.bind(*m_disk_irqs.back());
  }
  if (m_cfg.workload.source == "scenario")
    return;  // the modeled kernel builds its own block layer and driver
  // Standalone block layer and driver (the block-I/O workload's kernel threads use them).
  m_blk_bus = std::make_unique<kernel::KernelBus>("blk_bus", *m_kernel_stats, "blk_bus");
  m_blk = std::make_unique<kernel::BlockLayer>(*m_kernel_stats);
  const uint64_t dma_bytes = m_cfg.kernel.block.dma_region_kib << 10;
  m_ahci = std::make_unique<kernel::AhciDisk>("sda", m_cfg.kernel.block, *m_blk_bus, hw::kDiskCtrlBase,
                                              mem_bytes - dma_bytes, dma_bytes, *m_blk, *m_kernel_stats);
  m_ahci->irq_in.bind(*m_disk_irqs[0]);
  if (m_cfg.workload.source == "blockio") {
    const uint64_t cap_mib = m_disks[0]->media().capacity_sectors() / 2048;
    if (m_cfg.workload.blockio.span_mib > cap_mib)
      throw cfg::ConfigError(fmt::format("key 'workload.blockio.span_mib': {} MiB exceeds the disk ({} MiB)",
                                         m_cfg.workload.blockio.span_mib, cap_mib));
    const uint64_t buf =
        (mem_bytes - dma_bytes - tb::BlockIoWorkload::buffer_bytes(m_cfg.workload.blockio)) & ~uint64_t{4095};
    m_blockio = std::make_unique<tb::BlockIoWorkload>("blockio", m_cfg.workload.blockio, m_cfg.sim.seed,
                                                      *m_blk, *m_blk_bus, buf, m_root);
  }
}

// The modeled Linux kernel runs the scenario: it owns all DRAM below the drivers' descriptor regions, reaches
// memory through its own KernelBus, drives the MMUs through CpuControl, and finds the scenario's files in
// contiguous extents of their disks (whose images the testbench writes before the run).
void Soc::build_os() {
  const auto& sc = m_cfg.workload.scenario;
  if (!sc.files.empty() && !m_cfg.disk.present)
    throw cfg::ConfigError("workload.scenario.files: files live on the disk, but disk.present is false");
  if (sc.processes.empty()) throw cfg::ConfigError("workload.scenario.processes: no process to run");
  const uint64_t mem_bytes = m_cfg.dram.size_mib << 20;
  const uint64_t region_bytes = m_cfg.kernel.block.dma_region_kib << 10;  // one driver's descriptors
  const uint64_t driver_bytes = region_bytes * m_disks.size();
  m_arch = std::make_unique<CpuArchOps>(*m_mmu_ctl, m_cpu_clk);
  m_kbus = std::make_unique<kernel::KernelBus>("kbus", *m_kernel_stats, "bus");
  std::vector<hw::Cpu*> cpus;
  for (auto& c : m_cores) cpus.push_back(c.get());
  std::vector<kernel::DiskAttach> disks(m_disks.size());
  for (size_t i = 0; i < disks.size(); ++i) {
    disks[i].mmio_base = hw::disk_ctrl_base(static_cast<unsigned>(i));
    disks[i].dma_bytes = region_bytes;
    disks[i].dma_base = mem_bytes - (i + 1) * region_bytes;  // disk 0's region on top, as without more disks
  }
  if (driver_bytes >= mem_bytes)
    throw cfg::ConfigError(fmt::format("kernel.block.dma_region_kib: {} disks x {} KiB leave no memory",
                                       disks.size(), m_cfg.kernel.block.dma_region_kib));
  m_os = std::make_unique<kernel::Kernel>("os", m_cfg.kernel, mem_bytes - driver_bytes, std::move(cpus),
                                          m_cpu_clk, *m_kbus, *m_arch, *m_kernel_stats, std::move(disks));
  for (size_t i = 0; i < m_disks.size(); ++i) m_os->disk(i)->irq_in.bind(*m_disk_irqs[i]);
  m_scenario = std::make_unique<tb::ScenarioShared>();
  m_scenario->cfg = &sc;
  m_scenario->data_check = m_cfg.workload.data_check;
  m_scenario->totals = &m_check_totals;
  // Files: one contiguous extent each, from 1 MiB into their disk, 4 KiB aligned.
  std::vector<uint64_t> next_sector(m_disks.size(), 2048);
  for (size_t i = 0; i < sc.files.size(); ++i) {
    const auto& f = sc.files[i];
    const uint64_t pages = (f.size_kib + 3) / 4;
    if (f.disk >= m_disks.size())  // ConfigResolver::finish checks it too; a config built by hand may not
      throw cfg::ConfigError(fmt::format("key 'workload.scenario.files[{}].disk': no disk {} ({} disks)", i,
                                         f.disk, m_disks.size()));
    disk::DiskController& d = *m_disks[f.disk];
    uint64_t& sector = next_sector[f.disk];
    if (sector + pages * 8 > d.media().capacity_sectors())
      throw cfg::ConfigError(fmt::format(
          "key 'workload.scenario.files[{}].disk': '{}' ({} KiB) does not fit on disk {} ({} KiB free after "
          "1 MiB "
          "and the files before it)",
          i, f.name, f.size_kib, f.disk,
          sector < d.media().capacity_sectors() ? (d.media().capacity_sectors() - sector) / 2 : 0));
    std::vector<uint8_t> page(4096);
    auto shadow = m_cfg.workload.data_check ? std::make_shared<mem::BackingStore>(pages * 4096) : nullptr;
    for (uint64_t p = 0; p < pages; ++p) {
      for (uint64_t b = 0; b < 4096; ++b)
        page[b] = tb::scenario_file_byte(static_cast<uint32_t>(i), p * 4096 + b);
      d.store().write(sector + p * 8, 8, page.data());
      if (shadow) shadow->write(p * 4096, page.data(), 4096);
    }
    m_scenario->file_ids.push_back(
        m_os->register_file(f.name, std::make_unique<kernel::BlockFileBacking>(
                                        *m_os->block_layer(), *m_os->disk(f.disk), sector, pages)));
    m_scenario->file_shadows.push_back(shadow);
    sector += pages * 8;
  }
  build_swap_areas(next_sector);
  for (size_t i = 0; i < sc.processes.size(); ++i) {
    const auto& p = sc.processes[i];
    const int prog = m_scenario->program_index(p.program);
    if (prog < 0)
      throw cfg::ConfigError(
          fmt::format("workload.scenario.processes[{}].program: no program named '{}'", i, p.program));
    m_os->spawn(p.program,
                std::make_unique<tb::ProgramContext>(*m_scenario, static_cast<size_t>(prog),
                                                     mix_seed(m_cfg.sim.seed, i, 77)),
                sc_core::sc_time::from_value(p.start_us * 1000000000ull), static_cast<int>(p.nice),
                static_cast<int>(p.oom_adj));
  }
}

// Swap areas: each laid out on its disk (a partition: one sector range; a file: `extents` pieces 1 MiB
// apart), with the header mkswap writes in its first page, and handed to the kernel, which reads the header
// back through the block layer at swapon. `first_free_sector[d]`: the end of disk d's files.
void Soc::build_swap_areas(const std::vector<uint64_t>& first_free_sector) {
  const auto& areas = m_cfg.kernel.swap.areas;
  struct Range {
    uint64_t begin, end;
  };
  std::vector<uint64_t> cursors;         // per disk, 1 MiB aligned
  std::vector<std::vector<Range>> used;  // per disk: the files (and the first MiB), the areas so far
  for (uint64_t f : first_free_sector) {
    cursors.push_back((f + 2047) / 2048 * 2048);
    used.push_back({{0, f}});
  }
  for (size_t i = 0; i < areas.size(); ++i) {
    const auto& a = areas[i];
    const std::string key = fmt::format("kernel.swap.areas[{}]", i);
    if (a.disk >= m_disks.size())
      throw cfg::ConfigError(fmt::format("{}.disk: disk {} does not exist", key, a.disk));
    disk::DiskController& d = *m_disks[a.disk];
    uint64_t& cursor = cursors[a.disk];
    const uint64_t capacity = d.media().capacity_sectors();
    const uint64_t size_mib = a.size_mib ? a.size_mib : 2 * m_cfg.dram.size_mib;
    const uint64_t pages = size_mib * 256;
    const bool is_file = a.kind == kernel::SwapAreaConfig::Kind::File;
    const uint64_t nr_ext = is_file ? std::max<uint64_t>(1, a.extents) : 1;
    if (pages < 2 || pages < nr_ext)
      throw cfg::ConfigError(fmt::format("{}.size_mib: {} MiB is too small for a swap area", key, size_mib));
    const uint64_t start = a.start_mib ? a.start_mib * 2048 : cursor;
    // Extents of a swap file leave a 1 MiB gap between them (other files' blocks in a real filesystem).
    const uint64_t span = pages * 8 + (nr_ext - 1) * 2048;
    if (start + span > capacity)
      throw cfg::ConfigError(
          fmt::format("{}: the area ({} MiB from sector {}) does not fit on disk {} ({} sectors)", key,
                      size_mib, start, a.disk, capacity));
    for (const Range& r : used[a.disk])
      if (start < r.end && start + span > r.begin)
        throw cfg::ConfigError(
            fmt::format("{}.start_mib: the area (sectors {}..{}) overlaps the scenario's files "
                        "or another area (sectors {}..{})",
                        key, start, start + span - 1, r.begin, r.end - 1));
    used[a.disk].push_back({start, start + span});
    cursor = std::max(cursor, (start + span + 2047) / 2048 * 2048);
    kernel::SwapAreaSetup s;
    s.name = key;
    s.disk = static_cast<unsigned>(a.disk);
    s.is_file = is_file;
    s.prio = static_cast<int>(a.priority);
    s.pages = pages;
    s.active = a.active;
    uint64_t page = 0, block = start / 8;
    for (uint64_t e = 0; e < nr_ext; ++e) {
      const uint64_t n = pages / nr_ext + (e < pages % nr_ext ? 1 : 0);
      s.extents.push_back({page, n, block});
      page += n;
      block += n + 256;  // the 1 MiB gap
    }
    if (a.format) {
      kernel::SwapHeaderInfo h;
      h.last_page = static_cast<uint32_t>(pages - 1);
      const std::vector<uint8_t> hdr = kernel::mkswap_header(h);
      d.store().write(start, 8, hdr.data());
    }
    m_os->add_swap_area(std::move(s));
  }
}

void Soc::build_workload() {
  const auto& w = m_cfg.workload;
  if (w.source == "scenario") return;  // the kernel runs the scenario's processes
  // Kernel threads do the block I/O; the cores idle unless asked to run the synthetic workload as well.
  if (w.source == "blockio" && !w.blockio.with_cores) return;
  const uint64_t mem_bytes = m_cfg.dram.size_mib << 20;
  if (w.source == "trace") {
    std::unique_ptr<tb::OpStream> s =
        std::make_unique<tb::LineSplitStream>(std::make_unique<tb::LackeyReader>(w.trace.path));
    if (w.trace.max_ops) s = std::make_unique<LimitedStream>(std::move(s), w.trace.max_ops);
    std::unique_ptr<tb::FirstTouchMapper> mapper;
    if (w.trace.remap && m_cfg.cpu.paging == "off")
      mapper = std::make_unique<tb::FirstTouchMapper>(0, mem_bytes, "trace " + w.trace.path);
    m_contexts.push_back(std::make_unique<tb::WorkloadContext>(
        0, std::move(s), w.data_check ? &m_check_totals : nullptr, std::move(mapper)));
    m_kernel->assign(0, m_contexts.back().get());
    return;
  }
  std::vector<tb::PatternConfig> phases =
      w.phases.empty() ? std::vector<tb::PatternConfig>{w.synthetic} : w.phases;
  uint64_t fp = 0;
  for (const auto& p : phases) fp = std::max(fp, p.footprint_kib * 1024);
  const uint64_t window = (fp + k2M - 1) & ~(k2M - 1);
  for (unsigned c = 0; c < m_cfg.cpu.cores; ++c) {
    std::vector<std::unique_ptr<tb::OpStream>> streams;
    for (size_t p = 0; p < phases.size(); ++p)
      streams.push_back(tb::make_pattern_stream(phases[p], c * window, mix_seed(m_cfg.sim.seed, c, p)));
    m_contexts.push_back(std::make_unique<tb::WorkloadContext>(
        c, std::make_unique<PhasedStream>(std::move(streams)), w.data_check ? &m_check_totals : nullptr));
    m_kernel->assign(c, m_contexts.back().get());
  }
}

void Soc::run(bool progress) {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  tlm::tlm_global_quantum::instance().set(m_cpu_clk.cycles(m_cfg.sim.quantum_cycles));
  // The simulation advances in fixed chunks of simulated time whether or not progress is shown, so
  // what is simulated never depends on the terminal.
  const sc_core::sc_time chunk = m_cpu_clk.cycles(100000);
  auto last_print = t0;
  bool printed = false;
  auto all_halted = [&] {
    if (m_os) return m_os->all_exited();
    for (const auto& c : m_cores)
      if (!c->halted()) return false;
    return !m_blockio || m_blockio->done();
  };
  // Samples stop the simulation at their instants too; SystemC resumes where it stopped, and the run
  // still ends on the chunk grid, so results are the same with and without them.
  sc_core::sc_time next_sample = m_sampler ? sc_core::sc_time_stamp() : sc_core::sc_max_time();
  sc_core::sc_time boundary = sc_core::sc_time_stamp() + chunk;
  while (!all_halted()) {
    if (next_sample <= sc_core::sc_time_stamp()) {
      m_sampler(sc_core::sc_time_stamp());
      next_sample += m_sample_period;
    }
    // sim.heap_chaff: each chunk, timed notifications nobody waits on, at seeded instants inside it. They
    // change the shape of SystemC's timed-event heap, and with it the order in which processes due at
    // the same instant run wherever the model leaves that order to the kernel (tests compare the results).
    // Made between sc_start calls, so every one has fired by the stall check below.
    for (auto& e : m_chaff) {
      m_chaff_rng ^= m_chaff_rng << 13, m_chaff_rng ^= m_chaff_rng >> 7, m_chaff_rng ^= m_chaff_rng << 17;
      e->notify(sc_core::sc_time::from_value(
          m_chaff_rng % (std::min(boundary, next_sample) - sc_core::sc_time_stamp()).value()));
    }
    if (m_dram) m_dram->set_run_ahead_horizon(std::min(boundary, next_sample));
    sc_core::sc_start(std::min(boundary, next_sample) - sc_core::sc_time_stamp());
    if (m_os && m_os->error()) {
      prepare_throw_after_simulation();
      std::rethrow_exception(m_os->error());
    }
    // A timing violation stops the simulation (sc_stop) wherever it happens, and SystemC cannot start
    // again after that: report it before anything else.
    if (m_dram && !m_dram->violation().empty()) {
      prepare_throw_after_simulation();
      throw std::runtime_error(m_dram->violation());
    }
    if (sc_core::sc_time_stamp() < boundary) continue;
    boundary += chunk;
    if (!all_halted() && !sc_core::sc_pending_activity()) {
      prepare_throw_after_simulation();
      throw std::runtime_error(
          "simulation stalled: no pending events while cores (or block I/O) are still running");
    }
    if (progress) {
      const auto now = Clock::now();
      const double el = std::chrono::duration<double>(now - t0).count();
      if (el >= 2.0 && std::chrono::duration<double>(now - last_print).count() >= 0.5) {
        uint64_t ops = 0;
        for (const auto& c : m_cores) ops += c->ops_done();
        fmt::print(stderr, "\r[pagecycle] sim {:.3f} ms | {} ops | {:.2f} M ops/s host   ",
                   sc_core::sc_time_stamp().to_seconds() * 1e3, ops, static_cast<double>(ops) / el / 1e6);
        last_print = now;
        printed = true;
      }
    }
  }
  if (printed) fmt::print(stderr, "\n");
  if (m_sampler) {
    // A run without samples notices the end at the next chunk boundary and stops there.
    if (sc_core::sc_time_stamp() > boundary - chunk) sc_core::sc_start(boundary - sc_core::sc_time_stamp());
    m_sampler(sc_core::sc_time_stamp());  // the state at the end
  }
  for (const auto& ctx : m_contexts)
    if (ctx->error()) {
      prepare_throw_after_simulation();
      std::rethrow_exception(ctx->error());
    }
  if (m_scenario && !m_scenario->errors.empty()) {
    std::string all;
    for (const auto& e : m_scenario->errors) all += "\n  " + e;
    prepare_throw_after_simulation();
    throw std::runtime_error("scenario steps failed:" + all);
  }
  m_host_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  finalize_stats();
}

void Soc::finalize_stats() {
  if (m_dram) m_dram->sync_to_now();  // refreshes an idle memory skipped until the end of the run
  sc_core::sc_time end = sc_core::SC_ZERO_TIME;
  uint64_t acc = 0, ops = 0;
  for (const auto& c : m_cores) {
    end = std::max(end, c->halt_time());
    acc += c->mem_accesses();
    ops += c->ops_done();
  }
  if (m_blockio) end = std::max(end, m_blockio->end_time());
  if (m_os) end = std::max(end, m_os->last_exit());
  for (const auto& d : m_disks) d->finish_stats();
  if (m_ahci) m_ahci->finish_stats();
  if (m_os)
    for (size_t i = 0; i < m_os->num_disks(); ++i) m_os->disk(i)->finish_stats();
  uint64_t bus = 0;
  for (const auto& c : m_cores) bus += c->bus_errors();
  uint64_t errors = m_check_totals.data_errors;
  const uint64_t checked = m_check_totals.reads_checked;
  m_sim_cycles.set(static_cast<double>(m_cpu_clk.to_cycles(end)));
  m_mem_accesses.set(static_cast<double>(acc));
  m_ops.set(static_cast<double>(ops));
  if (m_blockio) errors += m_blockio->data_errors();
  m_data_errors.set(static_cast<double>(errors));
  m_reads_checked.set(static_cast<double>(checked));
  m_bus_errors.set(static_cast<double>(bus));
  m_pages_touched.set(static_cast<double>(m_store->pages_allocated()));
}

}  // namespace pc::soc
