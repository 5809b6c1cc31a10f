// Workload configuration: synthetic access patterns (optionally a sequence of phases) or a lackey trace.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "platform/core/config.h"
#include "testbench/workload/blockio_config.h"

namespace pc::tb {

enum class Pattern { Sequential, Strided, Random, Zipf, HotCold };

struct PatternConfig {
  Pattern pattern = Pattern::Zipf;
  uint64_t footprint_kib = 65536;    // KiB of address space the pattern touches
  uint64_t accesses = 500000;        // memory operations to issue
  double read_fraction = 0.7;        // probability that an access is a read (else a write)
  uint64_t access_size = 8;          // bytes per access (1..64, a power of two); accesses are size-aligned
  uint64_t stride = 4096;            // bytes between consecutive accesses (strided)
  double zipf_s = 0.99;              // Zipf exponent (zipf)
  double hot_fraction = 0.1;         // share of the footprint that is hot (hotcold)
  double hot_access_fraction = 0.9;  // share of accesses that go to the hot set (hotcold)
  uint64_t compute_cycles = 0;       // compute cycles between two accesses

  void describe(cfg::Visitor& v) {
    v.choice("pattern", pattern,
             {{"sequential", Pattern::Sequential},
              {"strided", Pattern::Strided},
              {"random", Pattern::Random},
              {"zipf", Pattern::Zipf},
              {"hotcold", Pattern::HotCold}},
             "address pattern");
    v.u64("footprint_kib", footprint_kib, "KiB", "address range the pattern touches", 4, 1ull << 30);
    v.u64("accesses", accesses, "ops", "memory operations issued", 0, 1ull << 40);
    v.f64("read_fraction", read_fraction, "", "probability that an access is a read", 0, 1);
    v.u64("access_size", access_size, "bytes", "bytes per access (power of two)", 1, 64);
    v.u64("stride", stride, "bytes", "distance between consecutive accesses (strided)", 1, 1ull << 40);
    v.f64("zipf_s", zipf_s, "", "Zipf exponent (zipf)", 0.01, 10);
    v.f64("hot_fraction", hot_fraction, "", "share of the footprint that is hot (hotcold)", 0.0001, 1);
    v.f64("hot_access_fraction", hot_access_fraction, "", "share of accesses to the hot set (hotcold)", 0, 1);
    v.u64("compute_cycles", compute_cycles, "cycles", "compute cycles between accesses", 0, 1000000);
  }
};

struct TraceConfig {
  std::string path;      // lackey output (plain, .gz or .xz); empty = no trace
  bool remap = true;     // with paging off: map each touched 4 KiB page to a fresh frame on first touch
  uint64_t max_ops = 0;  // stop after this many memory operations (0 = whole trace)

  void describe(cfg::Visitor& v) {
    v.str("path", path, "valgrind --tool=lackey --trace-mem=yes output (plain, .gz or .xz)");
    v.boolean("remap", remap, "paging off: place touched pages in physical memory in first-touch order");
    v.u64("max_ops", max_ops, "ops", "stop after this many memory operations (0 = all)");
  }
};

// One step of a scenario program. Mappings are named; later steps (and forked children) refer to them.
struct StepConfig {
  std::string op =
      "access";  // mmap | munmap | mprotect | access | compute | fork | read | write | yield | exit | trace
  std::string mapping;  // mmap: the name it defines; munmap/mprotect/access/read/write/msync: the one it uses
  uint64_t size_kib =
      1024;  // mmap: length; read/write: bytes to move; msync: length (clipped to the mapping)
  std::string kind = "anon";   // mmap: anon | shared-anon | file
  std::string file;            // mmap kind=file, read, write, fsync, lookup: the scenario file's name
  bool shared = false;         // mmap kind=file: MAP_SHARED (else MAP_PRIVATE)
  std::string prot = "rw";     // mmap/mprotect: r | rw | rx | rwx | none
  uint64_t offset_kib = 0;     // mmap kind=file, read, write: file offset; msync: offset in the mapping
  PatternConfig pattern;       // access: the pattern over the mapping (footprint capped at its size)
  uint64_t cycles = 0;         // compute
  std::string program;         // fork, thread: the program the child runs (it inherits the mappings)
  std::string trace;           // trace: a lackey file; its touched ranges become anonymous mappings
  uint64_t area = 0;           // swapon, swapoff: the index in kernel.swap.areas
  std::string flags = "sync";  // msync: sync (MS_SYNC) | async (MS_ASYNC)
  uint64_t files = 1;          // lookup: how many names
  uint64_t first = 0;          // lookup: the first name's number (names first .. first + files - 1)
  bool open = false;           // lookup: open each file and keep it open until exit (else stat it)

  void describe(cfg::Visitor& v) {
    v.str("op", op, "what the step does",
          {"mmap", "munmap", "mprotect", "access", "compute", "fork", "thread", "read", "write", "yield",
           "exit", "trace", "swapon", "swapoff", "msync", "fsync", "lookup"});
    v.str("mapping", mapping, "mapping name (defined by mmap, used by the others)");
    v.u64("size_kib", size_kib, "KiB",
          "mmap length, read/write size, or msync length (clipped to the mapping)", 1, 1ull << 32);
    v.str("kind", kind, "mmap: what is mapped", {"anon", "shared-anon", "file"});
    v.str("file", file,
          "scenario file name (mmap kind=file, read, write, fsync; lookup: that file's name instead of "
          "numbered names, its inode's pages being the file's page cache)");
    v.boolean("shared", shared, "mmap kind=file: MAP_SHARED instead of MAP_PRIVATE");
    v.str("prot", prot, "protection", {"r", "rw", "rx", "rwx", "none"});
    v.u64("offset_kib", offset_kib, "KiB",
          "file offset (4 KiB multiple); msync: the range's offset in the mapping (4 KiB multiple)", 0,
          1ull << 32);
    v.section("pattern", pattern, "access: the pattern over the mapping (footprint capped at its size)");
    v.u64("cycles", cycles, "cycles", "compute: cycles of work", 0, 1ull << 40);
    v.str("program", program,
          "fork: the program the child process runs (a copy of the address space); thread: the program a new "
          "thread "
          "runs in this address space (clone with CLONE_VM)");
    v.str("trace", trace, "trace: lackey file replayed in the process; touched ranges are mmapped first");
    v.u64("area", area, "", "swapon, swapoff: the swap area (index in kernel.swap.areas)", 0, 31);
    v.str("flags", flags,
          "msync: sync (MS_SYNC: write the file's dirty pages and wait) or async (MS_ASYNC: only mark the "
          "mapping's dirty pages dirty, as 2.6.18 does)",
          {"sync", "async"});
    v.u64("files", files, "", "lookup: how many names to look up, one open or stat system call each", 1,
          1ull << 24);
    v.u64("first", first, "", "lookup: the number of the first name (the names live in one directory)", 0,
          1ull << 40);
    v.boolean("open", open,
              "lookup: open the files and keep them open until the process exits (their dentries and "
              "inodes cannot be reclaimed meanwhile); off: stat them");
  }
};

struct ProgramConfig {
  std::string name;
  std::vector<StepConfig> steps;

  void describe(cfg::Visitor& v) {
    v.str("name", name, "program name (processes and fork steps refer to it)");
    v.list("steps", steps, "the program's steps, in order");
  }
};

struct ProcessConfig {
  std::string program;    // which program it runs
  uint64_t start_us = 0;  // when it starts
  int64_t nice = 0;       // its nice value (the time slice and priority follow; children inherit it)
  int64_t oom_adj = 0;    // /proc/<pid>/oom_adj: the OOM killer's bias (children inherit it)

  void describe(cfg::Visitor& v) {
    v.str("program", program, "program the process runs");
    v.u64("start_us", start_us, "us", "start time", 0, 1ull << 40);
    v.i64("nice", nice, "", "nice value: -20 (a 800 ms slice) .. 19 (one jiffy); 0 gets 100 ms", -20, 19);
    v.i64("oom_adj", oom_adj, "",
          "/proc/<pid>/oom_adj: badness is shifted left by a positive value, right by a negative one; -17 "
          "(OOM_DISABLE) exempts the process from the OOM killer",
          -17, 15);
  }
};

struct FileConfig {
  std::string name;
  uint64_t size_kib = 1024;
  uint64_t disk = 0;  // the disk the file lives on (0 = disk, i = extra_disks[i-1])

  void describe(cfg::Visitor& v) {
    v.str("name", name, "file name");
    v.u64("size_kib", size_kib, "KiB", "file size (4 KiB multiple); content is deterministic per file", 4,
          1ull << 32);
    v.u64("disk", disk, "index", "the disk holding the file: 0 = disk, i = extra_disks[i-1]", 0, 255);
  }
};

struct ScenarioConfig {
  std::vector<FileConfig> files;
  std::vector<ProgramConfig> programs;
  std::vector<ProcessConfig> processes;

  void describe(cfg::Visitor& v) {
    v.list("files", files, "files on the disk the processes can map or read");
    v.list("programs", programs, "programs (named step lists)");
    v.list("processes", processes, "processes started by the kernel");
  }
};

struct WorkloadConfig {
  std::string source = "synthetic";   // synthetic | trace | scenario | blockio
  bool data_check = false;            // write deterministic data, verify every read
  PatternConfig synthetic;            // the pattern when `phases` is empty
  std::vector<PatternConfig> phases;  // patterns run one after another (replaces `synthetic`)
  TraceConfig trace;
  ScenarioConfig scenario;
  BlockIoConfig blockio;  // block I/O through the kernel block layer (source = blockio)

  void describe(cfg::Visitor& v) {
    v.str("source", source,
          "what runs (scenario: processes on the modeled kernel, paging on; blockio: kernel threads issue "
          "disk I/O)",
          {"synthetic", "trace", "scenario", "blockio"});
    v.boolean("data_check", data_check, "write deterministic values and verify every read");
    v.section("synthetic", synthetic,
              "synthetic access pattern (each core runs its own over a private range)");
    v.list("phases", phases, "sequence of patterns run one after another; replaces 'synthetic' when set");
    v.section("trace", trace, "lackey trace replay (core 0 runs it)");
    v.section("scenario", scenario, "processes, programs and files run on the modeled kernel");
    v.section("blockio", blockio, "block-I/O workload through the block layer and disk driver");
  }
};

}  // namespace pc::tb
