// The modeled Linux 2.6 kernel as the cores see it: boot, tasks and round-robin scheduling, system
// calls, the page-fault entry, files, and the vmstat counters (Linux 2.6.18 kernel/sched.c, fork.c,
// exit.c, arch/x86_64/mm/fault.c). It implements the trap interface of platform/hwdefs.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <systemc>
#include <vector>

#include "kernel_model/hal/kernel_bus.h"
#include "kernel_model/kernel_config.h"
#include "kernel_model/mm/mm.h"
#include "platform/core/clock.h"
#include "platform/core/stats.h"
#include "platform/hwdefs/trap.h"

namespace pc::kernel {

struct Task {
  enum class State { New, Runnable, Running, Blocked, Dead };
  uint32_t pid = 0;
  uint32_t ppid = 0;
  std::string name;
  State state = State::New;
  std::unique_ptr<MmStruct> mm;
  std::unique_ptr<hw::ExecContext> ctx;
  sc_core::sc_time start_time;
  sc_core::sc_time ready_since;
  std::string exit_reason;  // "exit", "SIGSEGV at 0x...", "out of memory", ...
  // Per-task fault counters (the task's share of the vmstat ones).
  uint64_t min_flt = 0, maj_flt = 0, cow_faults = 0, syscalls = 0, switches = 0;
  uint64_t end_cycle = 0;
  sc_core::sc_time blocked_since;
  bool fault_retry = false;  // its last fault slept on I/O: the re-executed fault is the same fault
};

class Kernel : public sc_core::sc_module, public hw::KernelInterface, private ReclaimHooks {
 public:
  // `managed_bytes`: the physical memory from address 0 the page allocator manages (the rest belongs
  // to drivers). Stats go into `kernel_stats` (the platform's stats.kernel group).
  Kernel(sc_core::sc_module_name name, const KernelConfig& cfg, uint64_t managed_bytes, unsigned cpus,
         const ClockDomain& cpu_clk, KernelBus& bus, ArchOps& arch, stats::Group& kernel_stats);
  ~Kernel() override;

  // A process created at `start` running `ctx` (exec: fresh mm with a stack; the stream does the rest).
  void spawn(const std::string& name, std::unique_ptr<hw::ExecContext> ctx, sc_core::sc_time start);
  // A file the processes can mmap or read, by the id returned (Mmap arg 3, Read arg 0).
  uint64_t register_file(const std::string& name, std::unique_ptr<FileBacking> backing);

  // hw::KernelInterface
  hw::ExecContext* pick_next(unsigned core) override;
  hw::TrapResult syscall(unsigned core, hw::ExecContext& ctx, const hw::Op& op) override;
  hw::TrapResult page_fault(unsigned core, hw::ExecContext& ctx, uint64_t cr2, uint32_t error_code) override;
  void context_ended(unsigned core, hw::ExecContext& ctx) override;
  hw::TrapResult timer_interrupt(unsigned core, hw::ExecContext& ctx) override;
  uint64_t timeslice_cycles() const override { return m_timeslice_cycles; }

  MemoryManager& mm() { return *m_mm; }
  PageAllocator& allocator() { return *m_alloc; }
  Lru& lru() { return *m_lru; }
  const std::vector<std::unique_ptr<Task>>& tasks() const { return m_tasks; }
  bool all_exited() const;
  // Frames: free (buddy + per-CPU) + in use (any reference) must equal present.
  uint64_t frames_in_use() const;

 private:
  SC_HAS_PROCESS(Kernel);
  void init_thread();  // boot, then start each spawned task at its time
  void boot(KCtx& k);
  bool exec(Task& t, KCtx& k);
  void do_exit(Task& t, const std::string& reason, KCtx& k);
  void make_runnable(Task& t);
  Task* task_of(const hw::ExecContext& ctx) const;
  Task* current(unsigned core) const { return m_current.at(core); }
  uint64_t to_cycles(const sc_core::sc_time& t) const { return m_clk.to_cycles_ceil(t); }
  hw::TrapResult finish(KCtx& k, hw::TrapAction action) const { return {action, to_cycles(k.delay)}; }
  // pread/pwrite through the page cache (do_generic_mapping_read / generic_file_buffered_write): the
  // user buffer is faulted in as get_user_pages would, bytes move through the kernel bus.
  int64_t sys_rw(Task& t, bool write, uint64_t file_id, uint64_t offset, uint64_t len, uint64_t user_buf, KCtx& k);
  void add_task_stats(Task& t);
  // A task sleeps on a locked page (I/O in flight) and gives up its core.
  hw::TrapResult block_on_page(Task& t, Page* page, KCtx& k);
  void on_page_unlocked(Page* page, uint64_t completed_fs);
  void wake_due();  // SC_METHOD: moves tasks whose I/O completed by now to the run queue

  // ReclaimHooks: page reclaim arrives with the next issue; until then nothing can be freed, and the
  // allocating task is the one that ends (out_of_memory returns false).
  void wakeup_kswapd(Zone&, unsigned) override { ++m_kswapd_wakeups; }
  uint64_t try_to_free_pages(const std::vector<Zone*>&, gfp_t) override { return 0; }
  bool out_of_memory(const std::vector<Zone*>&, gfp_t, unsigned) override { return false; }
  void congestion_wait() override {}

  // One lock around every kernel entry (the model's big kernel lock: mmap_sem, page_table_lock and the
  // zone locks in one). Kernel paths wait inside memory transactions; without it two cores' faults could
  // interleave inside one page-table update.
  struct KernelLock {
    explicit KernelLock(sc_core::sc_mutex& m) : m_m(m) { m_m.lock(); }
    ~KernelLock() { m_m.unlock(); }
    sc_core::sc_mutex& m_m;
  };
  sc_core::sc_mutex m_lock;

  KernelConfig m_cfg;
  ClockDomain m_clk;
  KernelBus& m_bus;
  unsigned m_cpus;
  std::unique_ptr<MemMap> m_map;
  std::unique_ptr<PageAllocator> m_alloc;
  std::unique_ptr<Lru> m_lru;
  std::unique_ptr<MemoryManager> m_mm;
  bool m_booted = false;
  uint64_t m_timeslice_cycles;

  std::vector<std::unique_ptr<Task>> m_tasks;
  std::vector<std::unique_ptr<File>> m_files;
  std::deque<Task*> m_runqueue;
  std::vector<Task*> m_current;
  sc_core::sc_event m_wakeup;  // a task became runnable, or all tasks are gone
  std::map<Page*, std::vector<Task*>> m_page_waiters;
  std::vector<std::pair<uint64_t, Task*>> m_pending_wakes;  // (completion time in fs, task)
  sc_core::sc_event_queue m_wake_queue;
  uint32_t m_next_pid = 1;
  uint64_t m_kswapd_wakeups = 0;

  stats::Group& m_stats;
  stats::Group m_fault_lat;
  stats::Histogram m_lat_minor, m_lat_cow, m_lat_major;  // entry to return, memory waits included
  stats::Group m_vmstat;
  stats::Group m_task_stats;
  std::vector<std::unique_ptr<stats::Group>> m_task_groups;
  std::vector<std::unique_ptr<stats::Stat>> m_stat_objs;  // last: destroyed before the groups they sit in
};

}  // namespace pc::kernel
