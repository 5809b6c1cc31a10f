// Soak: one platform run for a long simulated time (built in the ASan build it runs under ASan+UBSan),
// then the invariants that must hold however long it ran: 0 data errors, 0 bus errors, and where the
// modeled kernel runs, every frame accounted for (free + in use = present) with no page table left once
// every task has exited, and every swap slot accounted for. Arguments: --preset NAME and --set PATH=VALUE, as
// pagecycle takes them. The runs are listed in tests/fuzz/CMakeLists.txt (PC_SOAK_RUNS), one line each, label
// `slow`.
#include <fmt/format.h>

#include <cstdio>
#include <string>
#include <systemc>
#include <vector>

#include "platform/core/clock.h"
#include "platform/soc/soc.h"
#include "tests/support/soc_helpers.h"

int sc_main(int argc, char** argv) {
  pc::init_time_resolution();
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  std::vector<std::string> presets, sets;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--preset") {
      presets.emplace_back(argv[i + 1]);
    } else if (flag == "--set") {
      sets.emplace_back(argv[i + 1]);
    } else {
      std::fprintf(stderr, "usage: %s [--preset NAME | --set PATH=VALUE]...\n", argv[0]);
      return 2;
    }
  }
  pc::soc::Soc soc(pc::test::resolve_config(presets, "", sets));
  soc.run(false);
  int passes = 0, failures = 0;
  auto check = [&](bool ok, const std::string& what) {
    std::printf("%s %s\n", ok ? "ok  " : "FAIL", what.c_str());
    (ok ? passes : failures) += 1;
  };
  const auto& c = soc.config();
  std::printf("%llu simulated cycles (%.3f ms), %llu memory accesses, %.1f s host\n",
              static_cast<unsigned long long>(soc.sim_cycles()),
              static_cast<double>(soc.sim_cycles()) / c.clocks.cpu_mhz / 1e3,
              static_cast<unsigned long long>(soc.mem_accesses()), soc.host_seconds());
  check(soc.mem_accesses() > 0, "the workload ran");
  if (c.workload.data_check) {
    check(pc::test::stat_of(soc, "summary.reads_checked") > 0, "reads were checked");
    check(soc.data_errors() == 0, fmt::format("0 data errors (got {})", soc.data_errors()));
  }
  check(pc::test::stat_of(soc, "summary.bus_errors") == 0, "0 bus errors");
  if (auto* os = soc.os()) {
    pc::kernel::KCtx kc;
    os->lru().lru_add_drain_all(kc);
    os->allocator().drain_all_pages();
    const uint64_t free = os->allocator().nr_free_pages(), used = os->frames_in_use();
    check(free + used == os->allocator().total_present(),
          fmt::format("frames conserved: {} free + {} in use = {} present", free, used,
                      os->allocator().total_present()));
    check(pc::test::stat_of(soc, "kernel.vmstat.nr_page_table_pages") == 0,
          "no page table left after every exit");
    // Swap slots: once every task has exited no PTE holds a swap entry, so the only slots still in use
    // are those of pages left in the swap cache (reclaim frees them lazily, as 2.6.18 does).
    const double total = pc::test::stat_of(soc, "kernel.swap.total_swap_pages");
    if (total > 0) {
      const double nr_free = pc::test::stat_of(soc, "kernel.swap.nr_swap_pages"),
                   cached = pc::test::stat_of(soc, "kernel.swap.swapcache_pages");
      check(nr_free + cached == total,
            fmt::format("swap slots conserved: {} free + {} in the swap cache = {} total", nr_free, cached,
                        total));
      check(pc::test::stat_of(soc, "kernel.swap.read_errors") +
                    pc::test::stat_of(soc, "kernel.swap.write_errors") ==
                0,
            "0 swap I/O errors");
    }
  }
  std::printf("%d passed, %d failed\n", passes, failures);
  return failures ? 1 : 0;
}
