// Platform configuration: presets and layered resolution.
#include "platform/soc/platform_config.h"

#include <fmt/format.h>

#include "models/dram/ddr_presets.h"

namespace pc::soc {

cfg::Json PlatformConfig::to_json() const {
  auto& self = const_cast<PlatformConfig&>(*this);  // the encoder only reads
  return cfg::encode([&](cfg::Visitor& v) { self.describe(v); });
}

const std::vector<Preset>& presets() {
  static const std::vector<Preset> p = [] {
    std::vector<Preset> v = {
        {"default",
         "the built-in defaults: 2 cores at 3 GHz, 4 GiB of DDR4-3200 (cycle-accurate controller), paging "
         "off, "
         "Zipf workload over 64 MiB per core (`pagecycle run` with no option runs nehalem+swap-hdd+mission "
         "instead)",
         "{}"},
        {"stream",
         "the synthetic DRAM stream (the built-in defaults, as 'default'): 2 cores, 4 GiB DDR4-3200, paging "
         "off, Zipf over 64 MiB per core",
         "{}"},
        {"small", "1 core, 256 MiB, 20,000 random accesses over 1 MiB: a run that finishes in milliseconds",
         R"({"cpu": {"cores": 1}, "dram": {"size_mib": 256},
           "workload": {"synthetic": {"pattern": "random", "footprint_kib": 1024, "accesses": 20000}}})"},
        {"datacheck",
         "2 cores, data checking on: each writes 50 MiB, mixes 1M random reads and writes, then reads it all "
         "back",
         R"({"workload": {"data_check": true, "phases": [
            {"pattern": "sequential", "footprint_kib": 51200, "accesses": 819200, "access_size": 64, "read_fraction": 0.0},
            {"pattern": "random", "footprint_kib": 51200, "accesses": 1000000, "access_size": 8, "read_fraction": 0.5},
            {"pattern": "sequential", "footprint_kib": 51200, "accesses": 819200, "access_size": 64, "read_fraction": 1.0}]}})"},
        {"fixed", "fixed-latency memory (50 ns, no bandwidth limit) instead of the DDR model",
         R"({"dram": {"model": "fixed"}})"},
        {"hdd-7200",
         "disk: 250 GB 7200 rpm desktop drive of the 2.6.18 era (8 zones 1600..900 sectors/track = 98..55 "
         "MB/s, seek 1.0/8.5 avg/15.5 ms, read-ahead, 4 MiB write cache in 64 segments, SATA 3 Gb/s)",
         R"({"disk": {"present": true, "media": "hdd", "controller": {"link_mbps": 300}}})"},
        {"ssd-mqsim",
         "disk: MQSim default MLC SSD (8 ch x 8 dies x 2 planes, 8 KiB pages, tR 75 us, tPROG 750 us, tBERS "
         "3.8 ms, 333 MB/s channels; 128 blocks/plane; 256 MiB DRAM write cache)",
         R"({"disk": {"present": true, "media": "ssd", "controller": {"link_mbps": 600}, "ssd": {"channels": 8, "dies_per_channel": 8, "planes_per_die": 2,
           "blocks_per_plane": 128, "pages_per_block": 256, "page_bytes": 8192, "read_us": 75, "program_us": 750,
           "erase_us": 3800, "channel_mbps": 333, "cmd_overhead_us": 20, "overprovision": 0.07, "gc_threshold": 0.05,
           "write_buffer_kib": 262144, "buffer_write_us": 20, "buffer_write_us_per_4k": 5.12}}})"},
        {"ssd-nvmevirt",
         "disk: NVMeVirt's Samsung 970 PRO-like MLC (8 ch x 2 LUNs, 32 KiB pages, tR 36 us, tPROG 185 us, "
         "800 MB/s channels, 21.5 us firmware, 1 MiB write buffer with early completion)",
         R"({"disk": {"present": true, "media": "ssd", "controller": {"link_mbps": 600}, "ssd": {"channels": 8, "dies_per_channel": 2, "planes_per_die": 1,
           "blocks_per_plane": 512, "pages_per_block": 128, "page_bytes": 32768, "read_us": 36, "program_us": 185,
           "erase_us": 3500, "channel_mbps": 800, "cmd_overhead_us": 21.5, "overprovision": 0.07, "gc_threshold": 0.05,
           "write_buffer_kib": 1024, "buffer_write_us": 4.0, "buffer_write_us_per_4k": 0.46}}})"},
        {"blockio",
         "workload: 2,000 random 4 KiB reads at queue depth 1 through the block layer (cores idle)",
         R"({"workload": {"source": "blockio", "blockio": {"pattern": "random", "read_fraction": 1.0, "block_kib": 4,
           "queue_depth": 1, "requests": 2000}}})"},
        {"forkcow",
         "scenario: a process maps an anonymous heap and a private file mapping, forks twice and starts a "
         "thread; children write (COW), read the file and share memory; the thread writes the shared heap "
         "(TLB shootdowns); paging on, data checking on",
         R"({"cpu": {"paging": "on"}, "workload": {"source": "scenario", "data_check": true, "scenario": {
           "files": [{"name": "data.bin", "size_kib": 2048}],
           "programs": [
             {"name": "parent", "steps": [
               {"op": "mmap", "mapping": "heap", "size_kib": 8192},
               {"op": "access", "mapping": "heap", "pattern": {"pattern": "sequential", "accesses": 131072, "access_size": 64, "read_fraction": 0}},
               {"op": "mmap", "mapping": "data", "kind": "file", "file": "data.bin", "size_kib": 2048},
               {"op": "access", "mapping": "data", "pattern": {"pattern": "random", "accesses": 20000, "read_fraction": 0.9}},
               {"op": "mmap", "mapping": "shm", "kind": "shared-anon", "size_kib": 256},
               {"op": "fork", "program": "writer"},
               {"op": "fork", "program": "reader"},
               {"op": "thread", "program": "helper"},
               {"op": "access", "mapping": "heap", "pattern": {"pattern": "zipf", "accesses": 100000, "read_fraction": 0.7}},
               {"op": "exit"}]},
             {"name": "helper", "steps": [
               {"op": "access", "mapping": "heap", "pattern": {"pattern": "random", "accesses": 30000, "read_fraction": 0.5}},
               {"op": "exit"}]},
             {"name": "writer", "steps": [
               {"op": "access", "mapping": "heap", "pattern": {"pattern": "random", "accesses": 50000, "read_fraction": 0.3}},
               {"op": "access", "mapping": "shm", "pattern": {"pattern": "sequential", "accesses": 32768, "read_fraction": 0}},
               {"op": "exit"}]},
             {"name": "reader", "steps": [
               {"op": "mmap", "mapping": "buf", "size_kib": 512},
               {"op": "read", "file": "data.bin", "mapping": "buf", "size_kib": 512, "offset_kib": 1024},
               {"op": "access", "mapping": "buf", "pattern": {"pattern": "sequential", "accesses": 65536, "read_fraction": 1}},
               {"op": "access", "mapping": "data", "pattern": {"pattern": "sequential", "accesses": 32768, "access_size": 64, "read_fraction": 1}},
               {"op": "exit"}]}],
           "processes": [{"program": "parent"}]}}})"},
        {"mempressure",
         "scenario: memory pressure without swap on 64 MiB (put it after the platform and disk presets): two "
         "readers stream a 64 MiB file through private mappings twice, a writer dirties a 24 MiB shared file "
         "mapping and reads it back, a logger write()s 8 MiB to a file, a finder stats 16384 names twice "
         "(dentries and inodes in the slab); reclaim frees page cache, unmaps through rmap, writes dirty "
         "pages "
         "with pageout, shrinks the dentry and inode caches; paging on, data checking on",
         R"({"cpu": {"paging": "on", "cores": 2}, "dram": {"size_mib": 64},
           "workload": {"source": "scenario", "data_check": true, "scenario": {
           "files": [{"name": "data", "size_kib": 65536}, {"name": "out", "size_kib": 24576},
                     {"name": "log", "size_kib": 8192}],
           "programs": [
             {"name": "reader", "steps": [
               {"op": "mmap", "mapping": "m", "kind": "file", "file": "data", "size_kib": 65536, "prot": "r"},
               {"op": "access", "mapping": "m", "pattern": {"pattern": "strided", "stride": 4096, "footprint_kib": 65536, "accesses": 16384, "access_size": 8, "read_fraction": 1}},
               {"op": "access", "mapping": "m", "pattern": {"pattern": "strided", "stride": 4096, "footprint_kib": 65536, "accesses": 16384, "access_size": 8, "read_fraction": 1}}]},
             {"name": "writer", "steps": [
               {"op": "mmap", "mapping": "m", "kind": "file", "file": "out", "shared": true, "size_kib": 24576, "prot": "rw"},
               {"op": "access", "mapping": "m", "pattern": {"pattern": "strided", "stride": 4096, "footprint_kib": 24576, "accesses": 6144, "access_size": 8, "read_fraction": 0}},
               {"op": "access", "mapping": "m", "pattern": {"pattern": "strided", "stride": 4096, "footprint_kib": 24576, "accesses": 6144, "access_size": 8, "read_fraction": 1}}]},
             {"name": "logger", "steps": [
               {"op": "mmap", "mapping": "buf", "size_kib": 1024},
               {"op": "access", "mapping": "buf", "pattern": {"pattern": "sequential", "accesses": 16384, "access_size": 64, "read_fraction": 0}},
               {"op": "write", "file": "log", "mapping": "buf", "size_kib": 1024, "offset_kib": 0},
               {"op": "write", "file": "log", "mapping": "buf", "size_kib": 1024, "offset_kib": 1024},
               {"op": "write", "file": "log", "mapping": "buf", "size_kib": 1024, "offset_kib": 2048},
               {"op": "write", "file": "log", "mapping": "buf", "size_kib": 1024, "offset_kib": 3072},
               {"op": "write", "file": "log", "mapping": "buf", "size_kib": 1024, "offset_kib": 4096},
               {"op": "write", "file": "log", "mapping": "buf", "size_kib": 1024, "offset_kib": 5120},
               {"op": "write", "file": "log", "mapping": "buf", "size_kib": 1024, "offset_kib": 6144},
               {"op": "write", "file": "log", "mapping": "buf", "size_kib": 1024, "offset_kib": 7168}]},
             {"name": "finder", "steps": [
               {"op": "lookup", "files": 16384},
               {"op": "lookup", "files": 16384}]}],
           "processes": [{"program": "reader"}, {"program": "reader", "start_us": 2000},
                         {"program": "writer", "start_us": 1000}, {"program": "logger", "start_us": 1500},
                         {"program": "finder", "start_us": 1500}]}}})"},
        {"swap-hdd",
         "disk: the hdd-7200 drive with a swap partition twice the memory size after the scenario's files "
         "(as installers of the era sized it), swapped on at boot",
         R"({"disk": {"present": true, "media": "hdd", "controller": {"link_mbps": 300}},
           "kernel": {"swap": {"areas": [{"kind": "partition"}]}}})"},
        {"swap-ssd",
         "disk: the ssd-nvmevirt drive (970 PRO-like) with a swap partition twice the memory size after the "
         "scenario's files, swapped on at boot",
         R"({"disk": {"present": true, "media": "ssd", "controller": {"link_mbps": 600}, "ssd": {"channels": 8, "dies_per_channel": 2, "planes_per_die": 1,
           "blocks_per_plane": 512, "pages_per_block": 128, "page_bytes": 32768, "read_us": 36, "program_us": 185,
           "erase_us": 3500, "channel_mbps": 800, "cmd_overhead_us": 21.5, "overprovision": 0.07, "gc_threshold": 0.05,
           "write_buffer_kib": 1024, "buffer_write_us": 4.0, "buffer_write_us_per_4k": 0.46}},
           "kernel": {"swap": {"areas": [{"kind": "partition"}]}}})"},
        {"thrash",
         "scenario: thrashing on 48 MiB (put it after swap-hdd or swap-ssd): two workers each dirty a 32 MiB "
         "anonymous heap and sweep it four more times, a parent maps a 16 MiB file and 8 MiB of shared "
         "anonymous "
         "memory, forks a child that copies half its 16 MiB heap on write; about 115 MiB of working sets, "
         "so pages go to swap and come back; paging on, data checking on",
         R"({"cpu": {"paging": "on", "cores": 2}, "dram": {"size_mib": 48},
           "workload": {"source": "scenario", "data_check": true, "scenario": {
           "files": [{"name": "data", "size_kib": 16384}],
           "programs": [
             {"name": "worker", "steps": [
               {"op": "mmap", "mapping": "heap", "size_kib": 32768},
               {"op": "access", "mapping": "heap", "pattern": {"pattern": "strided", "stride": 4096, "footprint_kib": 32768, "accesses": 8192, "access_size": 8, "read_fraction": 0}},
               {"op": "access", "mapping": "heap", "pattern": {"pattern": "random", "footprint_kib": 32768, "accesses": 4000, "access_size": 8, "read_fraction": 0.5}},
               {"op": "access", "mapping": "heap", "pattern": {"pattern": "strided", "stride": 4096, "footprint_kib": 32768, "accesses": 8192, "access_size": 8, "read_fraction": 1}},
               {"op": "access", "mapping": "heap", "pattern": {"pattern": "strided", "stride": 4096, "footprint_kib": 32768, "accesses": 8192, "access_size": 8, "read_fraction": 0}},
               {"op": "access", "mapping": "heap", "pattern": {"pattern": "strided", "stride": 4096, "footprint_kib": 32768, "accesses": 8192, "access_size": 8, "read_fraction": 1}}]},
             {"name": "parent", "steps": [
               {"op": "mmap", "mapping": "data", "kind": "file", "file": "data", "size_kib": 16384, "prot": "r"},
               {"op": "access", "mapping": "data", "pattern": {"pattern": "strided", "stride": 4096, "footprint_kib": 16384, "accesses": 4096, "access_size": 8, "read_fraction": 1}},
               {"op": "mmap", "mapping": "shm", "kind": "shared-anon", "size_kib": 8192},
               {"op": "access", "mapping": "shm", "pattern": {"pattern": "strided", "stride": 4096, "footprint_kib": 8192, "accesses": 2048, "access_size": 8, "read_fraction": 0}},
               {"op": "mmap", "mapping": "heap", "size_kib": 16384},
               {"op": "access", "mapping": "heap", "pattern": {"pattern": "strided", "stride": 4096, "footprint_kib": 16384, "accesses": 4096, "access_size": 8, "read_fraction": 0}},
               {"op": "fork", "program": "child"},
               {"op": "access", "mapping": "heap", "pattern": {"pattern": "random", "footprint_kib": 16384, "accesses": 8000, "access_size": 8, "read_fraction": 0.7}},
               {"op": "access", "mapping": "shm", "pattern": {"pattern": "random", "footprint_kib": 8192, "accesses": 4000, "access_size": 8, "read_fraction": 0.5}},
               {"op": "access", "mapping": "data", "pattern": {"pattern": "random", "footprint_kib": 16384, "accesses": 4000, "access_size": 8, "read_fraction": 1}}]},
             {"name": "child", "steps": [
               {"op": "access", "mapping": "heap", "pattern": {"pattern": "strided", "stride": 8192, "footprint_kib": 16384, "accesses": 2048, "access_size": 8, "read_fraction": 0}},
               {"op": "access", "mapping": "shm", "pattern": {"pattern": "random", "footprint_kib": 8192, "accesses": 4000, "access_size": 8, "read_fraction": 0.5}},
               {"op": "access", "mapping": "heap", "pattern": {"pattern": "strided", "stride": 4096, "footprint_kib": 16384, "accesses": 4096, "access_size": 8, "read_fraction": 1}}]}],
           "processes": [{"program": "parent"}, {"program": "worker", "start_us": 1000}, {"program": "worker", "start_us": 3000}]}}})"},
        {"mission",
         "scenario: the default run (put it after nehalem and swap-hdd): on 48 MiB, two workers sweep 28 MiB "
         "anonymous heaps, a parent reads a 16 MiB file through a mapping, dirties 8 MiB of shared anonymous "
         "memory and a 4 MiB shared file mapping, forks a child that copies half its 12 MiB heap on write: "
         "kswapd, direct reclaim, writeback and swap-in all happen; pgsteal_* counted as 2.6.19+ does",
         R"({"cpu": {"paging": "on", "cores": 2}, "dram": {"size_mib": 48}, "kernel": {"vm": {"count_pgsteal": true}},
           "workload": {"source": "scenario", "data_check": true, "scenario": {
           "files": [{"name": "data", "size_kib": 16384}, {"name": "log", "size_kib": 4096}],
           "programs": [
             {"name": "worker", "steps": [
               {"op": "mmap", "mapping": "heap", "size_kib": 28672},
               {"op": "access", "mapping": "heap", "pattern": {"pattern": "strided", "stride": 4096, "footprint_kib": 28672, "accesses": 7168, "access_size": 8, "read_fraction": 0}},
               {"op": "access", "mapping": "heap", "pattern": {"pattern": "random", "footprint_kib": 28672, "accesses": 4000, "access_size": 8, "read_fraction": 0.5}},
               {"op": "access", "mapping": "heap", "pattern": {"pattern": "strided", "stride": 4096, "footprint_kib": 28672, "accesses": 7168, "access_size": 8, "read_fraction": 1}}]},
             {"name": "parent", "steps": [
               {"op": "mmap", "mapping": "data", "kind": "file", "file": "data", "size_kib": 16384, "prot": "r"},
               {"op": "access", "mapping": "data", "pattern": {"pattern": "strided", "stride": 4096, "footprint_kib": 16384, "accesses": 4096, "access_size": 8, "read_fraction": 1}},
               {"op": "mmap", "mapping": "shm", "kind": "shared-anon", "size_kib": 8192},
               {"op": "access", "mapping": "shm", "pattern": {"pattern": "strided", "stride": 4096, "footprint_kib": 8192, "accesses": 2048, "access_size": 8, "read_fraction": 0}},
               {"op": "mmap", "mapping": "heap", "size_kib": 12288},
               {"op": "access", "mapping": "heap", "pattern": {"pattern": "strided", "stride": 4096, "footprint_kib": 12288, "accesses": 3072, "access_size": 8, "read_fraction": 0}},
               {"op": "fork", "program": "child"},
               {"op": "mmap", "mapping": "log", "kind": "file", "file": "log", "shared": true, "size_kib": 4096, "prot": "rw"},
               {"op": "access", "mapping": "log", "pattern": {"pattern": "strided", "stride": 4096, "footprint_kib": 4096, "accesses": 1024, "access_size": 8, "read_fraction": 0}},
               {"op": "access", "mapping": "heap", "pattern": {"pattern": "random", "footprint_kib": 12288, "accesses": 6000, "access_size": 8, "read_fraction": 0.7}},
               {"op": "access", "mapping": "shm", "pattern": {"pattern": "random", "footprint_kib": 8192, "accesses": 3000, "access_size": 8, "read_fraction": 0.5}},
               {"op": "access", "mapping": "data", "pattern": {"pattern": "random", "footprint_kib": 16384, "accesses": 3000, "access_size": 8, "read_fraction": 1}},
               {"op": "access", "mapping": "log", "pattern": {"pattern": "strided", "stride": 4096, "footprint_kib": 4096, "accesses": 1024, "access_size": 8, "read_fraction": 1}}]},
             {"name": "child", "steps": [
               {"op": "access", "mapping": "heap", "pattern": {"pattern": "strided", "stride": 8192, "footprint_kib": 12288, "accesses": 1536, "access_size": 8, "read_fraction": 0}},
               {"op": "access", "mapping": "shm", "pattern": {"pattern": "random", "footprint_kib": 8192, "accesses": 3000, "access_size": 8, "read_fraction": 0.5}},
               {"op": "access", "mapping": "heap", "pattern": {"pattern": "strided", "stride": 4096, "footprint_kib": 12288, "accesses": 3072, "access_size": 8, "read_fraction": 1}}]}],
           "processes": [{"program": "parent"}, {"program": "worker", "start_us": 1000}, {"program": "worker", "start_us": 3000}]}}})"},
        {"nehalem",
         "Linux-2.6-era Nehalem: paging on; DTLB 64+32 4-way, ITLB 128 4-way, STLB 512 4-way (4 KiB only), 1 "
         "walker; L1D 32K/4, L2 256K/10, LLC 8M/40 cycles, 10 fill buffers",
         R"({"cpu": {"paging": "on"},
           "mmu": {"dtlb": {"4k": {"entries": 64, "ways": 4}, "2m": {"entries": 32, "ways": 4}, "1g": {"entries": 0}, "latency_cycles": 0},
                   "itlb": {"4k": {"entries": 128, "ways": 4}, "2m": {"entries": 7, "ways": 7}, "1g": {"entries": 0}, "latency_cycles": 0},
                   "stlb": {"4k": {"entries": 512, "ways": 4}, "2m": {"entries": 0}, "1g": {"entries": 0}, "latency_cycles": 7},
                   "walkers": 1},
           "caches": {"enabled": true, "line_bytes": 64, "line_fill_buffers": 10, "locked_rmw_cycles": 20,
                      "l1i": {"size_kib": 32, "ways": 4, "latency_cycles": 4},
                      "l1d": {"size_kib": 32, "ways": 8, "latency_cycles": 4},
                      "l2": {"size_kib": 256, "ways": 8, "latency_cycles": 10},
                      "llc": {"size_kib": 8192, "ways": 16, "latency_cycles": 40}}})"},
        {"skylake",
         "Skylake client: paging on; DTLB 64/32/4 4-way, ITLB 128 8-way + 8, STLB 1536 12-way (4K+2M) + 16 "
         "1G, 2 walkers; L1D 32K/4, L2 256K/12, LLC 8M/44 cycles, 12 fill buffers",
         R"({"cpu": {"paging": "on"},
           "mmu": {"dtlb": {"4k": {"entries": 64, "ways": 4}, "2m": {"entries": 32, "ways": 4}, "1g": {"entries": 4, "ways": 4}, "latency_cycles": 0},
                   "itlb": {"4k": {"entries": 128, "ways": 8}, "2m": {"entries": 8, "ways": 8}, "1g": {"entries": 0}, "latency_cycles": 0},
                   "stlb": {"4k": {"entries": 1536, "ways": 12}, "2m": {"entries": 1536, "ways": 12}, "1g": {"entries": 16, "ways": 4}, "latency_cycles": 8},
                   "walkers": 2},
           "caches": {"enabled": true, "line_bytes": 64, "line_fill_buffers": 12, "locked_rmw_cycles": 18,
                      "l1i": {"size_kib": 32, "ways": 8, "latency_cycles": 4},
                      "l1d": {"size_kib": 32, "ways": 8, "latency_cycles": 4},
                      "l2": {"size_kib": 256, "ways": 4, "latency_cycles": 12},
                      "llc": {"size_kib": 8192, "ways": 16, "latency_cycles": 44}}})"},
    };
    // DDR device presets select the DDR model and set organisation and timings; controller policy stays.
    for (const auto& d : dram::ddr_presets()) {
      cfg::Json o;
      o["dram"]["model"] = "ddr";
      o["dram"]["ddr"] = dram::ddr_preset_overlay(d);
      v.push_back({d.name, d.description, o.dump()});
    }
    return v;
  }();
  return p;
}

void ExtraDiskConfig::describe(cfg::Visitor& v) {
  const std::string before = preset;
  v.str("preset", preset,
        "a disk preset (hdd-7200, ssd-mqsim, ssd-nvmevirt) whose disk section applies before this entry's "
        "keys");
  if (preset != before && !preset.empty()) {
    // Disk presets are the ones that set nothing but the `disk` section.
    std::string names;
    for (const auto& p : presets()) {
      const cfg::Json o = cfg::parse_json_text(p.overlay, "preset '" + p.name + "'");
      if (o.size() != 1 || !o.contains("disk")) continue;
      if (p.name == preset) {
        cfg::decode(o["disk"], "preset '" + p.name + "'",
                    [this](cfg::Visitor& dv) { DiskConfig::describe(dv); });
        names.clear();
        break;
      }
      names += (names.empty() ? "" : ", ") + p.name;
    }
    if (!names.empty())
      v.reject("preset", fmt::format("no disk preset named '{}' (expected one of: {})", preset, names));
  }
  DiskConfig::describe(v);
}

void ConfigResolver::apply_json(const cfg::Json& overlay, const std::string& source) {
  cfg::decode(overlay, source, [&](cfg::Visitor& v) { m_cfg.describe(v); });
}

void ConfigResolver::apply_preset(const std::string& name) {
  for (const auto& p : presets()) {
    if (p.name == name) {
      apply_json(cfg::parse_json_text(p.overlay, "preset '" + name + "'"), "preset '" + name + "'");
      m_presets.push_back(name);
      return;
    }
  }
  std::string names;
  for (const auto& p : presets()) names += (names.empty() ? "" : ", ") + p.name;
  throw cfg::ConfigError(fmt::format("--preset {}: no such preset (expected one of: {})", name, names));
}

void ConfigResolver::apply_file(const std::string& path) {
  apply_json(cfg::load_json_file(path), path);
}

void ConfigResolver::apply_set(const std::string& assignment) {
  apply_json(cfg::overlay_from_assignment(assignment), "--set " + assignment);
}

const PlatformConfig& ConfigResolver::finish() {
  if (m_cfg.dram.model == "ddr") {
    m_cfg.dram.ddr.validate("dram.ddr");
    const uint64_t cap = m_cfg.dram.ddr.org.capacity_bytes();
    if ((m_cfg.dram.size_mib << 20) > cap)
      throw cfg::ConfigError(fmt::format(
          "key 'dram.size_mib': {} MiB exceeds the {} MiB the DDR organisation holds (dram.ddr.org)",
          m_cfg.dram.size_mib, cap >> 20));
  }
  if (!m_cfg.extra_disks.empty() && !m_cfg.disk.present)
    throw cfg::ConfigError(
        "key 'extra_disks': disk 0 is absent (disk.present is false); extra disks come after it");
  if (1 + m_cfg.extra_disks.size() > hw::kMaxDisks)
    throw cfg::ConfigError(fmt::format("key 'extra_disks': {} disks, the platform has room for {}",
                                       1 + m_cfg.extra_disks.size(), hw::kMaxDisks));
  for (size_t i = 0; i < m_cfg.extra_disks.size(); ++i)
    if (!m_cfg.extra_disks[i].present)
      throw cfg::ConfigError(fmt::format(
          "key 'extra_disks[{}].present': an extra disk is always present (remove the entry instead)", i));
  const auto& w = m_cfg.workload;
  for (size_t i = 0; i < w.scenario.files.size(); ++i)
    if (w.source == "scenario" && w.scenario.files[i].disk >= m_cfg.num_disks())
      throw cfg::ConfigError(fmt::format(
          "key 'workload.scenario.files[{}].disk': no disk {} ({})", i, w.scenario.files[i].disk,
          m_cfg.num_disks()
              ? fmt::format("expected 0..{}: 0 = disk, i = extra_disks[i-1]", m_cfg.num_disks() - 1)
              : std::string("disk.present is false")));
  if (w.source == "trace" && w.trace.path.empty())
    throw cfg::ConfigError(
        "workload.source is \"trace\" but workload.trace.path is empty (use --trace FILE)");
  if (w.source == "synthetic" || (w.source == "blockio" && w.blockio.with_cores)) {
    // Each core runs the pattern over its own 2 MiB-aligned window; all windows must fit in memory.
    uint64_t fp = w.synthetic.footprint_kib;
    for (const auto& ph : w.phases) fp = std::max(fp, ph.footprint_kib);
    const uint64_t window = (fp * 1024 + (2ull << 20) - 1) & ~((2ull << 20) - 1);
    uint64_t need = window * m_cfg.cpu.cores;
    if (w.source == "blockio")  // the driver's descriptors and the I/O buffers sit at the top of DRAM
      need += (m_cfg.kernel.block.dma_region_kib << 10) + w.blockio.queue_depth * (w.blockio.block_kib << 10);
    if (need > m_cfg.dram.size_mib << 20)
      throw cfg::ConfigError(fmt::format(
          "workload: {} cores x {} KiB footprint need {} MiB of physical memory but dram.size_mib is {}",
          m_cfg.cpu.cores, fp, (need + (1 << 20) - 1) >> 20, m_cfg.dram.size_mib));
    auto check = [](const tb::PatternConfig& p, const std::string& where) {
      if (p.access_size & (p.access_size - 1))
        throw cfg::ConfigError(
            fmt::format("key '{}.access_size': expected a power of two, got {}", where, p.access_size));
      if (p.footprint_kib * 1024 < p.access_size)
        throw cfg::ConfigError(fmt::format("key '{}.footprint_kib': smaller than one access", where));
    };
    if (w.phases.empty()) check(w.synthetic, "workload.synthetic");
    for (size_t i = 0; i < w.phases.size(); ++i) check(w.phases[i], fmt::format("workload.phases[{}]", i));
  }
  if (w.source == "blockio") {
    if (!m_cfg.disk.present)
      throw cfg::ConfigError("workload.source is \"blockio\" but disk.present is false");
    const auto& b = w.blockio;
    if (b.block_kib % 4)
      throw cfg::ConfigError(
          fmt::format("key 'workload.blockio.block_kib': expected a multiple of 4, got {}", b.block_kib));
    if (b.block_kib * 2 > m_cfg.kernel.block.max_sectors)
      throw cfg::ConfigError(fmt::format(
          "key 'workload.blockio.block_kib': {} KiB exceeds kernel.block.max_sectors ({} sectors)",
          b.block_kib, m_cfg.kernel.block.max_sectors));
    const uint64_t need = (m_cfg.kernel.block.dma_region_kib << 10) + b.queue_depth * (b.block_kib << 10);
    if (need * 2 > m_cfg.dram.size_mib << 20)
      throw cfg::ConfigError(
          fmt::format("workload.blockio: {} issuers x {} KiB buffers plus the driver's {} KiB "
                      "need more than half of dram.size_mib ({} MiB)",
                      b.queue_depth, b.block_kib, m_cfg.kernel.block.dma_region_kib, m_cfg.dram.size_mib));
  }
  return m_cfg;
}

}  // namespace pc::soc
