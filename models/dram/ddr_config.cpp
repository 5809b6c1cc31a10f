// DDR configuration: field descriptions and cross-field checks.
#include "models/dram/ddr_config.h"

#include <fmt/format.h>

namespace pc::dram {

void OrgConfig::describe(cfg::Visitor& v) {
  v.u64("channels", channels, "", "independent channels (DDR5: one per 32-bit subchannel)", 1, 16);
  v.u64("ranks", ranks, "", "ranks per channel", 1, 8);
  v.u64("bank_groups", bank_groups, "", "bank groups per rank", 1, 16);
  v.u64("banks_per_group", banks_per_group, "", "banks per bank group", 1, 16);
  v.u64("rows", rows, "", "rows per bank", 2, 1ull << 20);
  v.u64("columns", columns, "", "columns per row, in device-width units", 8, 1ull << 16);
  v.u64("bus_width", bus_width, "bits", "data bus width of one channel", 8, 128);
  v.u64("burst_length", burst_length, "beats", "burst length BL (data takes BL/2 cycles)", 2, 32);
}

void TimingConfig::describe(cfg::Visitor& v) {
  v.f64("clock_mhz", clock_mhz, "MHz", "DRAM command clock (tCK = 1/f; data rate is twice this)", 100, 10000);
  const uint64_t M = 1u << 20;
  v.u64("cl", cl, "tCK", "CAS (read) latency", 1, 1000);
  v.u64("cwl", cwl, "tCK", "CAS write latency", 1, 1000);
  v.u64("trcd", trcd, "tCK", "ACT to RD/WR", 1, 1000);
  v.u64("trp", trp, "tCK", "PRE to ACT", 1, 1000);
  v.u64("tras", tras, "tCK", "ACT to PRE", 1, 1000);
  v.u64("trc", trc, "tCK", "ACT to ACT, same bank", 1, 2000);
  v.u64("trrd_s", trrd_s, "tCK", "ACT to ACT, different bank group", 1, 1000);
  v.u64("trrd_l", trrd_l, "tCK", "ACT to ACT, same bank group", 1, 1000);
  v.u64("tfaw", tfaw, "tCK", "four-activate window per rank", 1, 1000);
  v.u64("tccd_s", tccd_s, "tCK", "RD to RD / WR to WR, different bank group", 1, 1000);
  v.u64("tccd_l", tccd_l, "tCK", "RD to RD / WR to WR, same bank group", 1, 1000);
  v.u64("twtr_s", twtr_s, "tCK", "end of write data to RD, different bank group", 1, 1000);
  v.u64("twtr_l", twtr_l, "tCK", "end of write data to RD, same bank group", 1, 1000);
  v.u64("trtp", trtp, "tCK", "RD to PRE", 1, 1000);
  v.u64("twr", twr, "tCK", "write recovery: end of write data to PRE", 1, 1000);
  v.u64("trtrs", trtrs, "tCK", "rank-to-rank data-bus turnaround", 0, 1000);
  v.u64("trefi", trefi, "tCK",
        "average refresh interval tREFI (DDR5 tREFI1; same-bank refresh runs in fine-granularity mode: each "
        "bank set every tREFI/2)",
        1, M);
  v.u64("trfc", trfc, "tCK", "all-bank refresh cycle time", 1, M);
  v.u64("trfcsb", trfcsb, "tCK", "same-bank refresh cycle time (DDR5 REFsb; 0 = not used)", 0, M);
  v.u64("trefsbrd", trefsbrd, "tCK",
        "REFsb to ACT of a bank outside the refreshed set (DDR5 tREFSBRD; 0 = no constraint)", 0, M);
  v.u64("tccd_l_wr", tccd_l_wr, "tCK", "WR to WR, same bank group (DDR5 tCCD_L_WR; 0 = tCCD_L)", 0, 1000);
  v.u64("ca_cycles", ca_cycles, "tCK",
        "command-bus cycles taken by ACT, RD and WR (DDR5 two-cycle commands: 2)", 1, 2);
  v.u64("txp", txp, "tCK", "power-down exit to next command", 1, 1000);
  v.u64("tcke", tcke, "tCK", "minimum power-down residency", 1, 1000);
}

void PowerConfig::describe(cfg::Visitor& v) {
  v.f64("vdd", vdd, "V", "core supply voltage VDD", 0.1, 5);
  v.f64("vpp", vpp, "V", "word-line supply voltage VPP (0: not modeled)", 0, 5);
  v.f64("idd0", idd0, "mA", "one-bank ACT-PRE current", 0, 10000);
  v.f64("idd2n", idd2n, "mA", "precharge standby current", 0, 10000);
  v.f64("idd3n", idd3n, "mA", "active standby current", 0, 10000);
  v.f64("idd4r", idd4r, "mA", "burst read current", 0, 10000);
  v.f64("idd4w", idd4w, "mA", "burst write current", 0, 10000);
  v.f64("idd5b", idd5b, "mA", "burst refresh current", 0, 10000);
  v.f64("idd2p", idd2p, "mA", "precharge power-down current", 0, 10000);
  v.f64("ipp0", ipp0, "mA", "one-bank ACT-PRE VPP current", 0, 10000);
  v.f64("ipp3n", ipp3n, "mA", "standby VPP current (IPP2N/IPP3N/IPP2P)", 0, 10000);
  v.f64("ipp4r", ipp4r, "mA", "burst read VPP current", 0, 10000);
  v.f64("ipp4w", ipp4w, "mA", "burst write VPP current", 0, 10000);
  v.f64("ipp5b", ipp5b, "mA", "burst refresh VPP current", 0, 10000);
  v.u64("devices", devices, "", "devices per rank", 1, 64);
}

void CtrlConfig::describe(cfg::Visitor& v) {
  v.u64("read_queue", read_queue, "entries", "read queue depth per channel", 1, 4096);
  v.u64("write_queue", write_queue, "entries", "write queue depth per channel", 1, 4096);
  v.u64("write_high", write_high, "entries", "write-queue occupancy that starts a write drain", 1, 4096);
  v.u64("write_low", write_low, "entries", "write-queue occupancy that ends a drain while reads wait", 0, 4096);
  v.u64("starvation_cap", starvation_cap, "hits", "row hits per activation served ahead of older requests (FR-FCFS cap)", 1, 1u << 20);
  v.str("page_policy", page_policy, "open: rows stay open; closed: auto-precharge after every access; adaptive: precharge when no queued request hits the row",
        {"open", "closed", "adaptive"});
  v.str("mapping", mapping, "address bits above the burst offset, most significant first: a comma list of ro,ra,bg,ba,co,ch, each once");
  v.boolean("xor_hash", xor_hash, "XOR the bank and bank-group bits with the lowest row bits");
  v.u64("frontend_cycles", frontend_cycles, "tCK", "front-end delay: request accepted to schedulable", 0, 10000);
  v.u64("phy_cycles", phy_cycles, "tCK", "PHY and return delay: end of read burst to response", 0, 10000);
  v.str("refresh", refresh, "all_bank (REFab every tREFI) or same_bank (DDR5 REFsb: one bank per group at a time)",
        {"all_bank", "same_bank"});
  v.boolean("powerdown", powerdown, "precharge power-down of idle ranks (exit costs tXP)");
  v.u64("powerdown_idle", powerdown_idle, "tCK", "idle cycles before a rank enters power-down", 1, 1u << 20);
  v.u64("refresh_postpone", refresh_postpone, "refreshes",
        "refreshes a rank with queued requests may postpone, pulled in again while it is idle (JEDEC: at "
        "most 8; 0 = refresh on time)",
        0, 8);
  v.boolean("checker", checker, "validate every command against every timing constraint (a violation stops the run)");
  v.str("command_trace", command_trace, "write the DRAM command trace to this file (empty: off)");
}

void DdrConfig::describe(cfg::Visitor& v) {
  v.str("standard", standard, "DRAM standard", {"ddr4", "ddr5"});
  v.section("org", org, "organisation");
  v.section("timing", timing, "JEDEC timing parameters");
  v.section("ctrl", ctrl, "memory controller");
  v.section("power", power, "IDD currents for the energy estimate");
}

PagePolicy DdrConfig::page_policy() const {
  if (ctrl.page_policy == "closed") return PagePolicy::Closed;
  if (ctrl.page_policy == "adaptive") return PagePolicy::Adaptive;
  return PagePolicy::Open;
}

std::vector<MapField> DdrConfig::mapping_fields(const std::string& key) const {
  static const std::pair<const char*, MapField> names[] = {{"ro", MapField::Row},  {"ra", MapField::Rank},
                                                           {"bg", MapField::BankGroup}, {"ba", MapField::Bank},
                                                           {"co", MapField::Column}, {"ch", MapField::Channel}};
  std::vector<MapField> out;
  size_t pos = 0;
  const std::string& s = ctrl.mapping;
  while (pos <= s.size()) {
    size_t end = s.find(',', pos);
    if (end == std::string::npos) end = s.size();
    std::string tok = s.substr(pos, end - pos);
    while (!tok.empty() && tok.front() == ' ') tok.erase(0, 1);
    while (!tok.empty() && tok.back() == ' ') tok.pop_back();
    bool found = false;
    for (const auto& [n, f] : names) {
      if (tok == n) {
        for (MapField o : out)
          if (o == f) throw cfg::ConfigError(fmt::format("key '{}': field '{}' appears twice in \"{}\"", key, tok, s));
        out.push_back(f);
        found = true;
      }
    }
    if (!found)
      throw cfg::ConfigError(fmt::format("key '{}': unknown field '{}' in \"{}\" (expected a comma list of ro,ra,bg,ba,co,ch, each once)",
                                         key, tok, s));
    pos = end + 1;
  }
  if (out.size() != 6)
    throw cfg::ConfigError(fmt::format("key '{}': \"{}\" must name all six fields ro,ra,bg,ba,co,ch", key, s));
  return out;
}

void DdrConfig::validate(const std::string& p) const {
  auto pow2 = [&](uint64_t v, const char* k) {
    if (v == 0 || (v & (v - 1)))
      throw cfg::ConfigError(fmt::format("key '{}.{}': expected a power of two, got {}", p, k, v));
  };
  pow2(org.channels, "org.channels");
  pow2(org.ranks, "org.ranks");
  pow2(org.bank_groups, "org.bank_groups");
  pow2(org.banks_per_group, "org.banks_per_group");
  pow2(org.rows, "org.rows");
  pow2(org.columns, "org.columns");
  pow2(org.bus_width, "org.bus_width");
  pow2(org.burst_length, "org.burst_length");
  if (org.columns < org.burst_length)
    throw cfg::ConfigError(fmt::format("key '{}.org.columns': {} is less than one burst of {}", p, org.columns, org.burst_length));
  const auto& t = timing;
  if (t.trc < t.tras + t.trp)
    throw cfg::ConfigError(fmt::format("key '{}.timing.trc': {} is less than tRAS + tRP = {}", p, t.trc, t.tras + t.trp));
  if (t.trefi <= t.trfc)
    throw cfg::ConfigError(fmt::format("key '{}.timing.trefi': {} must exceed tRFC = {}", p, t.trefi, t.trfc));
  if (ctrl.write_high > ctrl.write_queue)
    throw cfg::ConfigError(fmt::format("key '{}.ctrl.write_high': {} exceeds the write queue depth {}", p, ctrl.write_high, ctrl.write_queue));
  if (ctrl.write_low >= ctrl.write_high)
    throw cfg::ConfigError(fmt::format("key '{}.ctrl.write_low': {} must be below write_high = {}", p, ctrl.write_low, ctrl.write_high));
  if (ctrl.refresh == "same_bank") {
    if (t.trfcsb == 0)
      throw cfg::ConfigError(fmt::format("key '{}.timing.trfcsb': same-bank refresh needs tRFCsb > 0", p));
    if (refresh_interval() <= t.trfcsb)
      throw cfg::ConfigError(
          fmt::format("key '{}.timing.trefi': tREFI / (2 x banks_per_group) = {} must exceed tRFCsb = {}", p,
                      refresh_interval(), t.trfcsb));
  }
  mapping_fields(p + ".ctrl.mapping");
}

uint64_t DdrConfig::refresh_interval() const {
  return refresh_mode() == RefreshMode::SameBank ? timing.trefi / (2 * org.banks_per_group) : timing.trefi;
}

double DdrConfig::peak_gbps() const {
  // Two transfers per clock (double data rate) of bus_width bits, on every channel.
  return static_cast<double>(org.channels) * timing.clock_mhz * 1e6 * 2 * static_cast<double>(org.bus_width / 8) / 1e9;
}

}  // namespace pc::dram
