// The modeled kernel: boot, tasks on their own threads, the trap entries, kernel threads, interrupts.
#include "kernel_model/kernel.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "kernel_model/kernel_swap.h"
#include "platform/core/log.h"
#include "platform/core/ordered_wake.h"
#include "platform/core/timeline.h"
#include "platform/hwdefs/paging.h"

namespace pc::kernel {

namespace {
// A kernel path of the current task on its timeline row: from construction to destruction, in the
// path's own time (k.now()), so a path that sleeps shows its whole duration.
class KernelSpan {
 public:
  KernelSpan(const Task& t, const char* name, const KCtx& k, std::function<std::string()> args = {})
      : m_t(t), m_name(name), m_k(k), m_begin(k.now()), m_args(std::move(args)) {}
  ~KernelSpan() {
    if (auto* tl = timeline::active(); tl && m_t.tl_kernel)
      tl->span(timeline::Cat::Kernel, timeline::Group::Tasks, m_t.tl_kernel, m_name, m_begin, m_k.now(),
               m_args ? m_args() : std::string());
  }
  KernelSpan(const KernelSpan&) = delete;
  KernelSpan& operator=(const KernelSpan&) = delete;

 private:
  const Task& m_t;
  const char* m_name;
  const KCtx& m_k;
  sc_core::sc_time m_begin;
  std::function<std::string()> m_args;
};
}  // namespace

namespace pg = hw::paging;

namespace {
constexpr int64_t kEINVAL = 22, kEBADF = 9, kENOSYS = 38, kENOMEM = 12;
constexpr uint64_t kInitialBrk = 0x0000000001000000ull;  // 16 MiB: where the heap of every process starts
constexpr uint64_t kInitialStack = 128 * 1024;
// A task's kernel stack (its SystemC thread). Reclaim paths are deep, more so under ASan.
constexpr size_t kStackBytes = 1 << 20;
constexpr unsigned kMaxRepeatFaults = 64;
}  // namespace

Kernel::Kernel(sc_core::sc_module_name name, const KernelConfig& cfg, uint64_t managed_bytes,
               std::vector<hw::Cpu*> cpus, const ClockDomain& cpu_clk, KernelBus& bus, ArchOps& arch,
               stats::Group& kernel_stats, std::vector<DiskAttach> disks)
    : sc_module(name),
      m_cfg(cfg),
      m_clk(cpu_clk),
      m_cpus(std::move(cpus)),
      m_stats(kernel_stats),
      m_locks(std::make_unique<LockClasses>(kernel_stats, cfg.costs.spin_lock, cpu_clk)),
      m_timers("timers"),
      m_map(std::make_unique<MemMap>(managed_bytes >> kPageShift)),
      m_alloc(std::make_unique<PageAllocator>(*m_map, static_cast<unsigned>(m_cpus.size()),
                                              (cfg.reserved_kib * 1024 + kPageSize - 1) >> kPageShift)),
      m_lru(std::make_unique<Lru>(*m_alloc, static_cast<unsigned>(m_cpus.size()))),
      m_mm(std::make_unique<MemoryManager>(bus, *m_lru, arch, cfg.costs, cfg.vm, *m_locks)),
      m_fault_lat(&m_stats, "fault_latency", "page faults from entry to return, every wait included"),
      m_lat_minor(m_fault_lat, "minor", "cycles",
                  "faults that allocated or mapped a page without I/O or a copy"),
      m_lat_cow(m_fault_lat, "cow", "cycles", "faults that copied a page (copy-on-write)"),
      m_lat_major(m_fault_lat, "major", "cycles", "faults that read their page (the I/O wait included)"),
      m_vmstat(&m_stats, "vmstat", "Linux 2.6.18 /proc/vmstat counters, with their names"),
      m_meminfo(&m_stats, "meminfo", "memory state (as /proc/meminfo shows it)"),
      m_task_stats(&m_stats, "tasks", "per-task counters and cycle attribution"),
      m_reclaim(&m_stats, "reclaim", "page reclaim (mm/vmscan.c) and the OOM killer"),
      m_swap_g(&m_stats, "swap",
               "swap areas, the swap cache and swap I/O (mm/swapfile.c, swap_state.c, page_io.c)"),
      m_slab_g(&m_stats, "slab", "the slab allocator's caches (mm/slab.c, /proc/slabinfo)"),
      m_dcache_g(&m_stats, "dcache", "the dentry and inode caches (fs/dcache.c, fs/inode.c)") {
  if (m_cpus.empty()) throw std::invalid_argument("kernel: no CPUs to run on");
  // Tasks that resume at one instant do so in their threads' name order, whatever else SystemC has due
  // then: which task takes a lock or a free page first must not hang on the shape of its event heap.
  sim::OrderedWake::enable(true);
  if (cfg.irq_affinity >= m_cpus.size())
    throw cfg::ConfigError(fmt::format("key 'kernel.irq_affinity': CPU {} does not exist ({} cores)",
                                       cfg.irq_affinity, m_cpus.size()));
  m_alloc->set_lock_classes(*m_locks);
  m_alloc->set_reclaim_hooks(this);
  if (cfg.vm.min_free_kbytes) m_alloc->set_min_free_kbytes(cfg.vm.min_free_kbytes);
  m_vmscan =
      std::make_unique<Vmscan>(*m_lru, static_cast<ReclaimEnv&>(*this), cfg.vm, cfg.costs, cpu_clk.period());
  // kmem_cache_init, then vfs_caches_init: the dentry and inode caches and their shrinkers (dcache first,
  // as dcache_init registers before inode_init).
  m_slab =
      std::make_unique<SlabAllocator>(*m_alloc, bus, cfg.costs, cpu_clk.period(),
                                      static_cast<unsigned>(m_cpus.size()), cfg.hz, &m_locks->slab_list_lock);
  m_vfs = std::make_unique<Vfs>(*m_slab, bus, cfg.costs, cfg.vm, cpu_clk.period(), m_locks.get());
  m_vfs->set_page_hooks([this](AddressSpace& as, KCtx& k) { return m_mm->invalidate_mapping_pages(as, k); },
                        &m_alloc->events());
  m_vmscan->set_shrinker(DEFAULT_SEEKS, [this](uint64_t nr, gfp_t gfp, KCtx& k) {
    return m_vfs->shrink_dcache_memory(nr, gfp, k);
  });
  m_vmscan->set_shrinker(DEFAULT_SEEKS, [this](uint64_t nr, gfp_t gfp, KCtx& k) {
    return m_vfs->shrink_icache_memory(nr, gfp, k);
  });
  m_wb = std::make_unique<PageWriteback>(
      *m_mm, *m_vmscan, cfg.vm, static_cast<unsigned>(m_cpus.size()), [this] { return m_files; },
      [this] {
        // writeback_inodes skips the queues that are congested; one pass here covers every disk.
        for (const auto& d : m_ahci)
          if (d->queue().congested(true)) return true;
        return false;
      });
  m_wb->congestion_wait = [this](const sc_core::sc_time& t, KCtx& k) { blk_congestion_wait(t, k); };
  m_wb->pdflush_operation = [this](std::function<void(KCtx&)> fn) {
    return pdflush_operation(std::move(fn));
  };
  m_mm->set_writeback_hooks([this](File& f) { m_wb->mark_inode_dirty(f, sc_core::sc_time_stamp()); },
                            [this](File& f, KCtx& k) { m_wb->balance_dirty_pages_ratelimited(f, 1, k); });
  m_mm->set_cpus(m_cpus, cpu_clk.period());
  SchedConfig sc;
  sc.hz = static_cast<unsigned>(cfg.hz);
  sc.switch_cycles = cfg.costs.context_switch;
  m_sched = std::make_unique<Scheduler>(
      m_cpus, cpu_clk, sc, m_timers,
      [this](unsigned cpu, Task& t, KCtx& k) { m_mm->switch_mm(cpu, t.mm, t.active_mm, k); }, m_stats);
  if (disks.size() > 26) throw std::invalid_argument("kernel: more than 26 disks (sda..sdz)");
  if (!disks.empty()) {
    m_blk = std::make_unique<BlockLayer>(m_stats);
    m_blk->set_vm_events(&m_alloc->events());
  }
  for (size_t i = 0; i < disks.size(); ++i) {
    const auto& d = disks[i];
    const std::string stats_name = i ? fmt::format("block{}", i) : std::string("block");
    m_ahci.push_back(std::make_unique<AhciDisk>(fmt::format("sd{}", static_cast<char>('a' + i)).c_str(),
                                                cfg.block, bus, d.mmio_base, d.dma_base, d.dma_bytes, *m_blk,
                                                m_stats, stats_name.c_str()));
  }

  // Statistics: /proc/vmstat in its order (the zone items summed over zones, then the events).
  auto formula = [&](stats::Group& g, std::string n, const char* unit, const char* desc,
                     std::function<double()> f) {
    m_stat_objs.push_back(std::make_unique<stats::Formula>(g, std::move(n), unit, desc, std::move(f)));
  };
  for (unsigned i = 0; i < NR_VM_ZONE_STAT_ITEMS; ++i)
    formula(m_vmstat, kZoneStatNames[i], "pages", kZoneStatHelp[i], [this, i] {
      return static_cast<double>(m_alloc->global_page_state(static_cast<ZoneStatItem>(i)));
    });
  for (unsigned i = 0; i < NR_VM_EVENT_ITEMS; ++i) {
    const auto e = static_cast<VmEvent>(i);
    formula(m_vmstat, kVmEventNames[i], e == PGPGIN || e == PGPGOUT ? "KiB" : "events", vm_event_help(e),
            [this, e] { return static_cast<double>(m_alloc->events().shown(e)); });
  }
  formula(m_meminfo, "free_pages", "pages", "free pages (buddy and per-CPU lists)",
          [this] { return static_cast<double>(m_alloc->nr_free_pages()); });
  formula(m_meminfo, "active", "pages", "pages on the active lists", [this] {
    uint64_t n = 0;
    for (unsigned z = 0; z < MAX_NR_ZONES; ++z) n += m_alloc->zone(z).nr_active;
    return static_cast<double>(n);
  });
  formula(m_meminfo, "inactive", "pages", "pages on the inactive lists", [this] {
    uint64_t n = 0;
    for (unsigned z = 0; z < MAX_NR_ZONES; ++z) n += m_alloc->zone(z).nr_inactive;
    return static_cast<double>(n);
  });
  formula(m_meminfo, "page_table_pages", "pages", "frames holding page tables of every level (PGDs included)",
          [this] { return static_cast<double>(m_mm->page_table_pages()); });
  for (const auto& cp : m_slab->caches()) {
    const KmemCache* c = cp.get();
    // One group per cache (owned with the other groups made at run time).
    auto g = std::make_unique<stats::Group>(&m_slab_g, c->name, "one slab cache (a /proc/slabinfo line)");
    formula(*g, "active_objs", "objects", "objects allocated",
            [c] { return static_cast<double>(c->active_objs()); });
    formula(*g, "num_slabs", "slabs", "slabs (allocated from the buddy allocator)",
            [c] { return static_cast<double>(c->num_slabs()); });
    formula(*g, "grown", "slabs", "slabs created by cache_grow",
            [c] { return static_cast<double>(c->stats.grown); });
    formula(*g, "destroyed", "slabs", "slabs returned to the buddy allocator",
            [c] { return static_cast<double>(c->stats.destroyed); });
    formula(*g, "reaped", "slabs", "of which by cache_reap's drain_freelist",
            [c] { return static_cast<double>(c->stats.reaped); });
    m_task_groups.push_back(std::move(g));
  }
  const Vfs* vfs = m_vfs.get();
  formula(m_dcache_g, "nr_dentry", "dentries", "dentries cached (dentry_stat.nr_dentry)",
          [vfs] { return static_cast<double>(vfs->nr_dentry()); });
  formula(m_dcache_g, "nr_unused", "dentries", "dentries on the dentry_unused LRU (dentry_stat.nr_unused)",
          [vfs] { return static_cast<double>(vfs->dentry_nr_unused()); });
  formula(m_dcache_g, "nr_inodes", "inodes", "inodes cached (inodes_stat.nr_inodes)",
          [vfs] { return static_cast<double>(vfs->nr_inodes()); });
  formula(m_dcache_g, "inodes_unused", "inodes", "inodes on inode_unused (inodes_stat.nr_unused)",
          [vfs] { return static_cast<double>(vfs->inodes_nr_unused()); });
  formula(m_dcache_g, "lookups", "lookups", "names looked up (open, stat)",
          [vfs] { return static_cast<double>(vfs->stats().lookups); });
  formula(m_dcache_g, "hits", "lookups", "lookups the dcache answered",
          [vfs] { return static_cast<double>(vfs->stats().d_hits); });
  formula(m_dcache_g, "dentries_pruned", "dentries", "dentries freed by prune_dcache",
          [vfs] { return static_cast<double>(vfs->stats().d_pruned); });
  formula(m_dcache_g, "inodes_pruned", "inodes", "inodes freed by prune_icache",
          [vfs] { return static_cast<double>(vfs->stats().i_pruned); });
  formula(m_dcache_g, "inode_pages", "pages",
          "page-cache pages prune_icache invalidated with their inodes (kswapd_inodesteal + pginodesteal)",
          [vfs] { return static_cast<double>(vfs->stats().inode_pages); });
  formula(m_dcache_g, "enomem", "lookups", "lookups that failed for want of memory",
          [vfs] { return static_cast<double>(vfs->stats().enomem); });
  formula(m_dcache_g, "dcache_shrinks", "calls", "shrink_dcache_memory calls that pruned (128 each)",
          [vfs] { return static_cast<double>(vfs->stats().dcache_shrinks); });
  formula(m_dcache_g, "icache_shrinks", "calls", "shrink_icache_memory calls that pruned (128 each)",
          [vfs] { return static_cast<double>(vfs->stats().icache_shrinks); });
  formula(m_meminfo, "min_free_kbytes", "KiB", "vm.min_free_kbytes computed at boot",
          [this] { return static_cast<double>(m_alloc->min_free_kbytes()); });
  const MmStats& ms = m_mm->stats();
  auto u = [](uint64_t v) { return static_cast<double>(v); };
  formula(m_stats, "cow_copies", "faults", "copy-on-write faults that copied a page",
          [&ms, u] { return u(ms.cow_copies); });
  formula(m_stats, "cow_reuses", "faults", "write faults on a read-only page mapped once (no copy)",
          [&ms, u] { return u(ms.cow_reuses); });
  formula(m_stats, "zero_page_maps", "faults", "read faults that mapped the zero page",
          [&ms, u] { return u(ms.zero_page_maps); });
  formula(m_stats, "file_faults", "faults", "faults on file mappings",
          [&ms, u] { return u(ms.file_faults); });
  formula(m_stats, "segv", "faults", "faults that ended a task with SIGSEGV",
          [&ms, u] { return u(ms.segv); });
  formula(m_stats, "oom", "faults", "faults that found no memory (the task ends)",
          [&ms, u] { return u(ms.oom); });
  formula(m_stats, "forks", "calls", "successful forks", [&ms, u] { return u(ms.forks); });
  formula(m_stats, "tlb_page_flushes", "calls", "flush_tlb_page calls",
          [&ms, u] { return u(ms.tlb_page_flushes); });
  formula(m_stats, "tlb_mm_flushes", "calls", "flush_tlb_mm calls",
          [&ms, u] { return u(ms.tlb_mm_flushes); });
  formula(m_stats, "readahead_pages", "pages",
          "pages read by readahead (read() windows and mmap read-around)",
          [&ms, u] { return u(ms.readahead_pages); });
  formula(m_stats, "readaround_pages", "pages", "pages read around mmap faults",
          [&ms, u] { return u(ms.readaround_pages); });
  formula(m_stats, "lock_page_waits", "waits", "sleeps in lock_page",
          [&ms, u] { return u(ms.lock_page_waits); });
  formula(m_stats, "msync_pages_dirtied", "pages",
          "pages msync found dirty in a shared mapping's PTEs and marked dirty (set_page_dirty)",
          [&ms, u] { return u(ms.msync_pages_dirtied); });
  formula(m_stats, "rmap_file_walks", "calls", "file rmap walks (page_referenced_file, try_to_unmap_file)",
          [&ms, u] { return u(ms.rmap_file_walks); });
  formula(m_stats, "rmap_file_vmas", "vmas",
          "VMAs the file rmap walks visited (each covers the page: the i_mmap prio tree's query)",
          [&ms, u] { return u(ms.rmap_file_vmas); });
  formula(m_stats, "prio_tree_nodes", "nodes", "i_mmap prio tree nodes the file rmap walks read",
          [&ms, u] { return u(ms.prio_tree_nodes); });
  formula(m_stats, "kswapd_wakeups", "calls", "wakeup_kswapd calls that woke kswapd",
          [this, u] { return u(m_kswapd_wakeups); });
  const VmscanStats& vs = m_vmscan->stats();
  formula(m_reclaim, "freed_lru", "pages", "pages shrink_page_list freed (what pgsteal counts in 2.6.19+)",
          [&vs, u] { return u(vs.freed_lru); });
  formula(m_reclaim, "reclaimed_slab", "pages",
          "slab pages freed while reclaiming (reclaim_state.reclaimed_slab, counted as reclaimed)",
          [&vs, u] { return u(vs.reclaimed_slab); });
  const char* outcome_names[4] = {"keep", "keep_locked", "activate", "free"};
  for (unsigned i = 0; i < 4; ++i)
    formula(m_reclaim, fmt::format("outcome_{}", outcome_names[i]), "pages",
            fmt::format("shrink_page_list decisions that ended at {}", outcome_names[i]).c_str(),
            [&vs, u, i] { return u(vs.outcomes[i]); });
  formula(m_reclaim, "pageout_writes", "pages", "dirty pages pageout sent to writepage",
          [&vs, u] { return u(vs.pageout_writes); });
  formula(m_reclaim, "direct_calls", "calls", "try_to_free_pages calls",
          [&vs, u] { return u(vs.direct_calls); });
  formula(m_reclaim, "kswapd_runs", "calls", "balance_pgdat calls", [&vs, u] { return u(vs.kswapd_runs); });
  formula(m_reclaim, "congestion_naps", "calls", "blk_congestion_wait(WRITE, HZ/10) naps of reclaim",
          [&vs, u] { return u(vs.congestion_waits); });
  const WritebackStats& ws = m_wb->stats();
  formula(m_reclaim, "wb_pages_written", "pages",
          "dirty pages written by writeback (pdflush, throttled writers)",
          [&ws, u] { return u(ws.pages_written); });
  formula(m_reclaim, "wb_fsync_calls", "calls", "do_fsync calls (fsync, msync MS_SYNC)",
          [&ws, u] { return u(ws.fsync_calls); });
  formula(m_reclaim, "wb_sync_pages_written", "pages",
          "dirty pages do_fsync wrote (WB_SYNC_ALL; also counted in wb_pages_written)",
          [&ws, u] { return u(ws.sync_pages_written); });
  formula(m_reclaim, "wb_background_runs", "calls", "background_writeout runs",
          [&ws, u] { return u(ws.background_runs); });
  formula(m_reclaim, "wb_kupdate_runs", "calls", "wb_kupdate runs", [&ws, u] { return u(ws.kupdate_runs); });
  formula(m_reclaim, "wb_throttled", "calls", "balance_dirty_pages calls that found the dirty limit exceeded",
          [&ws, u] { return u(ws.throttled); });
  formula(m_reclaim, "wb_throttle_naps", "calls", "naps of writers in balance_dirty_pages",
          [&ws, u] { return u(ws.throttle_naps); });
  formula(m_reclaim, "rotated", "pages", "pages rotate_reclaimable_page moved to the inactive tail",
          [&vs, u] { return u(vs.rotated); });
  formula(m_reclaim, "oom_kills", "kills", "tasks the OOM killer chose",
          [this, u] { return u(m_oom_kills.size()); });
  formula(m_reclaim, "oom_last_victim", "pid", "pid of the last OOM victim (0: none)",
          [this, u] { return m_oom_kills.empty() ? 0.0 : u(m_oom_kills.back().pid); });
  formula(m_reclaim, "oom_last_badness", "points", "badness of the last OOM victim",
          [this, u] { return m_oom_kills.empty() ? 0.0 : u(m_oom_kills.back().points); });
  formula(m_reclaim, "oom_last_free_pages", "pages", "free pages when the last OOM kill happened",
          [this, u] { return m_oom_kills.empty() ? 0.0 : u(m_oom_kills.back().free_pages); });
  SC_THREAD(boot_thread);
  register_swap_stats();
}

Kernel::~Kernel() = default;

uint64_t Kernel::register_file(const std::string& name, std::unique_ptr<FileBacking> backing) {
  m_files.push_back(m_mm->new_file(name, std::move(backing)));
  // file_ra_state_init: the window limit of the device's backing_dev_info (kernel.readahead_kib).
  m_files.back()->ra.ra_pages = m_cfg.readahead_kib * 1024 / kPageSize;
  return m_files.size() - 1;
}

Task& Kernel::new_task(const std::string& comm, std::unique_ptr<hw::ExecContext> ctx,
                       std::function<void(KCtx&)> kfn) {
  auto t = std::make_unique<Task>();
  t->pid = m_next_pid++;
  t->comm = comm;
  t->ctx = std::move(ctx);
  t->kthread = std::move(kfn);
  t->sched = m_sched.get();
  t->resume_bucket = t->kthread ? hw::Charge::KernelThread : hw::Charge::Syscall;
  if (!t->kthread) ++m_live_users;
  if (auto* tl = timeline::active()) {
    const std::string row = fmt::format("{} {}", t->pid, t->comm);
    t->tl_state = tl->track(timeline::Group::Tasks, row);
    t->tl_kernel = tl->track(timeline::Group::Tasks, row + " (kernel paths)");
  }
  add_task_stats(*t);
  m_tasks.push_back(std::move(t));
  return *m_tasks.back();
}

void Kernel::start_thread(Task& t) {
  sc_core::sc_spawn_options o;
  o.set_stack_size(kStackBytes);
  Task* tp = &t;
  t.thread_name = sc_core::sc_spawn([this, tp] { task_main(*tp); },
                                    sc_core::sc_gen_unique_name(("task_" + t.comm).c_str()), &o)
                      .name();
}

void Kernel::spawn(const std::string& name, std::unique_ptr<hw::ExecContext> ctx, sc_core::sc_time start,
                   int nice, int oom_adj) {
  if (oom_adj < OOM_DISABLE || oom_adj > 15) throw std::invalid_argument("spawn: oom_adj outside -17..15");
  Task& t = new_task(name, std::move(ctx), nullptr);
  t.nice = nice;
  t.oomkilladj = oom_adj;
  t.static_prio = nice_to_prio(nice);
  m_spawns.push_back({&t, start});
}

Task& Kernel::kthread_run(const std::string& name, std::function<void(KCtx&)> fn, int bound_cpu, int nice) {
  Task& t = new_task(name, nullptr, std::move(fn));
  t.bound_cpu = bound_cpu;
  t.nice = nice;
  t.static_prio = nice_to_prio(nice);
  start_thread(t);
  m_sched->wake_up_new(t, sc_core::sc_time_stamp());
  return t;
}

void Kernel::boot_thread() {
  // start_kernel: the zero page, then the kernel threads (each sleeps until it has work), then init
  // starts the scenario's processes at their times.
  KCtx k;
  m_mm->init_zero_page(k);
  k.sync();
  auto worker = [this](const char* name, unsigned cpu) {
    auto q = std::make_unique<WorkQueue>();
    WorkQueue* qp = q.get();
    q->thread = &kthread_run(
        fmt::format("{}/{}", name, cpu), [this, qp](KCtx& kk) { worker_main(*qp, kk); },
        static_cast<int>(cpu), -5);  // worker_thread: set_user_nice(current, -5)
    return q;
  };
  Task& kswapd = kthread_run("kswapd0", [this](KCtx& kk) { kswapd_main(kk); });
  kswapd.flags |= PF_MEMALLOC | PF_SWAPWRITE | PF_KSWAPD;
  m_kswapd = &kswapd;
  for (unsigned i = 0; i < kMinPdflushThreads; ++i) start_one_pdflush_thread();
  for (unsigned c = 0; c < m_cpus.size(); ++c) {
    m_kblockd.push_back(worker("kblockd", c));
    m_events.push_back(worker("events", c));
    // cache_reap runs on each CPU's events thread HZ + 3*cpu jiffies after boot, then every 2 s.
    const sc_core::sc_time first = m_sched->jiffy() * static_cast<double>(m_cfg.hz + 3 * c);
    m_timers.add(sc_core::sc_time_stamp() + first, [this, c] {
      queue_work(
          *m_events[c], [this, c](KCtx& kk) { cache_reap(c, kk); }, sc_core::sc_time_stamp());
    });
  }
  for (const auto& d : m_ahci) {
    AhciDisk* disk = d.get();
    disk->set_kernel_hooks(
        [this, disk] {
          // The unplug timer runs on the CPU that armed it; one kblockd is enough to model its work.
          queue_work(
              *m_kblockd[0], [disk](KCtx& kk) { disk->unplug(kk); }, sc_core::sc_time_stamp());
        },
        [this](unsigned cpu, uint64_t fs) { irq_done(cpu, fs); }, static_cast<unsigned>(m_cfg.irq_affinity));
  }
  if (m_cfg.vm.dirty_writeback_centisecs)
    arm_wb_timer(
        sc_core::sc_time_stamp() +
        sc_core::sc_time(10.0 * static_cast<double>(m_cfg.vm.dirty_writeback_centisecs), sc_core::SC_MS));
  m_booted = true;
  if (m_cfg.hung_task_timeout_s)
    m_timers.add(sc_core::sc_time_stamp() +
                     sc_core::sc_time(static_cast<double>(m_cfg.hung_task_timeout_s) / 2.0, sc_core::SC_SEC),
                 [this] { check_hung_uninterruptible_tasks(); });
  register_swap_area_stats();
  if (m_swap_setup.empty()) {
    start_spawns();
  } else {
    // init runs `swapon -a` before it starts anything else.
    kthread_run("swapon", [this](KCtx& kk) {
      swap_boot(kk);
      kk.sync();
      start_spawns();
      // Its work done, the thread sleeps for good (kernel threads never end in this model): the core
      // goes to others.
      for (;;) m_swapon_done.sleep(kk, hw::Charge::Idle);
    });
  }
}

void Kernel::start_spawns() {
  for (const Pending& p : m_spawns) {
    start_thread(*p.task);
    m_sched->wake_up_new(*p.task, std::max(p.start, sc_core::sc_time_stamp()));
  }
  m_spawns.clear();
}

void Kernel::queue_work(WorkQueue& q, std::function<void(KCtx&)> fn, const sc_core::sc_time& at) {
  q.work.push_back(std::move(fn));
  q.wq.wake_up(at);
}

void Kernel::worker_main(WorkQueue& q, KCtx& k) {
  for (;;) {
    while (q.work.empty()) q.wq.sleep(k, hw::Charge::Idle);
    auto fn = std::move(q.work.front());
    q.work.pop_front();
    m_mm->cost(m_cfg.costs.work_item, k);
    fn(k);
    m_sched->check_resched(k);
  }
}

void Kernel::cache_reap(unsigned cpu, KCtx& k) {
  // The slab's periodic reap on this CPU (refresh_cpu_vm_stats has nothing to fold: the model's counters
  // are exact). It re-arms itself every 2 s (REAPTIMEOUT_CPUC).
  const uint64_t jiffies = static_cast<uint64_t>(sc_core::sc_time_stamp() / m_sched->jiffy());
  m_slab->cache_reap(jiffies, k);
  m_timers.add(sc_core::sc_time_stamp() + m_sched->jiffy() * static_cast<double>(2 * m_cfg.hz), [this, cpu] {
    queue_work(
        *m_events[cpu], [this, cpu](KCtx& kk) { cache_reap(cpu, kk); }, sc_core::sc_time_stamp());
  });
}

void Kernel::check_hung_uninterruptible_tasks() {
  // khungtaskd: a sleep that only a wake-up can end and that has lasted the whole timeout is a lost
  // wake-up; the run cannot finish, so it stops here with what the task waits on rather than spinning
  // through simulated time on its periodic timers for ever.
  const sc_core::sc_time timeout(static_cast<double>(m_cfg.hung_task_timeout_s), sc_core::SC_SEC);
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  for (const auto& tp : m_tasks) {
    const Task& t = *tp;
    if (t.state != TaskState::Uninterruptible || !t.sleep_untimed || now - t.sleep_since < timeout) continue;
    std::string on = t.wchan ? m_mm->describe_page_wait(t.wchan) : std::string();
    if (on.empty()) on = t.wchan ? "a wait queue" : "no wait queue";
    if (!m_error)
      m_error = std::make_exception_ptr(
          std::logic_error(fmt::format("hung task: {} (pid {}) has slept in {} since {:.6f} s without being "
                                       "woken, on {} (kernel.hung_task_"
                                       "timeout_s = {}): a lost wake-up in the model",
                                       t.comm, t.pid, hw::charge_name(t.bucket), t.sleep_since.to_seconds(),
                                       on, m_cfg.hung_task_timeout_s)));
    return;
  }
  m_timers.add(now + timeout / 2.0, [this] { check_hung_uninterruptible_tasks(); });
}

void Kernel::irq_done(unsigned cpu, uint64_t fs) {
  // The handler ran on `cpu`: the task there loses its time (an idle CPU loses nothing).
  if (!m_sched->idle(cpu)) m_cpus[cpu]->steal(m_clk.to_cycles_ceil(sc_core::sc_time::from_value(fs)));
}

void Kernel::task_main(Task& t) {
  // A kernel bug found on this task's stack (a debug check, a bad page) ends the run: the error is kept
  // and rethrown by the SoC on the main stack once sc_start returns, rather than thrown through the
  // SystemC kernel from a coroutine (which ASan cannot follow).
  try {
    KCtx k(0, sc_core::SC_ZERO_TIME, &t);
    m_sched->wait_for_cpu(t, k);
    if (t.kthread) {
      t.kthread(k);
      return;  // kernel threads never end in this model
    }
    user_main(t, k);
  } catch (...) {
    if (!m_error) m_error = std::current_exception();
  }
}

bool Kernel::exec(Task& t, KCtx& k) {
  m_mm->cost(m_cfg.costs.exec_base, k);
  t.mm = m_mm->mm_alloc(k);
  if (!t.mm) return false;
  t.mm->start_brk = t.mm->brk = kInitialBrk;
  m_mm->setup_stack(*t.mm, kInitialStack, k);
  m_mm->switch_mm(k.cpu, t.mm, t.active_mm, k);  // activate_mm
  return true;
}

void Kernel::user_main(Task& t, KCtx& k) {
  if (!t.mm && !exec(t, k)) {
    do_exit(t, "out of memory at exec", k);
    return;
  }
  uint64_t last_fault = ~0ull;
  unsigned repeats = 0;
  for (;;) {
    if (t.sigkill) {  // a pending SIGKILL is delivered on the way back to user space
      do_exit(t, "killed by the OOM killer", k);
      return;
    }
    // Return to user space: need_resched and the time slice are checked here (no kernel preemption).
    m_sched->check_resched(k);
    hw::Cpu& cpu = *m_cpus[k.cpu];
    t.account(hw::Charge::Compute, k.now());  // the core charges the user-mode time itself
    cpu.give_local_time(k.delay);
    k.delay = sc_core::SC_ZERO_TIME;
    const uint64_t retired = t.min_flt + t.maj_flt + t.syscalls;
    const hw::Trap tr = cpu.run_user(*t.ctx);
    k.delay = cpu.take_local_time();
    if (t.tl_state && k.now() > t.mark) timeline_state(t, "user", t.mark, k.now());
    t.mark = k.now();  // user time up to here went to the core's buckets
    switch (tr.kind) {
      case hw::TrapKind::PageFault:
        t.bucket = hw::Charge::Fault;
        if (tr.cr2 == last_fault && retired == t.min_flt + t.maj_flt + t.syscalls) {
          if (++repeats > kMaxRepeatFaults)
            throw std::logic_error(
                fmt::format("task {} ({}): {} page faults in a row at 0x{:x} (error code 0x{:x}): "
                            "the kernel resumes without fixing the mapping",
                            t.pid, t.comm, kMaxRepeatFaults, tr.cr2, tr.error_code));
        } else {
          repeats = 0;
        }
        last_fault = tr.cr2;
        do_page_fault(t, tr, k);
        break;
      case hw::TrapKind::Syscall:
        t.bucket = hw::Charge::Syscall;
        do_syscall(t, *t.ctx->current(), k);
        break;
      case hw::TrapKind::Resched:
        t.bucket = hw::Charge::Syscall;  // the timer interrupt's path: no time passes in it
        break;
      case hw::TrapKind::Ended:
        t.bucket = hw::Charge::Syscall;
        do_exit(t, "end of program", k);
        break;
    }
    if (t.dead()) return;
  }
}

void Kernel::do_page_fault(Task& t, const hw::Trap& tr, KCtx& k) {
  const sc_core::sc_time entered = k.now();
  KernelSpan span(t, "page fault", k, [&] { return fmt::format("\"address\":\"0x{:x}\"", tr.cr2); });
  k.cow_copies = 0;
  k.swapin = 0;
  const FaultResult r = m_mm->do_page_fault(*t.mm, tr.cr2, tr.error_code, k);
  t.cow_faults += k.cow_copies;
  switch (r) {
    case FaultResult::Minor:
    case FaultResult::Major: {
      ++(r == FaultResult::Major ? t.maj_flt : t.min_flt);
      const double cyc = m_clk.to_cycles_exact(k.now() - entered);
      (r == FaultResult::Major ? m_lat_major : k.cow_copies ? m_lat_cow : m_lat_minor).sample(cyc);
      if (k.swapin) {  // a major swap fault: fault-to-resume latency
        ++t.maj_swap_flt;
        m_lat_swap_major->sample(cyc);
      }
      break;
    }
    case FaultResult::SigSegv:
      do_exit(t, fmt::format("SIGSEGV at 0x{:x} (error code 0x{:x})", tr.cr2, tr.error_code), k);
      break;
    case FaultResult::SigBus:
      do_exit(t, fmt::format("SIGBUS at 0x{:x}", tr.cr2), k);
      break;
    case FaultResult::Oom:
      // VM_FAULT_OOM in do_page_fault: the task is killed.
      do_exit(t, fmt::format("out of memory at 0x{:x}", tr.cr2), k);
      break;
  }
}

int64_t Kernel::do_fork(Task& t, uint64_t program, bool share_vm, KCtx& k) {
  m_mm->cost(m_cfg.costs.fork_base, k);
  auto child_ctx = t.ctx->fork_child(program, share_vm);
  if (!child_ctx) return -kEINVAL;
  MmStruct* mm = nullptr;
  if (share_vm) {
    mm = t.mm;  // CLONE_VM: a thread shares the address space
    ++mm->mm_users;
  } else {
    mm = m_mm->dup_mm(*t.mm, k);
    if (!mm) return -kENOMEM;
  }
  Task& c = new_task(fmt::format("{}-{}{}", t.comm, share_vm ? "thread" : "child", m_next_pid),
                     std::move(child_ctx), nullptr);
  c.ppid = t.pid;
  c.parent = &t;
  c.mm = mm;
  c.nice = t.nice;
  c.static_prio = t.static_prio;
  c.oomkilladj = t.oomkilladj;  // copy_process copies the task struct
  t.children.push_back(&c);
  start_thread(c);
  k.sync();  // the child's life starts at the parent's time
  m_sched->wake_up_new_task(c, t);
  return c.pid;
}

void Kernel::do_syscall(Task& t, const hw::Op& op, KCtx& k) {
  KernelSpan span(t, hw::syscall_name(op.nr), k);
  m_mm->cost(m_cfg.costs.syscall_entry, k);
  ++t.syscalls;
  const uint64_t* a = op.args;
  int64_t ret = -kENOSYS;
  auto file = [&](uint64_t id) -> File* { return id < m_files.size() ? m_files[id] : nullptr; };
  switch (op.nr) {
    case hw::Syscall::Mmap: {
      File* f = nullptr;
      if (!(a[3] & MAP_ANONYMOUS) && !(f = file(a[4]))) {
        ret = -kEBADF;
        break;
      }
      ret = m_mm->do_mmap(*t.mm, a[0], a[1], static_cast<uint32_t>(a[2]), static_cast<uint32_t>(a[3]), f,
                          a[5], k);
      break;
    }
    case hw::Syscall::Munmap:
      ret = m_mm->do_munmap(*t.mm, a[0], a[1], k);
      break;
    case hw::Syscall::Mprotect:
      ret = m_mm->do_mprotect(*t.mm, a[0], a[1], static_cast<uint32_t>(a[2]), k);
      break;
    case hw::Syscall::Brk:
      ret = m_mm->do_brk(*t.mm, a[0], k);
      break;
    case hw::Syscall::Read:
    case hw::Syscall::Write: {
      File* f = file(a[0]);
      if (!f) {
        ret = -kEBADF;
        break;
      }
      ret = op.nr == hw::Syscall::Read ? m_mm->do_generic_mapping_read(*t.mm, *f, a[3], a[2], a[1], k)
                                       : m_mm->generic_file_buffered_write(*t.mm, *f, a[3], a[2], a[1], k);
      break;
    }
    case hw::Syscall::Fork:
      ret = do_fork(t, a[0], false, k);
      break;
    case hw::Syscall::Clone:
      ret = do_fork(t, a[0], true, k);
      break;
    case hw::Syscall::Exit:
      t.ctx->retire(nullptr, hw::AccessStatus::Ok);
      do_exit(t, "exit", k);
      return;
    case hw::Syscall::Yield:
      ret = 0;
      m_sched->sched_yield(k);
      break;
    case hw::Syscall::Swapon:
      ret = swapon_area(a[0], k);
      break;
    case hw::Syscall::Swapoff:
      ret = swapoff_area(a[0], k);
      break;
    case hw::Syscall::Msync:
      ret = sys_msync(t, a[0], a[1], static_cast<uint32_t>(a[2]), k);
      break;
    case hw::Syscall::Fsync: {
      File* f = file(a[0]);
      ret = f ? m_wb->do_fsync(*f, k) : -kEBADF;
      break;
    }
    case hw::Syscall::Open:
    case hw::Syscall::Stat: {
      // path_lookup of the name (or, with a[1] = id + 1, of scenario file id, whose inode's pages are
      // the file's page cache); open keeps the dentry (and its inode) referenced until exit.
      AddressSpace* mapping = nullptr;
      uint64_t name = a[0];
      if (a[1]) {
        if (a[1] > m_files.size()) {
          ret = -9;  // -EBADF
          break;
        }
        mapping = &m_files[a[1] - 1]->mapping;
        name = (1ull << 63) | (a[1] - 1);  // the files' names, apart from the numbered ones
      }
      Dentry* d = m_vfs->lookup(name, k, mapping);
      if (!d) {
        ret = -12;  // -ENOMEM
        break;
      }
      if (op.nr == hw::Syscall::Open)
        m_open[&t].push_back(d);
      else
        m_vfs->dput(d, k);
      ret = 0;
      break;
    }
    default:
      break;
  }
  t.ctx->retire(reinterpret_cast<const uint8_t*>(&ret), hw::AccessStatus::Ok);
}

void Kernel::kthread_exit(Task& t, KCtx& k) {
  // A kernel thread returning from its function (kthread's do_exit): no mm, no run-ending count.
  t.flags |= PF_EXITING;
  t.exit_reason = "exit";
  k.sync();
  t.exit_time = k.now();
  t.account(t.bucket, t.exit_time);
  m_sched->exit_current(k);
}

void Kernel::do_exit(Task& t, const std::string& reason, KCtx& k) {
  t.flags |= PF_EXITING;
  t.exit_reason = reason;
  if (reason != "exit" && reason != "end of program")
    log::info("task {} ({}) ended: {}", t.pid, t.comm, reason);
  if (MmStruct* mm = t.mm) {
    // exit_mm: the task lets go of its mm; the CPU keeps it loaded (lazily) until it switches away.
    t.mm = nullptr;
    m_mm->mmput(mm, k);
  }
  // exit_files: the files the task kept open are closed (their dentries become unused).
  if (auto it = m_open.find(&t); it != m_open.end()) {
    for (Dentry* d : it->second) m_vfs->dput(d, k);
    m_open.erase(it);
  }
  m_lru->lru_add_drain(k);
  // The run ends when the last user task has exited: reach the exit's time before it counts as gone.
  k.sync();
  t.exit_time = k.now();
  t.account(t.bucket, t.exit_time);
  m_last_exit = std::max(m_last_exit, t.exit_time);
  --m_live_users;
  m_sched->exit_current(k);
}

cfg::Json Kernel::snapshot() const {
  cfg::Json j;
  const double period = static_cast<double>(m_clk.period_fs());
  j["t_us"] = sc_core::sc_time_stamp().to_seconds() * 1e6;
  auto& vm = j["vmstat"];
  for (unsigned i = 0; i < NR_VM_ZONE_STAT_ITEMS; ++i)
    vm[kZoneStatNames[i]] = m_alloc->global_page_state(static_cast<ZoneStatItem>(i));
  for (unsigned i = 0; i < NR_VM_EVENT_ITEMS; ++i)
    vm[kVmEventNames[i]] = m_alloc->events().shown(static_cast<VmEvent>(i));
  j["zones"] = cfg::Json::array();
  for (unsigned z = 0; z < MAX_NR_ZONES; ++z) {
    const Zone& zone = m_alloc->zone(z);
    if (!zone.populated()) continue;
    j["zones"].push_back({{"name", zone.name},
                          {"free", zone.free_pages + zone.pcp_pages()},
                          {"min", zone.pages_min},
                          {"low", zone.pages_low},
                          {"high", zone.pages_high},
                          {"active", zone.nr_active},
                          {"inactive", zone.nr_inactive}});
  }
  j["swap"] = {{"total", m_swap_areas.total_swap_pages()},
               {"free", m_swap_areas.nr_swap_pages()},
               {"swapcache", m_mm->total_swapcache_pages()}};
  j["tasks"] = cfg::Json::array();
  for (const auto& t : m_tasks) {
    cfg::Json tj{{"pid", t->pid}, {"comm", t->comm}, {"kthread", t->is_kthread()}};
    const auto c = t->charges_at(t->end_time());
    for (unsigned b = 0; b < hw::kCharges; ++b)
      tj[fmt::format("{}_cycles", hw::charge_name(static_cast<hw::Charge>(b)))] =
          static_cast<double>(c.fs[b]) / period;
    j["tasks"].push_back(std::move(tj));
  }
  return j;
}

void Kernel::timeline_counters(timeline::Writer& tl, sc_core::sc_time at) const {
  for (unsigned z = 0; z < MAX_NR_ZONES; ++z) {
    const Zone& zone = m_alloc->zone(z);
    if (!zone.populated()) continue;
    tl.counter("free pages " + zone.name, at,
               {{"free", static_cast<double>(zone.free_pages + zone.pcp_pages())},
                {"pages_min", static_cast<double>(zone.pages_min)},
                {"pages_low", static_cast<double>(zone.pages_low)},
                {"pages_high", static_cast<double>(zone.pages_high)}});
    tl.counter("LRU " + zone.name, at,
               {{"active", static_cast<double>(zone.nr_active)},
                {"inactive", static_cast<double>(zone.nr_inactive)}});
  }
  auto g = [&](ZoneStatItem i) { return static_cast<double>(m_alloc->global_page_state(i)); };
  tl.counter("page cache", at,
             {{"file", g(NR_FILE_PAGES)}, {"dirty", g(NR_FILE_DIRTY)}, {"writeback", g(NR_WRITEBACK)}});
  tl.counter("anonymous", at, {{"mapped", g(NR_ANON_PAGES)}});
  tl.counter("swap used", at,
             {{"pages", static_cast<double>(m_swap_areas.total_swap_pages() - m_swap_areas.nr_swap_pages())},
              {"swap cache", static_cast<double>(m_mm->total_swapcache_pages())}});
}

void Kernel::timeline_finish(timeline::Writer& tl) const {
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  for (const auto& t : m_tasks) {
    if (t->dead() || !t->tl_state) continue;
    if (t->bucket != hw::Charge::Compute && now > t->mark)
      timeline_state(*t, hw::charge_name(t->bucket), t->mark, now);
    if (t->on_cpu)
      tl.span(timeline::Cat::Sched, timeline::Group::Cores,
              tl.track(timeline::Group::Cores, fmt::format("core{}", t->cpu)),
              fmt::format("{} {}", t->pid, t->comm), t->core_since, now);
  }
}

bool Kernel::all_exited() const {
  return m_booted && m_live_users == 0;
}

uint64_t Kernel::frames_in_use() const {
  uint64_t n = 0;
  for (uint64_t pfn = 0; pfn < m_map->frames(); ++pfn) n += m_map->pfn_to_page(pfn)->count > 0;
  return n;
}

void Kernel::wakeup_kswapd(Zone& zone, unsigned order, KCtx& k) {
  if (!zone.populated()) return;
  if (m_alloc->zone_watermark_ok(zone, order, zone.pages_low, 0, 0)) return;
  m_kswapd_max_order = std::max(m_kswapd_max_order, order);
  if (!m_kswapd_wait.active()) return;
  ++m_kswapd_wakeups;
  m_kswapd_wait.wake_up(k.now());
}

void Kernel::kswapd_main(KCtx& k) {
  ReclaimState reclaim_state;  // kswapd(): tsk->reclaim_state = &reclaim_state, for its whole life
  k.task->reclaim_state = &reclaim_state;
  unsigned order = 0;
  for (;;) {
    // prepare_to_wait, then read and clear kswapd_max_order: a larger order asked meanwhile skips the
    // sleep; otherwise sleep until wakeup_kswapd and take the order it left.
    const unsigned new_order = m_kswapd_max_order;
    m_kswapd_max_order = 0;
    if (order < new_order) {
      order = new_order;
    } else {
      m_kswapd_wait.sleep(k, hw::Charge::Idle);
      order = m_kswapd_max_order;
    }
    {
      KernelSpan span(*k.task, "balance_pgdat", k);
      m_vmscan->balance_pgdat(order, k);
    }
    m_sched->check_resched(k);
  }
}

uint64_t Kernel::try_to_free_pages(const std::vector<Zone*>& zonelist, gfp_t gfp, KCtx& k) {
  // The allocating task's time goes to direct reclaim (its sleeps to their own buckets meanwhile).
  Task* t = k.task;
  const hw::Charge prev = t ? t->bucket : hw::Charge::Fault;
  if (t) t->account(hw::Charge::DirectReclaim, k.now());
  int progress;
  if (t) {
    KernelSpan span(*t, "direct reclaim", k);
    progress = m_vmscan->try_to_free_pages(zonelist, gfp, k);
  } else {
    progress = m_vmscan->try_to_free_pages(zonelist, gfp, k);
  }
  if (t) t->account(prev, k.now());
  return static_cast<uint64_t>(progress);
}

void Kernel::trace_span(const char* name, const sc_core::sc_time& begin, KCtx& k) {
  if (auto* tl = timeline::active(); tl && k.task && k.task->tl_kernel)
    tl->span(timeline::Cat::Kernel, timeline::Group::Tasks, k.task->tl_kernel, name, begin, k.now(), "");
}

void Kernel::blk_congestion_wait(const sc_core::sc_time& timeout, KCtx& k) {
  if (m_blk) {
    m_blk->blk_congestion_wait(true, timeout, k);
  } else {
    WaitQueue nobody;
    nobody.sleep(k, hw::Charge::CongestionWait, false, timeout);
  }
}

void Kernel::wakeup_pdflush(uint64_t nr, KCtx& k) {
  (void)k;
  // nr 0 (laptop mode) means every dirty page.
  if (nr == 0)
    nr = static_cast<uint64_t>(m_alloc->global_page_state(NR_FILE_DIRTY) +
                               m_alloc->global_page_state(NR_UNSTABLE_NFS));
  pdflush_operation([this, nr](KCtx& kk) { m_wb->background_writeout(static_cast<int64_t>(nr), kk); });
}

uint64_t Kernel::jiffies() const {
  return static_cast<uint64_t>(sc_core::sc_time_stamp() / m_sched->jiffy());
}

void Kernel::start_one_pdflush_thread() {
  auto p = std::make_unique<Pdflush>();
  Pdflush* me = p.get();
  m_pdflush.push_back(std::move(p));
  ++m_nr_pdflush_threads;  // counted by the thread itself in Linux, before it first sleeps
  me->thread = &kthread_run("pdflush", [this, me](KCtx& kk) { pdflush_main(*me, kk); });
  me->thread->flags |= PF_FLUSHER | PF_SWAPWRITE;
}

void Kernel::pdflush_main(Pdflush& me, KCtx& k) {
  // __pdflush.
  for (;;) {
    m_pdflush_list.push_front(&me);  // list_move(&my_work->list, &pdflush_list)
    me.when_i_went_to_sleep = jiffies();
    while (!me.fn) me.wq.sleep(k, hw::Charge::Idle);
    auto fn = std::move(me.fn);
    me.fn = nullptr;
    m_mm->cost(m_cfg.costs.work_item, k);
    fn(k);
    // Thread creation: no thread has been idle for a second.
    if (jiffies() - m_last_empty_jifs > m_cfg.hz && m_pdflush_list.empty() &&
        m_nr_pdflush_threads < kMaxPdflushThreads)
      start_one_pdflush_thread();
    m_sched->check_resched(k);
    // Thread destruction: the pool is above the minimum and its sleepiest thread has slept a second.
    if (m_pdflush_list.empty() || m_nr_pdflush_threads <= kMinPdflushThreads) continue;
    Pdflush* sleepiest = m_pdflush_list.back();
    if (jiffies() - sleepiest->when_i_went_to_sleep > m_cfg.hz) {
      sleepiest->when_i_went_to_sleep = jiffies();  // limit the exit rate
      break;
    }
  }
  --m_nr_pdflush_threads;
  kthread_exit(*me.thread, k);
}

int Kernel::pdflush_operation(std::function<void(KCtx&)> fn) {
  // The thread that went to sleep last takes it; -1 if none is idle.
  if (m_pdflush_list.empty()) return -1;
  Pdflush* pdf = m_pdflush_list.front();
  m_pdflush_list.pop_front();
  if (m_pdflush_list.empty()) m_last_empty_jifs = jiffies();
  pdf->fn = std::move(fn);
  pdf->wq.wake_up(sc_core::sc_time_stamp());
  return 0;
}

void Kernel::arm_wb_timer(const sc_core::sc_time& at) {
  // wb_timer_fn: wb_kupdate on a pdflush thread every dirty_writeback_centisecs; +1 s if none is idle.
  m_timers.add(at, [this] {
    const sc_core::sc_time start = sc_core::sc_time_stamp();
    const int r = pdflush_operation([this, start](KCtx& kk) {
      m_wb->wb_kupdate(kk);
      const sc_core::sc_time interval(10.0 * static_cast<double>(m_cfg.vm.dirty_writeback_centisecs),
                                      sc_core::SC_MS);
      arm_wb_timer(std::max(start + interval, kk.now() + sc_core::sc_time(1, sc_core::SC_SEC)));
    });
    if (r < 0) arm_wb_timer(sc_core::sc_time_stamp() + sc_core::sc_time(1, sc_core::SC_SEC));
  });
}

uint64_t Kernel::task_badness(const Task& t) const {
  BadnessInput in;
  in.has_mm = t.mm != nullptr;
  if (!in.has_mm) return 0;
  in.total_vm = t.mm->total_vm;
  for (const Task* c : t.children)
    if (!c->dead() && c->mm && c->mm != t.mm) in.children_total_vm.push_back(c->mm->total_vm);
  const auto& ch = t.charges();
  uint64_t cpu_fs = 0;
  for (hw::Charge c :
       {hw::Charge::Compute, hw::Charge::MemStall, hw::Charge::PageWalk, hw::Charge::Fault,
        hw::Charge::Syscall, hw::Charge::DirectReclaim, hw::Charge::KernelThread, hw::Charge::Irq})
    cpu_fs += ch[c];
  in.cpu_jiffies = cpu_fs / m_sched->jiffy().value();  // utime + stime as the tick samples them
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  in.run_seconds = static_cast<uint64_t>(now.to_seconds()) - static_cast<uint64_t>(t.start_time.to_seconds());
  in.nice = t.nice;
  in.sys_admin = t.privileged;
  in.oomkilladj = t.oomkilladj;
  return badness(in, static_cast<unsigned>(m_cfg.hz));
}

Task* Kernel::select_bad_process(uint64_t& points, bool& wait) {
  Task* chosen = nullptr;
  points = 0;
  wait = false;
  for (const auto& up : m_tasks) {
    Task& p = *up;
    if (p.is_kthread() || p.dead() || !p.mm) continue;  // kernel threads have no mm: badness 0, never chosen
    // 2.6.18 skips init (pid 1). The model has no init: the scenario's first process gets pid 1 but is
    // an ordinary process, so it may be chosen like any other.
    if (p.oomkilladj == OOM_DISABLE) continue;
    // A task already dying will free memory: wait for it rather than kill another.
    if (p.memdie || (p.flags & PF_EXITING)) {
      wait = true;
      return nullptr;
    }
    if (p.flags & PF_SWAPOFF) {
      points = ~0ull;
      return &p;
    }
    const uint64_t pts = task_badness(p);
    if (pts > points || !chosen) {
      chosen = &p;
      points = pts;
    }
  }
  return chosen;
}

void Kernel::oom_kill_task(Task& victim, KCtx& k) {
  // __oom_kill_task on every thread group sharing the mm: a full slice, TIF_MEMDIE (the reserves), SIGKILL.
  for (const auto& up : m_tasks) {
    Task& p = *up;
    if (p.dead() || p.mm != victim.mm) continue;
    p.time_slice = m_sched->jiffy() * static_cast<double>(m_cfg.hz);
    p.memdie = true;
    p.sigkill = true;
    if (p.on_cpu && &p != k.task) m_sched->kick_cpu(static_cast<unsigned>(p.cpu));
  }
}

bool Kernel::out_of_memory(const std::vector<Zone*>&, gfp_t, unsigned, KCtx& k) {
  // vm.panic_on_oom (2.6.18 sysctl_panic_on_oom): panic instead of choosing a victim. The run stops here.
  if (m_cfg.vm.panic_on_oom)
    throw std::runtime_error(fmt::format(
        "Kernel panic - not syncing: out of memory. panic_on_oom is selected (kernel.vm.panic_on_oom; task "
        "{} ({}) found no memory, {} pages free)",
        k.task ? k.task->pid : 0, k.task ? k.task->comm : std::string("-"), m_alloc->nr_free_pages()));
  uint64_t points = 0;
  bool wait = false;
  Task* victim = select_bad_process(points, wait);
  if (!wait) {
    if (!victim) return false;  // "Out of memory and no killable processes": the allocation fails
    // oom_kill_process: a child with its own mm goes first.
    Task* target = victim;
    for (Task* c : victim->children)
      if (!c->dead() && c->mm && c->mm != victim->mm) {
        target = c;
        break;
      }
    OomKill rec;
    rec.pid = target->pid;
    rec.comm = target->comm;
    rec.points = target == victim ? points : task_badness(*target);
    rec.free_pages = m_alloc->nr_free_pages();
    rec.time_fs = k.now().value();
    rec.invoker = k.task ? k.task->pid : 0;
    m_oom_kills.push_back(rec);
    log::info("OOM killer: killed task {} ({}) with badness {}; {} pages free", rec.pid, rec.comm, rec.points,
              rec.free_pages);
    oom_kill_task(*target, k);
  }
  // Give the victim time to exit (schedule_timeout_interruptible(1)) unless we are the victim.
  if (k.task && !k.task->memdie) m_sched->schedule_timeout_uninterruptible(k, m_sched->jiffy());
  return true;
}

void Kernel::congestion_wait(KCtx& k) {
  // blk_congestion_wait(WRITE, HZ/50).
  blk_congestion_wait(m_sched->jiffy() * static_cast<double>(std::max<uint64_t>(1, m_cfg.hz / 50)), k);
}

void Kernel::cond_resched(KCtx& k) {
  if (k.task) m_sched->check_resched(k);
}

void Kernel::add_task_stats(Task& t) {
  auto g = std::make_unique<stats::Group>(&m_task_stats, fmt::format("task{}", t.pid), t.comm);
  auto f = [&](std::string n, const char* unit, std::string desc, std::function<double()> fn) {
    m_stat_objs.push_back(
        std::make_unique<stats::Formula>(*g, std::move(n), unit, std::move(desc), std::move(fn)));
  };
  Task* p = &t;
  auto u = [](uint64_t v) { return static_cast<double>(v); };
  const double period = static_cast<double>(m_clk.period_fs());
  f("min_flt", "faults", "minor faults", [p, u] { return u(p->min_flt); });
  f("maj_flt", "faults", "major faults", [p, u] { return u(p->maj_flt); });
  f("maj_swap_flt", "faults", "major faults that read a swap slot", [p, u] { return u(p->maj_swap_flt); });
  f("cow_faults", "faults", "faults that copied a page", [p, u] { return u(p->cow_faults); });
  f("syscalls", "calls", "system calls", [p, u] { return u(p->syscalls); });
  f("nvcsw", "switches", "voluntary context switches (it slept)", [p, u] { return u(p->nvcsw); });
  f("nivcsw", "switches", "involuntary context switches (preempted)", [p, u] { return u(p->nivcsw); });
  f("killed", "", "1 if the task ended by a signal or for lack of memory",
    [p] { return p->dead() && p->exit_reason != "exit" && p->exit_reason != "end of program" ? 1.0 : 0.0; });
  f("start_cycle", "cycles", "CPU cycle at which the task was created",
    [p, period] { return static_cast<double>(p->start_time.value()) / period; });
  f("end_cycle", "cycles", "CPU cycle at which the task ended (0 while it lives)",
    [p, period] { return static_cast<double>(p->exit_time.value()) / period; });
  f("elapsed_cycles", "cycles",
    "cycles from its creation to its exit (or to now): the sum of the *_cycles below", [p, period] {
      const sc_core::sc_time end = p->end_time();
      return end > p->start_time ? static_cast<double>((end - p->start_time).value()) / period : 0.0;
    });
  for (unsigned c = 0; c < hw::kCharges; ++c) {
    const auto ch = static_cast<hw::Charge>(c);
    f(fmt::format("{}_cycles", hw::charge_name(ch)), "cycles",
      fmt::format("cycles of {}", hw::charge_name(ch)),
      [p, ch, period] { return static_cast<double>(p->charges_at(p->end_time())[ch]) / period; });
  }
  // Where reclaim time went (direct reclaim for a user task, balance_pgdat for kswapd0).
  Vmscan* vs = m_vmscan.get();
  auto part = [vs, p, period](uint64_t ReclaimSplit::*m) {
    auto it = vs->splits().find(p);
    return it == vs->splits().end() ? 0.0 : static_cast<double>(it->second.*m) / period;
  };
  f("reclaim_rmap_cycles", "cycles",
    "reclaim: page_referenced rmap walks and A-bit clears (shootdowns apart)",
    [part] { return part(&ReclaimSplit::rmap); });
  f("reclaim_shootdown_cycles", "cycles", "reclaim: TLB flushes of page_referenced and try_to_unmap",
    [part] { return part(&ReclaimSplit::shootdown); });
  f("reclaim_unmap_cycles", "cycles", "reclaim: try_to_unmap (shootdowns apart)",
    [part] { return part(&ReclaimSplit::unmap); });
  f("reclaim_writeback_cycles", "cycles", "reclaim: pageout's writepage submissions",
    [part] { return part(&ReclaimSplit::writeback); });
  f("reclaim_scan_cycles", "cycles",
    "reclaim: LRU scanning and the rest (direct_reclaim_cycles, or kernel_cycles for kswapd0, minus the "
    "parts above)",
    [p, part, period] {
      const double all =
          static_cast<double>(
              p->charges()[p->is_kthread() ? hw::Charge::KernelThread : hw::Charge::DirectReclaim]) /
          period;
      return all - part(&ReclaimSplit::rmap) - part(&ReclaimSplit::shootdown) - part(&ReclaimSplit::unmap) -
             part(&ReclaimSplit::writeback);
    });
  f("reclaim_congestion_cycles", "cycles",
    "reclaim: asleep in blk_congestion_wait and throttle_vm_writeout (part of congestion_wait_cycles)",
    [part] { return part(&ReclaimSplit::congestion); });
  f("reclaim_freed", "pages", "pages this task reclaimed from the LRU", [vs, p] {
    auto it = vs->splits().find(p);
    return it == vs->splits().end() ? 0.0 : static_cast<double>(it->second.freed);
  });
  // utime/stime in jiffies, as the tick would have sampled them.
  const double jiffy = static_cast<double>(m_sched->jiffy().value());
  f("utime", "jiffies", "user time (compute, memory stall, page walk)", [p, jiffy] {
    const auto c = p->charges_at(p->end_time());
    return std::floor(
        static_cast<double>(c[hw::Charge::Compute] + c[hw::Charge::MemStall] + c[hw::Charge::PageWalk]) /
        jiffy);
  });
  f("stime", "jiffies", "system time (faults, system calls, reclaim, kernel-thread work, interrupts)",
    [p, jiffy] {
      const auto c = p->charges_at(p->end_time());
      return std::floor(static_cast<double>(c[hw::Charge::Fault] + c[hw::Charge::Syscall] +
                                            c[hw::Charge::DirectReclaim] + c[hw::Charge::KernelThread] +
                                            c[hw::Charge::Irq]) /
                        jiffy);
    });
  m_task_groups.push_back(std::move(g));
}

}  // namespace pc::kernel
