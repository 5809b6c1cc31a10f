// Per-core choice of translation unit.
#include "platform/soc/mmu_factory.h"

#include <fmt/format.h>

#include <sstream>
#include <vector>

#include "cosim/diff_checker.h"

namespace pc::soc {

namespace {

std::vector<bool> rtl_cores(const std::string& spec, uint64_t cores) {
  std::vector<bool> on(cores, spec == "all");
  if (spec == "all") return on;
  std::stringstream ss(spec);
  std::string tok;
  bool any = false;
  while (std::getline(ss, tok, ',')) {
    size_t used = 0;
    unsigned long c = 0;
    try {
      c = std::stoul(tok, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != tok.size() || c >= cores)
      throw cfg::ConfigError(
          fmt::format("key 'mmu.rtl.cores': '{}' is not a core number below cpu.cores ({}); expected "
                      "\"all\" or a list such as \"0,2\"",
                      tok, cores));
    on[c] = any = true;
  }
  if (!any) throw cfg::ConfigError("key 'mmu.rtl.cores': empty; expected \"all\" or a list such as \"0,2\"");
  return on;
}

}  // namespace

mmu::TranslatorFactory make_translator_factory(const PlatformConfig& cfg, const mem::BackingStore& store) {
  if (cfg.mmu.impl == mmu::MmuImpl::Cpp) return {};
  if (cfg.cpu.paging != "on")
    throw cfg::ConfigError(
        "key 'mmu.impl': rtl translates with paging on (cpu.paging = on, e.g. --preset nehalem)");
  const std::vector<bool> on = rtl_cores(cfg.mmu.rtl.cores, cfg.cpu.cores);
  const mmu::RtlConfig rc = cfg.mmu.rtl;
  if (rc.wave_to_ns && rc.wave_to_ns <= rc.wave_from_ns)
    throw cfg::ConfigError(fmt::format("key 'mmu.rtl.wave_to_ns': {} is not after mmu.rtl.wave_from_ns ({})",
                                       rc.wave_to_ns, rc.wave_from_ns));
  const mem::BackingStore* mem = &store;
  return [on, rc, mem](unsigned core, const mmu::MmuConfig& mc, const ClockDomain& clk,
                       tlm::tlm_initiator_socket<>& sock,
                       stats::Group& core_stats) -> std::unique_ptr<mmu::Translator> {
    if (core >= on.size() || !on[core]) return nullptr;  // this core keeps the C++ Mmu
    auto model = cosim::make_mmu_model("nehalem");
    auto rtl = std::make_unique<cosim::RtlMmu>(core, mc, clk, std::move(model), sock, core_stats);
    if (!rc.wave.empty())
      rtl->open_wave(cosim::RtlMmu::wave_path_for_core(rc.wave, core),
                     sc_core::sc_time(static_cast<double>(rc.wave_from_ns), sc_core::SC_NS),
                     sc_core::sc_time(static_cast<double>(rc.wave_to_ns), sc_core::SC_NS));
    if (!rc.check) return rtl;
    auto checker = std::make_unique<cosim::DiffChecker>(
        core, mc, clk, std::move(rtl),
        [mem](uint64_t pa) {
          uint64_t v = ~0ull;
          if (mem->contains(pa, 8)) mem->read(pa, reinterpret_cast<uint8_t*>(&v), 8);
          return v;
        },
        core_stats);
    checker->set_stop_on_divergence(rc.stop_on_divergence);
    return checker;
  };
}

}  // namespace pc::soc
