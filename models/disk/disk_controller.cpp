// AHCI-like disk controller: registers, descriptor fetch, DMA, NCQ hand-off to the medium, interrupts.
#include "models/disk/disk_controller.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>

#include "models/disk/hdd_media.h"
#include "models/disk/ssd_media.h"

namespace pc::disk {

namespace hd = hw::disk;

DiskController::Dir::Dir(stats::Group& parent, const char* name)
    : g(&parent, name, "commands of one direction"),
      requests(g, "requests", "commands", "commands completed"),
      bytes(g, "bytes", "bytes", "bytes transferred"),
      errors(g, "errors", "commands", "commands completed with an error status"),
      queue_us(g, "queue_time_us", "us", "issue (CI write) to start of service on the medium"),
      service_us(g, "service_time_us", "us", "start of service on the medium to completion posted (positioning or flash, link and DMA transfer)"),
      latency_us(g, "latency_us", "us", "issue to completion posted (includes descriptor and data DMA)"),
      iops(g, "iops", "1/s", "commands per simulated second of the run", [this] {
        const double s = sc_core::sc_time_stamp().to_seconds();
        return s > 0 ? static_cast<double>(requests.value()) / s : 0.0;
      }) {}

DiskController::DiskController(sc_core::sc_module_name name, const DiskConfig& cfg, stats::Group& parent,
                               const std::string& cfg_key)
    : sc_module(name),
      tsock("tsock"),
      dma_isock("dma_isock"),
      irq_out("irq_out"),
      m_cfg(cfg),
      m_mmio_latency(sc_core::sc_time::from_value(cfg.controller.mmio_latency_ns * kFsPerNs)),
      m_stats(&parent, basename(), "disk controller and medium"),
      m_read(m_stats, "read"),
      m_write(m_stats, "write"),
      m_flushes(m_stats, "flushes", "commands", "flush commands"),
      m_bad_descriptors(m_stats, "bad_descriptors", "commands",
                        "commands rejected for a malformed descriptor"),
      m_lba_errors(m_stats, "lba_errors", "commands", "commands beyond the device capacity"),
      m_dma_faults(m_stats, "dma_faults", "commands", "commands whose DMA hit an unmapped address"),
      m_dma_bytes(m_stats, "dma_bytes", "bytes", "bytes moved by the DMA engine (descriptors and data)"),
      m_interrupts(m_stats, "interrupts", "interrupts", "rising edges of the interrupt line"),
      m_media_errors_read(m_stats, "media_errors_read", "commands",
                          "reads failed with an uncorrectable media error (inject_errors)"),
      m_media_errors_write(m_stats, "media_errors_write", "commands",
                           "writes failed with an uncorrectable media error (inject_errors)"),
      m_outstanding(m_stats, "outstanding", "commands", "commands in the device when one is issued"),
      m_flush_us(m_stats, "flush_latency_us", "us",
                 "FLUSH CACHE issue to completion (the drive's destaging of earlier writes)") {
  if (cfg.controller.dma_burst_bytes & (cfg.controller.dma_burst_bytes - 1))
    throw pc::cfg::ConfigError(cfg_key + ".controller.dma_burst_bytes: expected a power of two");
  try {
    if (cfg.media == "ssd")
      m_media = std::make_unique<SsdMedia>(cfg.ssd, m_stats);
    else
      m_media = std::make_unique<HddMedia>(cfg.hdd, m_stats);
  } catch (const pc::cfg::ConfigError& e) {
    // The media name their keys under "disk."; another disk's section has another name.
    const std::string what = e.what();
    if (cfg_key == "disk" || what.rfind("disk.", 0) != 0) throw;
    throw pc::cfg::ConfigError(cfg_key + what.substr(4));
  }
  const uint64_t cap = m_media->capacity_sectors();
  for (size_t i = 0; i < cfg.inject_errors.size(); ++i) {
    const auto& e = cfg.inject_errors[i];
    if (e.lba >= cap || e.sectors > cap - e.lba)
      throw pc::cfg::ConfigError(
          fmt::format("key '{}.inject_errors[{}]': sectors [{}, {}) reach beyond the disk's {} sectors",
                      cfg_key, i, e.lba, e.lba + e.sectors, cap));
  }
  m_store = std::make_unique<SectorStore>(m_media->capacity_sectors());
  tsock.register_b_transport(this, &DiskController::b_transport);
  tsock.register_transport_dbg(this, &DiskController::transport_dbg);
  m_ext.requester = Requester::Dma;
  m_gp.set_extension(&m_ext);
  SC_THREAD(run);
  SC_METHOD(update_irq);
  sensitive << m_irq_ev << m_irq_reg_ev;
  dont_initialize();
}

DiskController::~DiskController() {
  m_gp.clear_extension(&m_ext);
  m_media.reset();  // its stats group is a child of m_stats, which is destroyed first
}

uint32_t DiskController::reg_read(uint32_t off) const {
  if (off >= hd::kRegSlotStatus && off < hd::kRegSlotStatus + 4 * hd::kSlots)
    return m_slot_status[(off - hd::kRegSlotStatus) / 4];
  switch (off) {
    case hd::kRegCap: return static_cast<uint32_t>(m_cfg.controller.queue_depth - 1) | hd::kCapNcq;
    case hd::kRegCapacityLo: return static_cast<uint32_t>(m_media->capacity_sectors());
    case hd::kRegCapacityHi: return static_cast<uint32_t>(m_media->capacity_sectors() >> 32);
    case hd::kRegClbLo: return static_cast<uint32_t>(m_clb);
    case hd::kRegClbHi: return static_cast<uint32_t>(m_clb >> 32);
    case hd::kRegCi: return m_ci;
    case hd::kRegCs: return m_cs;
    case hd::kRegErr: return m_err;
    case hd::kRegIs: return m_is;
    case hd::kRegIe: return m_ie;
    default: return 0;
  }
}

void DiskController::reg_write(uint32_t off, uint32_t v, const sc_core::sc_time& delay) {
  switch (off) {
    case hd::kRegClbLo: m_clb = (m_clb & ~0xffffffffull) | v; break;
    case hd::kRegClbHi: m_clb = (m_clb & 0xffffffffull) | (uint64_t{v} << 32); break;
    case hd::kRegCi: {
      const uint32_t valid = m_cfg.controller.queue_depth >= 32 ? ~0u : (1u << m_cfg.controller.queue_depth) - 1;
      const uint32_t bits = v & ~m_ci & valid;  // re-issuing a busy slot or a slot beyond the depth is ignored
      if (!bits) break;
      m_ci |= bits;
      // The write takes effect at the initiator's local time.
      m_issues.emplace_back(now() + delay.value(), bits);
      m_wake.notify(delay);
      break;
    }
    case hd::kRegCs: m_cs &= ~v; break;
    case hd::kRegErr: m_err &= ~v; break;
    case hd::kRegIs:
      m_is &= ~v;
      m_irq_reg_ev.notify(delay);
      break;
    case hd::kRegIe:
      m_ie = v & hd::kIntCompletion;
      m_irq_reg_ev.notify(delay);
      break;
    default: break;  // read-only or reserved: writes are ignored
  }
}

void DiskController::b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  const uint64_t off = gp.get_address();
  if (atomic_of(gp)) {  // registers have side effects: no locked read-modify-write on them
    gp.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
    return;
  }
  if (gp.get_data_length() != 4 || (off & 3) || off >= hw::kDiskCtrlSize || gp.get_byte_enable_ptr()) {
    gp.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    return;
  }
  delay += m_mmio_latency;
  uint32_t v;
  if (gp.is_read()) {
    v = reg_read(static_cast<uint32_t>(off));
    std::memcpy(gp.get_data_ptr(), &v, 4);
  } else {
    std::memcpy(&v, gp.get_data_ptr(), 4);
    reg_write(static_cast<uint32_t>(off), v, delay);
  }
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned DiskController::transport_dbg(tlm::tlm_generic_payload& gp) {
  if (!gp.is_read() || gp.get_data_length() != 4 || (gp.get_address() & 3)) return 0;
  const uint32_t v = reg_read(static_cast<uint32_t>(gp.get_address()));
  std::memcpy(gp.get_data_ptr(), &v, 4);
  return 4;
}

void DiskController::update_irq() {
  const bool level = (m_is & m_ie) != 0;
  if (level && !irq_out.read()) ++m_interrupts;
  irq_out.write(level);
}

bool DiskController::dma(tlm::tlm_command cmd, uint64_t pa, uint8_t* data, uint64_t len, sc_core::sc_time& delay) {
  // Descriptors and data live in memory: an address in the device window (these very registers among
  // them) is a DMA fault, as disk_regs.h says, not a register access by the DMA engine.
  if (pa >= hw::kMmioBase || len > hw::kMmioBase - pa) return false;
  const uint64_t burst = m_cfg.controller.dma_burst_bytes;
  while (len > 0) {
    // Bursts never cross a burst-aligned boundary, as a bus master's would not cross a line.
    const uint64_t n = std::min(len, burst - (pa & (burst - 1)));
    m_gp.set_command(cmd);
    m_gp.set_address(pa);
    m_gp.set_data_ptr(data);
    m_gp.set_data_length(static_cast<unsigned>(n));
    m_gp.set_streaming_width(static_cast<unsigned>(n));
    m_gp.set_byte_enable_ptr(nullptr);
    m_gp.set_dmi_allowed(false);
    m_gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    dma_isock->b_transport(m_gp, delay);
    if (m_gp.is_response_error()) return false;
    m_dma_bytes += n;
    pa += n;
    data += n;
    len -= n;
  }
  return true;
}

uint32_t DiskController::fetch(unsigned slot, sc_core::sc_time& delay) {
  Slot& s = m_slots[slot];
  s.prd.clear();
  s.data.clear();
  s.hdr_addr = m_clb + slot * sizeof(hd::CmdHeader);
  if (!dma(tlm::TLM_READ_COMMAND, s.hdr_addr, reinterpret_cast<uint8_t*>(&s.hdr),
           sizeof(hd::CmdHeader), delay)) {
    s.hdr = {};
    return hd::kStatusDmaFault;
  }
  const auto& h = s.hdr;
  if (h.opcode == hd::kOpFlush) return h.prd_count == 0 ? hd::kStatusOk : hd::kStatusBadDescriptor;
  if (h.opcode != hd::kOpRead && h.opcode != hd::kOpWrite) return hd::kStatusBadDescriptor;
  // 65536 sectors (32 MiB) bounds one command, as a 16-bit ATA sector count does.
  if (h.sectors == 0 || h.sectors > 65536 || h.prd_count == 0 || h.prd_count > hd::kMaxPrdEntries || (h.prd_base & 15))
    return hd::kStatusBadDescriptor;
  if (h.lba > m_media->capacity_sectors() || h.sectors > m_media->capacity_sectors() - h.lba)
    return hd::kStatusLbaRange;
  s.prd.resize(h.prd_count);
  if (!dma(tlm::TLM_READ_COMMAND, h.prd_base, reinterpret_cast<uint8_t*>(s.prd.data()),
           h.prd_count * sizeof(hd::PrdEntry), delay))
    return hd::kStatusDmaFault;
  uint64_t total = 0;
  for (const auto& e : s.prd) {
    if (e.bytes == 0 || (e.bytes & 1) || e.flags != 0) return hd::kStatusBadDescriptor;
    total += e.bytes;
  }
  if (total != uint64_t{h.sectors} * hd::kSectorBytes) return hd::kStatusBadDescriptor;
  s.data.resize(total);
  if (h.opcode == hd::kOpWrite) {
    // Write data streams from memory over the link into the drive's buffer: the longer of the two.
    const Fs link_done = link_end(total, now() + delay.value());
    uint64_t off = 0;
    for (const auto& e : s.prd) {
      if (!dma(tlm::TLM_READ_COMMAND, e.addr, s.data.data() + off, e.bytes, delay)) return hd::kStatusDmaFault;
      off += e.bytes;
    }
    if (link_done > now() + delay.value()) delay = sc_core::sc_time::from_value(link_done - now());
  }
  return hd::kStatusOk;
}

Fs DiskController::link_end(uint64_t bytes, Fs start) {
  if (m_cfg.controller.link_mbps <= 0) return start;
  const Fs begin = std::max(start, m_link_free);
  m_link_free = begin + static_cast<Fs>(std::llround(static_cast<double>(bytes) * 1e9 / m_cfg.controller.link_mbps));
  return m_link_free;
}

bool DiskController::injected(bool write, uint64_t lba, uint64_t sectors) const {
  for (const auto& e : m_cfg.inject_errors)
    if (e.hits(write, lba, sectors)) return true;
  return false;
}

uint32_t DiskController::complete(unsigned slot, uint32_t status, sc_core::sc_time& delay) {
  Slot& s = m_slots[slot];
  const auto& h = s.hdr;
  const bool data_cmd = h.opcode == hd::kOpRead || h.opcode == hd::kOpWrite;
  // The medium has spent the command's time; an injected bad range fails it now, as a drive reports
  // an uncorrectable sector once it has tried to read (or verify) it.
  if (status == hd::kStatusOk && data_cmd && injected(h.opcode == hd::kOpWrite, h.lba, h.sectors)) {
    status = hd::kStatusMediaError;
    ++(h.opcode == hd::kOpWrite ? m_media_errors_write : m_media_errors_read);
  }
  if (status == hd::kStatusOk && data_cmd) {
    if (h.opcode == hd::kOpWrite) {
      m_store->write(h.lba, h.sectors, s.data.data());
    } else {
      // Read data streams over the link from the drive's buffer and the DMA engine writes it to memory
      // as it arrives: the transfer takes the longer of the two.
      const Fs link_done = link_end(s.data.size(), now() + delay.value());
      m_store->read(h.lba, h.sectors, s.data.data());
      uint64_t off = 0;
      for (const auto& e : s.prd) {
        if (!dma(tlm::TLM_WRITE_COMMAND, e.addr, s.data.data() + off, e.bytes, delay)) {
          status = hd::kStatusDmaFault;
          break;
        }
        off += e.bytes;
      }
      if (link_done > now() + delay.value()) delay = sc_core::sc_time::from_value(link_done - now());
    }
  }
  switch (status) {
    case hd::kStatusBadDescriptor: ++m_bad_descriptors; break;
    case hd::kStatusLbaRange: ++m_lba_errors; break;
    case hd::kStatusDmaFault: ++m_dma_faults; break;
    default: break;
  }
  // Status write-back into the command header (status, bytes_done); the registers follow in post().
  uint32_t wb[2] = {status, status == hd::kStatusOk && data_cmd ? h.sectors * hd::kSectorBytes : 0};
  if (status != hd::kStatusDmaFault || h.opcode != 0)
    dma(tlm::TLM_WRITE_COMMAND, s.hdr_addr + offsetof(hd::CmdHeader, status),
        reinterpret_cast<uint8_t*>(wb), sizeof(wb), delay);
  const Fs t = now() + delay.value();
  if (h.opcode == hd::kOpFlush) {
    ++m_flushes;
    if (status == hd::kStatusOk) m_flush_us.sample(static_cast<double>(t - s.issued) / kFsPerUs);
  } else {
    Dir& d = h.opcode == hd::kOpWrite ? m_write : m_read;
    if (status == hd::kStatusOk) {
      ++d.requests;
      d.bytes += wb[1];
      d.queue_us.sample(static_cast<double>(s.started - s.issued) / kFsPerUs);
      d.service_us.sample(static_cast<double>(t - s.started) / kFsPerUs);
      d.latency_us.sample(static_cast<double>(t - s.issued) / kFsPerUs);
    } else {
      ++d.errors;
    }
  }
  m_last_done = t;
  return status;
}

void DiskController::post(unsigned slot, uint32_t status) {
  m_slot_status[slot] = status;
  m_ci &= ~(1u << slot);
  m_cs |= 1u << slot;
  if (status != hd::kStatusOk) m_err |= 1u << slot;
  m_is |= hd::kIntCompletion;
  m_irq_ev.notify(sc_core::SC_ZERO_TIME);
  ++m_completed;
}

void DiskController::run() {
  for (;;) {
    const Fs t = now();
    // Commands whose CI write has taken effect: fetch descriptors (and write data), queue on the medium.
    uint32_t issued = 0;
    for (auto it = m_issues.begin(); it != m_issues.end();) {
      if (it->first <= t) {
        issued |= it->second;
        it = m_issues.erase(it);
      } else {
        ++it;
      }
    }
    for (unsigned slot = 0; slot < hd::kSlots; ++slot) {
      if (!(issued & (1u << slot))) continue;
      m_outstanding.sample(__builtin_popcount(m_ci));
      sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
      m_slots[slot].issued = now();
      const uint32_t st = fetch(slot, delay);
      wait(delay);  // the DMA engine is busy for the descriptor and write-data transfer
      const auto& h = m_slots[slot].hdr;
      if (st != hd::kStatusOk) {
        m_slots[slot].started = now();
        delay = sc_core::SC_ZERO_TIME;
        const uint32_t done = complete(slot, st, delay);
        wait(delay);  // the status write-back lands before the registers say so
        post(slot, done);
        continue;
      }
      // FLUSH CACHE goes to the medium too: it completes once the drive has every earlier write on the
      // medium.
      const bool flush = h.opcode == hd::kOpFlush;
      m_media->enqueue(
          {slot, h.opcode == hd::kOpWrite, flush ? 0 : h.lba, flush ? 0 : h.sectors, now(), flush});
    }
    MediaResult r;
    while (m_media->dispatch(now(), r)) {
      m_slots[r.slot].started = r.start;
      m_done.emplace(r.finish, r.slot);
    }
    // Completions in time order: read data goes to memory by DMA, then status and interrupt.
    bool progressed = false;
    while (!m_done.empty() && m_done.top().first <= now()) {
      const unsigned slot = m_done.top().second;
      m_done.pop();
      sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
      const uint32_t done = complete(slot, hd::kStatusOk, delay);
      wait(delay);  // read data and status reach memory before the registers and the interrupt say so
      post(slot, done);
      progressed = true;
    }
    if (progressed) continue;  // the medium may be free for the next command now
    Fs next = m_media->next_event(now());
    if (!m_done.empty()) next = std::min(next, m_done.top().first);
    for (const auto& i : m_issues) next = std::min(next, i.first);
    if (next == ~Fs{0})
      wait(m_wake);
    else
      wait(sc_core::sc_time::from_value(next - now()), m_wake);
  }
}

void DiskController::finish_stats() { m_media->finish_stats(now()); }

}  // namespace pc::disk
