// The modeled kernel: boot, tasks, scheduling, system calls and the page-fault entry.
#include "kernel_model/kernel.h"

#include <algorithm>
#include <fmt/format.h>

#include "platform/core/log.h"
#include "platform/hwdefs/paging.h"

namespace pc::kernel {

namespace pg = hw::paging;

namespace {
constexpr int64_t kENOMEM = 12, kEINVAL = 22, kEBADF = 9, kENOSYS = 38, kEFAULT = 14;
constexpr uint64_t kInitialBrk = 0x0000000001000000ull;  // 16 MiB: where the heap of every process starts
constexpr uint64_t kInitialStack = 128 * 1024;
}  // namespace

Kernel::Kernel(sc_core::sc_module_name name, const KernelConfig& cfg, uint64_t managed_bytes, unsigned cpus,
               const ClockDomain& cpu_clk, KernelBus& bus, ArchOps& arch, stats::Group& kernel_stats)
    : sc_module(name),
      m_cfg(cfg),
      m_clk(cpu_clk),
      m_bus(bus),
      m_cpus(cpus),
      m_map(std::make_unique<MemMap>(managed_bytes >> kPageShift)),
      m_alloc(std::make_unique<PageAllocator>(*m_map, cpus, (cfg.reserved_kib * 1024 + kPageSize - 1) >> kPageShift)),
      m_lru(std::make_unique<Lru>(*m_alloc, cpus)),
      m_mm(std::make_unique<MemoryManager>(bus, *m_lru, arch, cfg.costs)),
      m_timeslice_cycles(static_cast<uint64_t>(cfg.timeslice_us * cpu_clk.mhz())),
      m_current(cpus, nullptr),
      m_stats(kernel_stats),
      m_fault_lat(&m_stats, "fault_latency", "page faults from entry to return, every wait included"),
      m_lat_minor(m_fault_lat, "minor", "cycles", "faults that allocated or mapped a page without I/O or a copy"),
      m_lat_cow(m_fault_lat, "cow", "cycles", "faults that copied a page (copy-on-write)"),
      m_lat_major(m_fault_lat, "major", "cycles", "faults that started a read (to the point the task slept)"),
      m_vmstat(&m_stats, "vmstat", "Linux /proc/vmstat counters"),
      m_task_stats(&m_stats, "tasks", "per-task counters and cycle attribution") {
  m_mm->set_cpu_clock(cpu_clk.period(), cpus);
  m_mm->set_readahead_pages(cfg.readahead_kib / 4);
  m_alloc->set_reclaim_hooks(this);
  m_mm->set_page_unlock_hook([this](Page* p, uint64_t at) { on_page_unlocked(p, at); });
  auto formula = [&](stats::Group& g, const char* n, const char* unit, const char* desc, std::function<double()> f) {
    m_stat_objs.push_back(std::make_unique<stats::Formula>(g, n, unit, desc, std::move(f)));
  };
  auto u = [](uint64_t v) { return static_cast<double>(v); };
  const MmStats& ms = m_mm->stats();
  const AllocStats& as = m_alloc->stats();
  const LruStats& ls = m_lru->stats();
  formula(m_vmstat, "pgfault", "faults", "page faults handled", [&ms, u] { return u(ms.pgfault); });
  formula(m_vmstat, "pgmajfault", "faults", "faults that needed I/O", [&ms, u] { return u(ms.pgmajfault); });
  formula(m_vmstat, "pgalloc_dma", "pages", "pages allocated from ZONE_DMA", [&as, u] { return u(as.pgalloc[ZONE_DMA]); });
  formula(m_vmstat, "pgalloc_dma32", "pages", "pages allocated from ZONE_DMA32", [&as, u] { return u(as.pgalloc[ZONE_DMA32]); });
  formula(m_vmstat, "pgalloc_normal", "pages", "pages allocated from ZONE_NORMAL", [&as, u] { return u(as.pgalloc[ZONE_NORMAL]); });
  formula(m_vmstat, "pgfree", "pages", "pages freed", [&as, u] { return u(as.pgfree); });
  formula(m_vmstat, "pgactivate", "pages", "pages moved to the active list", [&ls, u] { return u(ls.pgactivate); });
  formula(m_vmstat, "pgdeactivate", "pages", "pages moved to the inactive list", [&ls, u] { return u(ls.pgdeactivate); });
  formula(m_vmstat, "allocstall", "events", "entries into direct reclaim", [&as, u] { return u(as.allocstall); });
  formula(m_vmstat, "oom_kill", "tasks", "tasks killed by the OOM killer (none before reclaim lands)", [] { return 0.0; });
  formula(m_vmstat, "nr_free_pages", "pages", "free pages (buddy and per-CPU lists)",
          [this, u] { return u(m_alloc->nr_free_pages()); });
  formula(m_vmstat, "nr_active", "pages", "pages on the active lists", [this, u] {
    uint64_t n = 0;
    for (unsigned z = 0; z < MAX_NR_ZONES; ++z) n += m_alloc->zone(z).nr_active;
    return u(n);
  });
  formula(m_vmstat, "nr_inactive", "pages", "pages on the inactive lists", [this, u] {
    uint64_t n = 0;
    for (unsigned z = 0; z < MAX_NR_ZONES; ++z) n += m_alloc->zone(z).nr_inactive;
    return u(n);
  });
  formula(m_vmstat, "nr_page_table_pages", "pages", "frames holding page tables",
          [this, u] { return u(m_mm->page_table_pages()); });
  formula(m_stats, "cow_copies", "faults", "copy-on-write faults that copied a page", [&ms, u] { return u(ms.cow_copies); });
  formula(m_stats, "cow_reuses", "faults", "write faults on a read-only page mapped once (no copy)",
          [&ms, u] { return u(ms.cow_reuses); });
  formula(m_stats, "zero_page_maps", "faults", "read faults that mapped the zero page", [&ms, u] { return u(ms.zero_page_maps); });
  formula(m_stats, "file_faults", "faults", "faults on file mappings", [&ms, u] { return u(ms.file_faults); });
  formula(m_stats, "segv", "faults", "faults that ended a task with SIGSEGV", [&ms, u] { return u(ms.segv); });
  formula(m_stats, "oom", "faults", "faults that found no memory (the task ends)", [&ms, u] { return u(ms.oom); });
  formula(m_stats, "forks", "calls", "successful forks", [&ms, u] { return u(ms.forks); });
  formula(m_stats, "tlb_page_flushes", "calls", "flush_tlb_page calls", [&ms, u] { return u(ms.tlb_page_flushes); });
  formula(m_stats, "tlb_mm_flushes", "calls", "flush_tlb_mm calls", [&ms, u] { return u(ms.tlb_mm_flushes); });
  formula(m_stats, "kswapd_wakeups", "calls", "wakeup_kswapd calls from the allocator", [this, u] { return u(m_kswapd_wakeups); });
  formula(m_stats, "min_free_kbytes", "KiB", "vm.min_free_kbytes computed at boot",
          [this, u] { return u(m_alloc->min_free_kbytes()); });
  SC_THREAD(init_thread);
  SC_METHOD(wake_due);
  sensitive << m_wake_queue;
  dont_initialize();
}

Kernel::~Kernel() = default;

uint64_t Kernel::register_file(const std::string& name, std::unique_ptr<FileBacking> backing) {
  auto f = std::make_unique<File>();
  f->name = name;
  f->backing = std::move(backing);
  f->mapping.host = f.get();
  m_files.push_back(std::move(f));
  return m_files.size() - 1;
}

void Kernel::spawn(const std::string& name, std::unique_ptr<hw::ExecContext> ctx, sc_core::sc_time start) {
  auto t = std::make_unique<Task>();
  t->pid = m_next_pid++;
  t->name = name;
  t->ctx = std::move(ctx);
  t->start_time = start;
  add_task_stats(*t);
  m_tasks.push_back(std::move(t));
}

void Kernel::add_task_stats(Task& t) {
  auto g = std::make_unique<stats::Group>(&m_task_stats, fmt::format("task{}", t.pid), t.name);
  auto f = [&](const char* n, const char* unit, const char* desc, std::function<double()> fn) {
    m_stat_objs.push_back(std::make_unique<stats::Formula>(*g, n, unit, desc, std::move(fn)));
  };
  Task* p = &t;
  auto u = [](uint64_t v) { return static_cast<double>(v); };
  f("min_flt", "faults", "minor faults", [p, u] { return u(p->min_flt); });
  f("maj_flt", "faults", "major faults", [p, u] { return u(p->maj_flt); });
  f("cow_faults", "faults", "faults that copied a page", [p, u] { return u(p->cow_faults); });
  f("syscalls", "calls", "system calls", [p, u] { return u(p->syscalls); });
  f("switches", "switches", "times scheduled onto a core", [p, u] { return u(p->switches); });
  f("killed", "", "1 if the task ended by a signal or for lack of memory", [p] {
    return p->state == Task::State::Dead && p->exit_reason != "exit" && p->exit_reason != "end of program" ? 1.0 : 0.0;
  });
  f("end_cycle", "cycles", "CPU cycle at which the task ended", [p, u] { return u(p->end_cycle); });
  f("compute_cycles", "cycles", "cycles in compute operations", [p, u] { return u(p->ctx->charges.compute); });
  f("mem_stall_cycles", "cycles", "cycles stalled on memory", [p, u] { return u(p->ctx->charges.mem_stall); });
  f("page_walk_cycles", "cycles", "cycles in page walks", [p, u] { return u(p->ctx->charges.page_walk); });
  f("fault_cycles", "cycles", "cycles in page-fault handling", [p, u] { return u(p->ctx->charges.fault); });
  f("syscall_cycles", "cycles", "cycles in system calls", [p, u] { return u(p->ctx->charges.syscall); });
  f("io_wait_cycles", "cycles", "cycles blocked on I/O", [p, u] { return u(p->ctx->charges.io_wait); });
  f("runnable_wait_cycles", "cycles", "cycles ready but waiting for a core", [p, u] { return u(p->ctx->charges.runnable_wait); });
  m_task_groups.push_back(std::move(g));
}

void Kernel::boot(KCtx& k) {
  m_mm->init_zero_page(k);
  m_booted = true;
}

bool Kernel::exec(Task& t, KCtx& k) {
  t.mm = m_mm->mm_alloc(k);
  if (!t.mm) return false;
  t.mm->start_brk = t.mm->brk = kInitialBrk;
  m_mm->setup_stack(*t.mm, kInitialStack, k);
  return true;
}

void Kernel::init_thread() {
  KCtx k{0, sc_core::SC_ZERO_TIME};
  boot(k);
  wait(k.delay);
  std::vector<Task*> order;
  for (auto& t : m_tasks) order.push_back(t.get());
  std::stable_sort(order.begin(), order.end(), [](Task* a, Task* b) { return a->start_time < b->start_time; });
  for (Task* t : order) {
    if (t->start_time > sc_core::sc_time_stamp()) wait(t->start_time - sc_core::sc_time_stamp());
    k.delay = sc_core::SC_ZERO_TIME;
    m_lock.lock();
    const bool ok = exec(*t, k);
    m_lock.unlock();
    if (!ok) {
      t->state = Task::State::Dead;
      t->exit_reason = "out of memory at exec";
      continue;
    }
    wait(k.delay);
    make_runnable(*t);
  }
  m_wakeup.notify(sc_core::SC_ZERO_TIME);  // idle cores re-check whether anything is left to run
}

void Kernel::make_runnable(Task& t) {
  t.state = Task::State::Runnable;
  t.ready_since = sc_core::sc_time_stamp();
  m_runqueue.push_back(&t);
  m_wakeup.notify(sc_core::SC_ZERO_TIME);
}

bool Kernel::all_exited() const {
  for (const auto& t : m_tasks)
    if (t->state != Task::State::Dead) return false;
  return true;
}

Task* Kernel::task_of(const hw::ExecContext& ctx) const {
  for (const auto& t : m_tasks)
    if (t->ctx.get() == &ctx) return t.get();
  return nullptr;
}

hw::ExecContext* Kernel::pick_next(unsigned core) {
  m_current.at(core) = nullptr;
  while (m_runqueue.empty()) {
    if (all_exited() && m_booted) return nullptr;
    wait(m_wakeup);
  }
  Task* t = m_runqueue.front();
  m_runqueue.pop_front();
  t->state = Task::State::Running;
  ++t->switches;
  t->ctx->charges.runnable_wait += to_cycles(sc_core::sc_time_stamp() - t->ready_since);
  m_current[core] = t;
  KCtx k{core, sc_core::SC_ZERO_TIME};
  {
    KernelLock bkl(m_lock);
    m_mm->switch_mm(core, t->mm.get(), k);
  }
  k.delay += m_clk.cycles(m_cfg.costs.context_switch);
  wait(k.delay);  // the switch runs on this core before the task's first operation
  return t->ctx.get();
}

void Kernel::do_exit(Task& t, const std::string& reason, KCtx& k) {
  if (t.mm) {
    for (unsigned c = 0; c < m_cpus; ++c)
      if (m_mm->current_mm(c) == t.mm.get()) m_mm->switch_mm(c, nullptr, k);
    m_mm->exit_mmap(*t.mm, k);
    t.mm.reset();
  }
  m_lru->lru_add_drain(k.cpu);
  t.state = Task::State::Dead;
  t.exit_reason = reason;
  t.end_cycle = to_cycles(sc_core::sc_time_stamp() + k.delay);
  if (reason != "exit" && reason != "end of program") log::info("task {} ({}) ended: {}", t.pid, t.name, reason);
  m_wakeup.notify(sc_core::SC_ZERO_TIME);
}

void Kernel::context_ended(unsigned core, hw::ExecContext& ctx) {
  KernelLock bkl(m_lock);
  Task* t = current(core);
  if (!t || t->ctx.get() != &ctx) throw std::logic_error("context_ended: not the current task");
  KCtx k{core, sc_core::SC_ZERO_TIME};
  do_exit(*t, "end of program", k);
  wait(k.delay);
}

hw::TrapResult Kernel::timer_interrupt(unsigned core, hw::ExecContext&) {
  Task* t = current(core);
  if (!t || m_runqueue.empty()) return {};
  make_runnable(*t);  // round robin: to the back of the queue
  return {hw::TrapAction::Reschedule, 0};
}

hw::TrapResult Kernel::block_on_page(Task& t, Page* page, KCtx& k) {
  // The read may already have completed (an error completes at once): then just re-execute.
  if (!page->test(PG_locked)) return finish(k, hw::TrapAction::Resume);
  t.state = Task::State::Blocked;
  t.blocked_since = sc_core::sc_time_stamp() + k.delay;
  m_page_waiters[page].push_back(&t);
  return finish(k, hw::TrapAction::Reschedule);
}

void Kernel::on_page_unlocked(Page* page, uint64_t completed_fs) {
  auto it = m_page_waiters.find(page);
  if (it == m_page_waiters.end()) return;
  const uint64_t now = sc_core::sc_time_stamp().value();
  for (Task* t : it->second) m_pending_wakes.emplace_back(completed_fs, t);
  m_page_waiters.erase(it);
  m_wake_queue.notify(sc_core::sc_time::from_value(completed_fs > now ? completed_fs - now : 0));
}

void Kernel::wake_due() {
  const uint64_t now = sc_core::sc_time_stamp().value();
  for (size_t i = 0; i < m_pending_wakes.size();) {
    if (m_pending_wakes[i].first > now) {
      ++i;
      continue;
    }
    Task* t = m_pending_wakes[i].second;
    t->ctx->charges.io_wait += to_cycles(sc_core::sc_time_stamp() - t->blocked_since);
    make_runnable(*t);
    m_pending_wakes.erase(m_pending_wakes.begin() + static_cast<std::ptrdiff_t>(i));
  }
}

hw::TrapResult Kernel::page_fault(unsigned core, hw::ExecContext& ctx, uint64_t cr2, uint32_t error_code) {
  KernelLock bkl(m_lock);
  Task* t = current(core);
  if (!t || t->ctx.get() != &ctx) throw std::logic_error("page_fault: not the current task");
  KCtx k{core, sc_core::SC_ZERO_TIME};
  k.retry = t->fault_retry;
  t->fault_retry = false;
  const sc_core::sc_time entered = sc_core::sc_time_stamp();
  const FaultResult r = m_mm->handle_mm_fault(*t->mm, cr2, error_code & pg::kPfWrite, error_code & pg::kPfFetch, k);
  t->cow_faults += k.cow_copies;
  if (!k.retry && (r == FaultResult::Minor || r == FaultResult::Major || r == FaultResult::Blocked)) {
    const double cyc = m_clk.to_cycles_exact(sc_core::sc_time_stamp() + k.delay - entered);
    (k.major ? m_lat_major : k.cow_copies ? m_lat_cow : m_lat_minor).sample(cyc);
  }
  hw::TrapAction action = hw::TrapAction::Resume;
  switch (r) {
    case FaultResult::Minor:
      if (!k.retry) ++t->min_flt;
      break;
    case FaultResult::Major: ++t->maj_flt; break;
    case FaultResult::Blocked: {
      // The fault is counted once, here: major if this fault started the read, minor if it waits for
      // another task's read of the same page. The re-executed fault is not counted again.
      ++(k.major ? t->maj_flt : t->min_flt);
      t->fault_retry = true;
      const auto res = block_on_page(*t, k.wait_page, k);
      ctx.charges.fault += res.cycles;
      return res;
    }
    case FaultResult::SigSegv:
      do_exit(*t, fmt::format("SIGSEGV at 0x{:x} (error code 0x{:x})", cr2, error_code), k);
      action = hw::TrapAction::Reschedule;
      break;
    case FaultResult::SigBus:
      do_exit(*t, fmt::format("SIGBUS at 0x{:x}", cr2), k);
      action = hw::TrapAction::Reschedule;
      break;
    case FaultResult::Oom:
      do_exit(*t, fmt::format("out of memory at 0x{:x} (no page reclaim yet)", cr2), k);
      action = hw::TrapAction::Reschedule;
      break;
  }
  const auto res = finish(k, action);
  ctx.charges.fault += res.cycles;
  return res;
}

int64_t Kernel::sys_rw(Task& t, bool write, uint64_t fd, uint64_t offset, uint64_t len, uint64_t buf, KCtx& k) {
  if (fd >= m_files.size()) return -kEBADF;
  File& f = *m_files[fd];
  const uint64_t size = f.backing->size_pages() << kPageShift;
  if (offset >= size) return 0;  // files do not grow in this model
  len = std::min(len, size - offset);
  uint64_t done = 0;
  while (done < len) {
    const uint64_t pos = offset + done;
    const uint64_t index = pos >> kPageShift;
    bool major = false;
    Page* page = m_mm->page_cache_read(f, index, major, k);
    if (major) ++t.maj_flt;
    if (!page && k.wait_page) return 0;  // the caller sleeps; the call restarts when the page is read
    if (!page) return done ? static_cast<int64_t>(done) : -kENOMEM;
    // One mark_page_accessed per page, not per call (spec §3.2).
    if (index != f.last_read_index) m_lru->mark_page_accessed(page);
    f.last_read_index = index;
    // The user side: fault the page in (writable for a read into it), then copy through the bus.
    const uint64_t uva = buf + done;
    uint64_t pte = m_mm->read_pte(*t.mm, uva, k);
    if (!(pte & pg::kP) || (!write && !(pte & pg::kRW))) {
      if (m_mm->handle_mm_fault(*t.mm, uva, !write, false, k) != FaultResult::Minor) return -kEFAULT;
      pte = m_mm->read_pte(*t.mm, uva, k);
    }
    const uint64_t n = std::min({len - done, kPageSize - (pos & (kPageSize - 1)), kPageSize - (uva & (kPageSize - 1)),
                                 uint64_t{64} - (uva & 63)});
    const uint64_t cache_pa = m_map->page_to_phys(page) + (pos & (kPageSize - 1));
    const uint64_t user_pa = pg::frame_of(pte) | (uva & (kPageSize - 1));
    uint8_t line[64];
    m_bus.read(write ? user_pa : cache_pa, line, static_cast<unsigned>(n), k);
    m_bus.write(write ? cache_pa : user_pa, line, static_cast<unsigned>(n), k);
    if (write) page->set(PG_dirty);  // written back by reclaim or writeback later
    done += n;
  }
  return static_cast<int64_t>(done);
}

hw::TrapResult Kernel::syscall(unsigned core, hw::ExecContext& ctx, const hw::Op& op) {
  KernelLock bkl(m_lock);
  Task* t = current(core);
  if (!t || t->ctx.get() != &ctx) throw std::logic_error("syscall: not the current task");
  KCtx k{core, sc_core::SC_ZERO_TIME};
  k.delay += m_clk.cycles(m_cfg.costs.syscall_entry);
  ++t->syscalls;
  const uint64_t* a = op.args;
  int64_t ret = -kENOSYS;
  hw::TrapAction action = hw::TrapAction::Resume;
  switch (op.nr) {
    case hw::Syscall::Mmap: {
      File* f = nullptr;
      if (!(a[3] & MAP_ANONYMOUS)) {
        if (a[4] >= m_files.size()) {
          ret = -kEBADF;
          break;
        }
        f = m_files[a[4]].get();
      }
      ret = m_mm->do_mmap(*t->mm, a[0], a[1], static_cast<uint32_t>(a[2]), static_cast<uint32_t>(a[3]), f, a[5], k);
      break;
    }
    case hw::Syscall::Munmap: ret = m_mm->do_munmap(*t->mm, a[0], a[1], k); break;
    case hw::Syscall::Mprotect: ret = m_mm->do_mprotect(*t->mm, a[0], a[1], static_cast<uint32_t>(a[2]), k); break;
    case hw::Syscall::Brk: ret = m_mm->do_brk(*t->mm, a[0], k); break;
    case hw::Syscall::Read: ret = sys_rw(*t, false, a[0], a[3], a[2], a[1], k); break;
    case hw::Syscall::Write: ret = sys_rw(*t, true, a[0], a[3], a[2], a[1], k); break;
    case hw::Syscall::Fork: {
      k.delay += m_clk.cycles(m_cfg.costs.fork_base);
      auto child_ctx = ctx.fork_child(a[0]);
      if (!child_ctx) {
        ret = -kEINVAL;
        break;
      }
      auto child_mm = m_mm->dup_mm(*t->mm, k);
      if (!child_mm) {
        ret = -kENOMEM;
        break;
      }
      auto c = std::make_unique<Task>();
      c->pid = m_next_pid++;
      c->ppid = t->pid;
      c->name = fmt::format("{}-child{}", t->name, c->pid);
      c->mm = std::move(child_mm);
      c->ctx = std::move(child_ctx);
      c->start_time = sc_core::sc_time_stamp() + k.delay;
      add_task_stats(*c);
      Task* child = c.get();
      m_tasks.push_back(std::move(c));
      make_runnable(*child);
      ret = child->pid;
      break;
    }
    case hw::Syscall::Exit:
      ctx.retire(nullptr, hw::AccessStatus::Ok);
      do_exit(*t, "exit", k);
      return finish(k, hw::TrapAction::Reschedule);
    case hw::Syscall::Yield:
      ret = 0;
      if (!m_runqueue.empty()) {
        make_runnable(*t);
        action = hw::TrapAction::Reschedule;
      }
      break;
    default:
      break;
  }
  if (k.wait_page) {
    // The call slept on a page read: it is not retired and runs again from the start when the task
    // wakes (the pages it already brought in are page-cache hits then).
    const auto res = block_on_page(*t, k.wait_page, k);
    ctx.charges.syscall += res.cycles;
    return res;
  }
  ctx.retire(reinterpret_cast<const uint8_t*>(&ret), hw::AccessStatus::Ok);
  const auto res = finish(k, action);
  ctx.charges.syscall += res.cycles;
  return res;
}

uint64_t Kernel::frames_in_use() const {
  uint64_t n = 0;
  for (uint64_t pfn = 0; pfn < m_map->frames(); ++pfn) n += m_map->pfn_to_page(pfn)->count > 0;
  return n;
}

}  // namespace pc::kernel
