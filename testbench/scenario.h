// Scenario processes: a program (a list of steps) runs as the operation stream of a task on the modeled
// kernel: mmap/munmap/mprotect/read/fork/exit become system calls, access steps become memory
// operations at virtual addresses, and data checking follows private, shared and file-backed memory
// through fork and copy-on-write.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "platform/hwdefs/exec.h"
#include "testbench/data_checker.h"
#include "testbench/workload/op_stream.h"
#include "testbench/workload/workload_config.h"

namespace pc::tb {

// The content of scenario file `file` at byte `offset` before anybody writes it (the disk image).
uint8_t scenario_file_byte(uint32_t file, uint64_t offset);

// State shared by every process of a scenario.
struct ScenarioShared {
  const ScenarioConfig* cfg = nullptr;
  bool data_check = false;
  CheckTotals* totals = nullptr;
  std::vector<uint64_t> file_ids;  // the kernel's id of each scenario file
  // What each file holds now (MAP_SHARED writes land in the page cache), for data checking.
  std::vector<std::shared_ptr<mem::BackingStore>> file_shadows;
  uint32_t next_id = 1;
  std::vector<std::string> errors;  // steps that failed (a system call returned an error)
  int program_index(const std::string& name) const;
  int file_index(const std::string& name) const;
};

class ProgramContext : public hw::ExecContext {
 public:
  ProgramContext(ScenarioShared& shared, size_t program, uint64_t seed);

  const hw::Op* current() override;
  void retire(const uint8_t* rdata, hw::AccessStatus status) override;
  uint32_t id() const override { return m_id; }
  std::unique_ptr<hw::ExecContext> fork_child(uint64_t program, bool share_vm) override;

 private:
  struct Mapping {
    uint64_t addr = 0, len = 0;
    int file = -1;          // scenario file index, or -1
    uint64_t file_off = 0;  // bytes
    // Shared memory (MAP_SHARED file or shared anonymous) is checked against a shadow every process
    // mapping it shares, keyed by offset; private memory against this process's own shadow, by address.
    std::shared_ptr<mem::BackingStore> shared_shadow;
    uint64_t shared_base = 0;  // key of addr in shared_shadow
  };
  enum class Pending { None, Memory, Mmap, Munmap, Read, Write, Lookup, Other };

  bool begin_step();  // prepares the op(s) of the current step; false when the program has ended
  void fail(const std::string& what);
  const Mapping* mapping_of(uint64_t va) const;
  void syscall(hw::Syscall nr, std::initializer_list<uint64_t> args, Pending kind);
  void prepare_trace(const std::string& path);

  ScenarioShared& m_sh;
  size_t m_prog;
  uint64_t m_seed;
  uint32_t m_id;
  size_t m_step = 0;
  uint64_t m_lookup = 0;  // lookup: names done in the current step
  std::map<std::string, Mapping> m_maps;
  std::unique_ptr<OpStream> m_stream;                         // the current access or trace step
  std::vector<std::pair<uint64_t, uint64_t>> m_trace_ranges;  // trace: ranges still to mmap
  std::unique_ptr<DataChecker> m_checker;
  std::shared_ptr<mem::BackingStore> m_shadow;  // private memory's bytes (threads share it)
  hw::Op m_op;
  Pending m_pending = Pending::None;
  bool m_valid = false, m_ended = false;
  uint8_t m_wbuf[hw::kMaxAccessBytes];
  uint32_t m_children = 0;
};

}  // namespace pc::tb
