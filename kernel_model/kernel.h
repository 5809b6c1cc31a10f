// The modeled Linux 2.6.18 kernel on the simulated cores (ARCHITECTURE.md §5): boot, tasks with a SystemC
// thread each (their kernel stacks) that drive the cores through hw::Cpu, the trap entries (page faults,
// system calls: arch/x86_64/mm/fault.c, kernel/fork.c, exit.c), the kernel threads (kswapd0, pdflush,
// kblockd/N, events/N), device interrupts on a core, the block layer it owns, and its statistics.
#pragma once

#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <systemc>
#include <unordered_map>
#include <vector>

#include "kernel_model/block/ahci.h"
#include "kernel_model/fs/dcache.h"
#include "kernel_model/hal/kernel_bus.h"
#include "kernel_model/kernel/locks.h"
#include "kernel_model/kernel/sched.h"
#include "kernel_model/kernel/task.h"
#include "kernel_model/kernel/wait.h"
#include "kernel_model/kernel_config.h"
#include "kernel_model/mm/mm.h"
#include "kernel_model/mm/oom_kill.h"
#include "kernel_model/mm/page_writeback.h"
#include "kernel_model/mm/slab.h"
#include "kernel_model/mm/vmscan.h"
#include "platform/core/clock.h"
#include "platform/core/config.h"
#include "platform/core/stats.h"
#include "platform/core/timeline.h"
#include "platform/hwdefs/trap.h"

namespace pc::kernel {

// Where a disk is: its controller's register window and the memory the driver keeps its descriptors in.
struct DiskAttach {
  uint64_t mmio_base = 0;
  uint64_t dma_base = 0, dma_bytes = 0;
};

// A swap area the platform laid out on a disk (kernel.swap.areas[i]): where its slots are.
struct SwapAreaSetup {
  std::string name;  // names the area in messages ("kernel.swap.areas[0]")
  unsigned disk = 0;
  bool is_file = false;
  int prio = -1;                    // -1: assigned by swapon
  uint64_t pages = 0;               // the area's size in pages
  std::vector<SwapExtent> extents;  // its pages on the disk (PAGE_SIZE blocks)
  bool active = true;               // swapon at boot
};

constexpr unsigned kMinPdflushThreads = 2, kMaxPdflushThreads = 8;  // mm/pdflush.c

// A per-CPU workqueue thread (kblockd/N, events/N): work items run in the thread, on its CPU.
struct WorkQueue {
  Task* thread = nullptr;
  std::deque<std::function<void(KCtx&)>> work;
  WaitQueue wq;
};

class Kernel : public sc_core::sc_module, private ReclaimHooks, private ReclaimEnv {
 public:
  // `managed_bytes`: the physical memory from address 0 the page allocator manages (the rest belongs to
  // the drivers). `cpus`: the cores the kernel drives. `disks`: the disk controllers, disk 0 first (the
  // kernel builds the block layer and a driver per disk, sda, sdb, ...; the SoC binds each disk(i)->irq_in).
  // Stats go into `kernel_stats` (the platform's stats.kernel group): disk 0's driver in "block", disk
  // i's in "block<i>".
  Kernel(sc_core::sc_module_name name, const KernelConfig& cfg, uint64_t managed_bytes,
         std::vector<hw::Cpu*> cpus, const ClockDomain& cpu_clk, KernelBus& bus, ArchOps& arch,
         stats::Group& kernel_stats, std::vector<DiskAttach> disks = {});
  ~Kernel() override;

  // A process created at `start` running `ctx` (execve: a fresh mm with a stack; the stream does the rest).
  // `oom_adj`: the task's oomkilladj (-17 = OOM_DISABLE .. 15).
  void spawn(const std::string& name, std::unique_ptr<hw::ExecContext> ctx, sc_core::sc_time start,
             int nice = 0, int oom_adj = 0);
  // A file the processes can mmap or read, by the id returned (Mmap arg 4, Read/Write arg 0).
  uint64_t register_file(const std::string& name, std::unique_ptr<FileBacking> backing);
  // A swap area (before the run); swapon at boot if active, by a scenario step otherwise.
  void add_swap_area(SwapAreaSetup a) { m_swap_setup.push_back(std::move(a)); }
  SwapAreas& swap_areas() { return m_swap_areas; }
  // sys_swapon / sys_swapoff of area `i` of the config (0 or a negative errno; errors are logged).
  int64_t swapon_area(size_t i, KCtx& k);
  int64_t swapoff_area(size_t i, KCtx& k);
  // The swap type area `i` has while it is on (-1: off).
  int area_type(size_t i) const { return i < m_area_type.size() ? m_area_type[i] : -1; }
  // Runs `fn` as a kernel thread started now (tests of kernel paths).
  Task& kthread_run(const std::string& name, std::function<void(KCtx&)> fn, int bound_cpu = -1, int nice = 0);

  BlockLayer* block_layer() { return m_blk.get(); }
  // Disk i's driver (nullptr if there is no such disk).
  AhciDisk* disk(size_t i = 0) { return i < m_ahci.size() ? m_ahci[i].get() : nullptr; }
  size_t num_disks() const { return m_ahci.size(); }
  MemoryManager& mm() { return *m_mm; }
  Vmscan& vmscan() { return *m_vmscan; }
  SlabAllocator& slab() { return *m_slab; }
  Vfs& vfs() { return *m_vfs; }
  PageWriteback& writeback() { return *m_wb; }
  const std::vector<OomKill>& oom_kills() const { return m_oom_kills; }
  PageAllocator& allocator() { return *m_alloc; }
  Lru& lru() { return *m_lru; }
  Scheduler& sched() { return *m_sched; }
  LockClasses& locks() { return *m_locks; }
  KTimers& timers() { return m_timers; }
  const std::vector<std::unique_ptr<Task>>& tasks() const { return m_tasks; }
  // Every user process has exited (kernel threads live on).
  bool all_exited() const;
  // The first error a task's kernel path raised (it stops the run), or null.
  std::exception_ptr error() const { return m_error; }
  sc_core::sc_time last_exit() const { return m_last_exit; }
  // Frames: free (buddy + per-CPU) + in use (any reference) must equal present.
  uint64_t frames_in_use() const;
  // The state a time-series sample records (--sample-us): /proc/vmstat, each zone's free pages against
  // its watermarks and LRU sizes, each task's cycle buckets so far.
  cfg::Json snapshot() const;
  // The same state as timeline counter tracks at `at`.
  void timeline_counters(timeline::Writer& tl, sc_core::sc_time at) const;
  // At the end of the run: the intervals still open (a sleeping kernel thread's, a core's current task).
  void timeline_finish(timeline::Writer& tl) const;
  // The kernel's own work queues: kblockd/N and events/N.
  void queue_work(WorkQueue& q, std::function<void(KCtx&)> fn, const sc_core::sc_time& at);
  WorkQueue& kblockd(unsigned cpu) { return *m_kblockd.at(cpu); }
  WorkQueue& events(unsigned cpu) { return *m_events.at(cpu); }
  // pdflush_operation: hands `fn` to the idle pdflush thread that slept last; -1 if none is idle.
  int pdflush_operation(std::function<void(KCtx&)> fn);
  unsigned nr_pdflush_threads() const { return m_nr_pdflush_threads; }

 private:
  SC_HAS_PROCESS(Kernel);
  void boot_thread();
  void start_spawns();  // init starts the scenario's processes
  Task& new_task(const std::string& comm, std::unique_ptr<hw::ExecContext> ctx,
                 std::function<void(KCtx&)> kfn);
  void start_thread(Task& t);
  void task_main(Task& t);
  void user_main(Task& t, KCtx& k);
  bool exec(Task& t, KCtx& k);
  // The trap entries, in the task's thread on its core.
  void do_page_fault(Task& t, const hw::Trap& tr, KCtx& k);
  void do_syscall(Task& t, const hw::Op& op, KCtx& k);
  int64_t do_fork(Task& t, uint64_t program, bool share_vm, KCtx& k);
  void do_exit(Task& t, const std::string& reason, KCtx& k);
  void kthread_exit(Task& t, KCtx& k);
  // sys_msync (mm/msync.c) and the system call it ends in for MS_SYNC (kernel_sync.cpp).
  int64_t sys_msync(Task& t, uint64_t start, uint64_t len, uint32_t flags, KCtx& k);
  void worker_main(WorkQueue& q, KCtx& k);
  // mm/pdflush.c: a pool of 2 (MIN_PDFLUSH_THREADS) to 8 (MAX_PDFLUSH_THREADS) threads. One more starts
  // when no thread has been idle for a second; a thread ends when the pool is above the minimum and the
  // longest sleeper has slept for a second.
  struct Pdflush {
    Task* thread = nullptr;
    std::function<void(KCtx&)> fn;  // my_work->fn: the work handed to it, or empty while idle
    WaitQueue wq;
    uint64_t when_i_went_to_sleep = 0;  // jiffies
  };
  void start_one_pdflush_thread();
  void pdflush_main(Pdflush& me, KCtx& k);
  uint64_t jiffies() const;
  void cache_reap(unsigned cpu, KCtx& k);
  void check_hung_uninterruptible_tasks();
  void add_task_stats(Task& t);
  void irq_done(unsigned cpu, uint64_t fs);

  // ReclaimHooks: kswapd, direct reclaim (mm/vmscan.cpp), the OOM killer.
  void wakeup_kswapd(Zone& zone, unsigned order, KCtx& k) override;
  uint64_t try_to_free_pages(const std::vector<Zone*>& zonelist, gfp_t gfp, KCtx& k) override;
  bool out_of_memory(const std::vector<Zone*>& zonelist, gfp_t gfp, unsigned order, KCtx& k) override;
  void congestion_wait(KCtx& k) override;
  void cond_resched(KCtx& k) override;
  // kswapd(): sleeps on kswapd_wait, then balance_pgdat for the order asked.
  void kswapd_main(KCtx& k);
  void arm_wb_timer(const sc_core::sc_time& at);
  // select_bad_process: the victim, or nullptr (none) / `wait` set (a victim is still dying).
  Task* select_bad_process(uint64_t& points, bool& wait);
  uint64_t task_badness(const Task& t) const;
  void oom_kill_task(Task& victim, KCtx& k);

  // Swap (kernel_swap.cpp): the I/O path to the disks, init's swapon -a, the statistics.
  class SwapIoImpl;
  void swap_boot(KCtx& k);
  void register_swap_stats();       // constructor: the swap path and its global counters
  void register_swap_area_stats();  // boot: the areas the platform added
  AhciDisk* disk_for(unsigned i) { return disk(i); }
  bool add_to_swap(Page* page, KCtx& k) override { return m_mm->add_to_swap(page, k); }
  AddressSpace* page_mapping(Page* page) override {
    return page->test(PG_swapcache) ? &m_mm->swapper_space() : page->file_mapping();
  }
  WriteResult swap_writepage(Page* page, KCtx& k) override {
    m_mm->swap_writepage(page, k);
    return WriteResult::Submitted;
  }
  WriteResult shmem_writepage(Page* page, KCtx& k) override {
    return m_mm->shmem_writepage(page, k) ? WriteResult::Submitted : WriteResult::Activate;
  }
  void delete_from_swap_cache_locked(Page* page, KCtx& k) override {
    m_mm->__delete_from_swap_cache(page, k);
  }
  void swap_free(uint64_t entry, KCtx& k) override { m_mm->swap_free(entry, k); }
  int64_t total_swap_pages() const override { return m_swap_areas.total_swap_pages(); }
  void disable_swap_token() override { m_mm->disable_swap_token(); }
  void trace_span(const char* name, const sc_core::sc_time& begin, KCtx& k) override;

  // ReclaimEnv: what vmscan reaches of the rest of the kernel.
  int page_referenced(Page* page, bool is_locked, KCtx& k) override {
    return m_mm->page_referenced(page, is_locked, k);
  }
  SwapResult try_to_unmap(Page* page, KCtx& k) override { return m_mm->try_to_unmap(page, k); }
  void unlock_page(Page* page, KCtx& k) override { m_mm->unlock_page(page, k.now()); }
  void wake_up_page(Page* page, const sc_core::sc_time& at) override { m_mm->wake_up_page(page, at); }
  void put_page(Page* page, KCtx& k) override { m_mm->put_page(page, k); }
  bool write_congested(AddressSpace& mapping) override {
    return mapping.host && mapping.host->backing && mapping.host->backing->congested(true);
  }
  void blk_congestion_wait(const sc_core::sc_time& timeout, KCtx& k) override;
  void wakeup_pdflush(uint64_t nr, KCtx& k) override;
  sc_core::sc_time jiffy() const override { return m_sched->jiffy(); }
  uint64_t tlb_flush_fs(unsigned cpu) const override { return m_mm->tlb_flush_fs(cpu); }

  KernelConfig m_cfg;
  ClockDomain m_clk;
  std::vector<hw::Cpu*> m_cpus;
  stats::Group& m_stats;
  std::unique_ptr<LockClasses> m_locks;
  KTimers m_timers;
  std::unique_ptr<MemMap> m_map;
  std::unique_ptr<PageAllocator> m_alloc;
  std::unique_ptr<Lru> m_lru;
  std::unique_ptr<MemoryManager> m_mm;
  std::unique_ptr<Vmscan> m_vmscan;
  std::unique_ptr<PageWriteback> m_wb;
  std::unique_ptr<SlabAllocator> m_slab;
  std::unique_ptr<Vfs> m_vfs;
  std::unordered_map<const Task*, std::vector<Dentry*>> m_open;  // each task's open files (exit closes them)
  std::vector<OomKill> m_oom_kills;
  Task* m_kswapd = nullptr;
  std::unique_ptr<Scheduler> m_sched;
  std::unique_ptr<BlockLayer> m_blk;
  std::vector<std::unique_ptr<AhciDisk>> m_ahci;  // disk i's driver
  std::exception_ptr m_error;
  SwapAreas m_swap_areas;
  std::vector<SwapAreaSetup> m_swap_setup;
  std::vector<int> m_area_type, m_area_last_type;
  bool m_booted = false;

  std::vector<std::unique_ptr<Task>> m_tasks;
  std::vector<File*> m_files;
  struct Pending {
    Task* task;
    sc_core::sc_time start;
  };
  std::vector<Pending> m_spawns;  // processes waiting for boot
  uint32_t m_next_pid = 1;
  unsigned m_live_users = 0;
  sc_core::sc_time m_last_exit;
  WaitQueue m_kswapd_wait;
  WaitQueue m_swapon_done;  // the swapon thread sleeps here for good (a member: its stack never unwinds)
  unsigned m_kswapd_max_order = 0;
  std::vector<std::unique_ptr<WorkQueue>> m_kblockd, m_events;
  std::vector<std::unique_ptr<Pdflush>> m_pdflush;  // every pdflush thread ever started
  std::deque<Pdflush*> m_pdflush_list;              // the idle ones, the latest to sleep first
  unsigned m_nr_pdflush_threads = 0;
  uint64_t m_last_empty_jifs = 0;  // when m_pdflush_list last became empty
  uint64_t m_kswapd_wakeups = 0;

  stats::Group m_fault_lat;
  stats::Histogram m_lat_minor, m_lat_cow, m_lat_major;  // entry to return, every wait included
  stats::Group m_vmstat;
  stats::Group m_meminfo;
  stats::Group m_task_stats;
  stats::Group m_reclaim;
  stats::Group m_swap_g;
  stats::Group m_slab_g, m_dcache_g;
  std::unique_ptr<stats::Histogram> m_lat_swap_major;  // major swap faults, entry to return
  std::unique_ptr<SwapIoImpl> m_swap_io;               // after m_swap_g: its stats live in it
  std::vector<std::unique_ptr<stats::Group>> m_task_groups;
  std::vector<std::unique_ptr<stats::Stat>> m_stat_objs;  // last: destroyed before the groups they sit in
};

}  // namespace pc::kernel
