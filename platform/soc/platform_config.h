// The platform configuration tree (sim, clocks, cpu, interconnect, dram, workload), its presets and the
// layered resolution: defaults <- presets <- config files <- --set, each layer checked strictly.
#pragma once

#include <string>
#include <vector>

#include "kernel_model/kernel_config.h"
#include "models/cache/cache_config.h"
#include "models/cpu/core.h"
#include "models/disk/disk_config.h"
#include "models/dram/ddr_config.h"
#include "models/mem/fixed_memory.h"
#include "models/mmu/mmu_config.h"
#include "platform/core/config.h"
#include "platform/hwdefs/address_map.h"
#include "testbench/workload/workload_config.h"

namespace pc::soc {

struct SimConfig {
  uint64_t seed = 1;               // seeds every random choice of the run
  uint64_t quantum_cycles = 1000;  // TLM global quantum, CPU cycles a core may run ahead
  uint64_t syscall_cycles = 100;   // bare-metal mode: cost of a system call
  uint64_t fault_cycles = 1000;    // bare-metal pager: CPU cost of a page fault besides its table writes
  uint64_t heap_chaff = 0;         // tests: timed notifications nobody waits on, per 100,000 CPU cycles
  bool ordered_wakeups = true;     // the kernel's tasks due at one instant resume in name order
  bool dram_run_ahead = true;      // the DDR scheduler ticks ahead of the kernel's time while nothing is due
  // When the DDR controller answers a request as soon as its response time is known (with that time as
  // the response's annotated delay) rather than from a method at that time.
  enum class EarlyResponses { Auto, Off, On };
  EarlyResponses dram_early_responses = EarlyResponses::Auto;  // auto: without the modeled kernel

  void describe(cfg::Visitor& v) {
    v.u64("seed", seed, "", "seed of every random choice in the run");
    v.u64("quantum_cycles", quantum_cycles, "cycles", "TLM global quantum (temporal decoupling)", 1,
          100000000);
    v.u64("syscall_cycles", syscall_cycles, "cycles", "bare-metal mode: cost of a system call", 0, 100000000);
    v.u64("fault_cycles", fault_cycles, "cycles",
          "bare-metal pager (paging on): CPU cost of a page fault besides its page-table traffic", 0,
          100000000);
    v.u64("heap_chaff", heap_chaff, "events",
          "tests: notifications of events no process waits on, at seeded random instants of each 100,000 CPU "
          "cycles, which reshape SystemC's timed-event heap (results must not change)",
          0, 64);
    v.boolean("ordered_wakeups", ordered_wakeups,
              "the modeled kernel's tasks due at one instant resume in the order of their threads' names "
              "(false, for tests only: in the order SystemC's timed-event heap gives, as before)");
    v.boolean("dram_run_ahead", dram_run_ahead,
              "the DDR scheduler ticks its next cycles at once while nothing else in the simulation is due "
              "before them (same results, fewer kernel events; false, for tests: it waits for each cycle)");
    v.choice("dram_early_responses", dram_early_responses,
             {{"auto", EarlyResponses::Auto}, {"off", EarlyResponses::Off}, {"on", EarlyResponses::On}},
             "the DDR controller answers a request as soon as its response time is known, annotated with "
             "that time, instead of from a method at that time (auto: only without the modeled kernel, "
             "where the results are the same; off: never; on, for tests only: also under the modeled "
             "kernel, where a response then wakes its thread before the tasks due at that instant)");
  }
};

struct ClocksConfig {
  double cpu_mhz = 3000;  // core clock

  void describe(cfg::Visitor& v) { v.f64("cpu_mhz", cpu_mhz, "MHz", "CPU core clock", 1, 100000); }
};

struct InterconnectConfig {
  uint64_t latency_cycles = 0;  // CPU cycles added per routed transaction

  void describe(cfg::Visitor& v) {
    v.u64("latency_cycles", latency_cycles, "cycles", "router hop latency", 0, 10000);
  }
};

struct DramSection {
  std::string model = "ddr";  // timing model of physical memory
  uint64_t size_mib = 4096;   // physical memory size
  mem::FixedMemConfig fixed;
  dram::DdrConfig ddr;  // defaults: DDR4-3200AA, one rank

  void describe(cfg::Visitor& v) {
    v.str("model", model,
          "memory timing model: ddr (cycle-accurate DDR4/DDR5 controller) or fixed (constant latency)",
          {"fixed", "ddr"});
    v.u64("size_mib", size_mib, "MiB", "physical memory size", 1, hw::kMaxDramBytes >> 20);
    v.section("fixed", fixed, "fixed-latency model");
    v.section("ddr", ddr, "DDR controller and devices (model = ddr)");
  }
};

// Disk i >= 1 (extra_disks[i-1]): the schema of `disk`, and a disk preset whose `disk` section is applied
// before the entry's own keys.
struct ExtraDiskConfig : disk::DiskConfig {
  std::string preset;  // "" or a disk preset: hdd-7200, ssd-mqsim, ssd-nvmevirt

  void describe(cfg::Visitor& v);
};

struct PlatformConfig {
  SimConfig sim;
  ClocksConfig clocks;
  cpu::CpuConfig cpu;
  mmu::MmuConfig mmu;
  cache::CachesConfig caches;
  InterconnectConfig interconnect;
  DramSection dram;
  disk::DiskConfig disk;                     // disk 0
  std::vector<ExtraDiskConfig> extra_disks;  // disks 1, 2, ...
  kernel::KernelConfig kernel;
  tb::WorkloadConfig workload;

  void describe(cfg::Visitor& v) {
    v.section("sim", sim, "simulation control");
    v.section("clocks", clocks, "clock domains");
    v.section("cpu", cpu, "CPU cores");
    v.section("mmu", mmu, "per-core MMU (cpu.paging = on): TLBs, paging-structure caches, walker");
    v.section("caches", caches, "cache hierarchy: per-core L1I/L1D/L2, shared LLC");
    v.section("interconnect", interconnect, "physical address router");
    v.section("dram", dram, "physical memory");
    v.section("disk", disk, "disk controller and medium (disk 0)");
    v.list(
        "extra_disks", extra_disks,
        "more disks, each with its own controller, interrupt line and driver (sdb, sdc, ...): extra_disks[i] "
        "is disk i+1, with the keys of `disk` and an optional disk `preset` applied first");
    v.section("kernel", kernel, "modeled Linux kernel");
    v.section("workload", workload, "what the cores run");
  }
  cfg::Json to_json() const;
  // Disk i: 0 = `disk`, i >= 1 = extra_disks[i-1]; its configuration key.
  size_t num_disks() const { return disk.present ? 1 + extra_disks.size() : 0; }
  const disk::DiskConfig& disk_config(size_t i) const { return i ? extra_disks.at(i - 1) : disk; }
  static std::string disk_key(size_t i) { return i ? "extra_disks[" + std::to_string(i - 1) + "]" : "disk"; }
};

struct Preset {
  std::string name;
  std::string description;
  std::string overlay;  // JSON text applied on top of the defaults
};
const std::vector<Preset>& presets();

// Builds a resolved configuration, layer by layer.
class ConfigResolver {
 public:
  void apply_preset(const std::string& name);
  void apply_file(const std::string& path);
  void apply_set(const std::string& assignment);  // path=value
  void apply_json(const cfg::Json& overlay, const std::string& source);
  // Checks relations between fields (a trace run has a trace file, the workload fits in memory).
  const PlatformConfig& finish();
  const std::vector<std::string>& presets_applied() const { return m_presets; }

 private:
  PlatformConfig m_cfg;
  std::vector<std::string> m_presets;
};

}  // namespace pc::soc
