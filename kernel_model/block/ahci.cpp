// Disk driver: request submission, unplugging, command issue and interrupt completion.
#include "kernel_model/block/ahci.h"

#include <fmt/format.h>

#include <stdexcept>

#include "platform/core/ordered_wake.h"
#include "platform/core/timeline.h"

namespace pc::kernel {

namespace hd = hw::disk;

BlockLayer::BlockLayer(stats::Group& parent)
    : m_stats(&parent, "congestion", "blk_congestion_wait"),
      m_waits(m_stats, "waits", "calls", "blk_congestion_wait calls"),
      m_woken(m_stats, "woken", "calls", "waits ended by a queue leaving congestion (not the timeout)"),
      m_wait_us(m_stats, "wait_us", "us", "time slept in blk_congestion_wait") {}

void BlockLayer::submit_bio(Bio* bio, KCtx& k) {
  if (!bio->bdev) bio->bdev = disk();
  if (!bio->bdev) throw std::logic_error("submit_bio: no block device registered");
  if (m_events) m_events->count(bio->write ? PGPGOUT : PGPGIN, bio->sectors());
  bio->bdev->generic_make_request(bio, k);
}

sc_core::sc_time BlockLayer::blk_congestion_wait(bool write, const sc_core::sc_time& timeout, KCtx& k) {
  ++m_waits;
  k.sync();
  const sc_core::sc_time t0 = sc_core::sc_time_stamp();
  // io_schedule_timeout on congestion_wqh: any queue leaving congestion in that direction wakes it.
  if (m_congestion_wqh[write].sleep(k, hw::Charge::CongestionWait, false, timeout)) ++m_woken;
  k.sync();
  const sc_core::sc_time slept = sc_core::sc_time_stamp() - t0;
  m_wait_us.sample(slept.to_seconds() * 1e6);
  return slept;
}

AhciDisk::AhciDisk(sc_core::sc_module_name name, const BlockConfig& cfg, KernelBus& bus, uint64_t mmio_base,
                   uint64_t dma_base, uint64_t dma_bytes, BlockLayer& blk, stats::Group& parent,
                   const char* stats_name)
    : sc_module(name),
      irq_in("irq_in"),
      m_cfg(cfg),
      m_bus(bus),
      m_blk(blk),
      m_mmio(mmio_base),
      m_dma_base(dma_base),
      m_stats(&parent, stats_name, "kernel block layer and disk driver"),
      m_q(cfg, m_stats),
      m_issued(m_stats, "commands_issued", "commands", "commands the driver issued to the controller"),
      m_completed(m_stats, "commands_completed", "commands", "commands completed in the interrupt handler"),
      m_errors(m_stats, "command_errors", "commands", "commands completed with an error status (-EIO)"),
      m_irqs(m_stats, "interrupts", "interrupts", "disk interrupts handled"),
      m_unplug_thresh(m_stats, "unplugs_threshold", "events",
                      "unplugs because unplug_thresh requests queued"),
      m_unplug_timer(m_stats, "unplugs_timer", "events", "unplugs by the unplug timer"),
      m_bad_bios(m_stats, "bad_bios", "bios", "bios beyond the device (ended with -EIO)"),
      m_device_us(m_stats, "device_time_us", "us", "request handed to the driver to completion handled") {
  // Command list (1 KiB) then one PRD table of kMaxPrdEntries per slot.
  const uint64_t need = hd::kCmdListBytes + uint64_t{hd::kSlots} * hd::kMaxPrdEntries * sizeof(hd::PrdEntry);
  if (dma_bytes < need || (dma_base & 1023))
    throw std::logic_error("AhciDisk: descriptor region too small or not 1 KiB aligned");
  // Both fire in request completion (interrupt context) at the handler's time.
  m_q.on_congestion_cleared = [this](bool w) { m_blk.clear_congested(w, m_completion_time); };
  m_q.on_request_freed = [this](bool w) { m_rq_freed[w].wake_up_all(m_completion_time); };
  blk.register_disk(this);
  SC_THREAD(ahci_interrupt);
  SC_THREAD(kblockd);
}

void AhciDisk::ahci_port_start(BusCtx& b) {
  if (m_started) return;
  m_started = true;
  const uint32_t cap = m_bus.read32(m_mmio + hd::kRegCap, b);
  m_depth = std::min<unsigned>(static_cast<unsigned>(m_cfg.queue_depth), (cap & 31) + 1);
  m_capacity = m_bus.read32(m_mmio + hd::kRegCapacityLo, b) |
               (uint64_t{m_bus.read32(m_mmio + hd::kRegCapacityHi, b)} << 32);
  m_bus.write32(m_mmio + hd::kRegClbLo, static_cast<uint32_t>(m_dma_base), b);
  m_bus.write32(m_mmio + hd::kRegClbHi, static_cast<uint32_t>(m_dma_base >> 32), b);
  m_bus.write32(m_mmio + hd::kRegIe, hd::kIntCompletion, b);
}

uint64_t AhciDisk::capacity_sectors(KCtx& k) {
  if (!m_started) ahci_port_start(k);
  return m_capacity;
}

void AhciDisk::generic_make_request(Bio* bio, KCtx& k) {
  bio->submitted = now(k.delay);
  const uint64_t cap = capacity_sectors(k);
  if (bio->sectors() == 0 || bio->size() % 512 || bio->sector > cap || bio->sectors() > cap - bio->sector ||
      bio->vecs.size() > m_cfg.max_segments || bio->sectors() > 65536) {
    ++m_bad_bios;  // handle_bad_sector(): the bio ends with -EIO, nothing reaches the device
    bio->completed = now(k.delay);
    if (bio->end_io) bio->end_io(*bio, -5);
    return;
  }
  for (;;) {
    const bool was_plugged = m_q.plugged();
    const auto r = m_q.__make_request(bio, now(k.delay));
    if (r == RequestQueue::MakeResult::NoRequest) {
      // get_request_wait(): kick the queue so requests drain, then sleep until one is freed.
      generic_unplug_device(k);
      // The kick goes through the controller's registers and may wait; a request freed meanwhile woke
      // nobody, so look again before sleeping (get_request_wait queues itself before it re-tries).
      if (!m_q.request_available(bio->write)) m_rq_freed[bio->write].sleep(k, hw::Charge::IoWait);
      continue;
    }
    if (!was_plugged && m_q.plugged()) m_plug_ev.notify(k.delay);  // arm the unplug timer
    break;
  }
  if (m_q.unplug_due()) {
    ++m_unplug_thresh;
    generic_unplug_device(k);
  } else if (bio->sync) {
    generic_unplug_device(k);
  }
}

void AhciDisk::unplug(KCtx& k) {
  if (m_q.plugged()) generic_unplug_device(k);
}

void AhciDisk::generic_unplug_device(KCtx& k) {
  m_q.blk_remove_plug();
  request_fn(k);
}

void AhciDisk::request_fn(BusCtx& b) {
  ahci_port_start(b);
  uint32_t issue = 0;
  while (m_in_flight < m_depth) {
    Request* rq = m_q.elv_next_request(now(b.delay));
    if (!rq) break;
    unsigned tag = 0;
    while (m_tags[tag]) ++tag;
    m_tags[tag] = rq;
    rq->tag = static_cast<int>(tag);
    ++m_in_flight;
    // Scatter-gather list: one entry per physically contiguous run of the bios' segments.
    hd::PrdEntry prd[hd::kMaxPrdEntries];
    unsigned n = 0;
    for (const Bio* b : rq->bios)
      for (const auto& v : b->vecs) {
        if (n > 0 && prd[n - 1].addr + prd[n - 1].bytes == v.pa) {
          prd[n - 1].bytes += v.len;
        } else {
          if (n == hd::kMaxPrdEntries) throw std::logic_error("request has more segments than PRD entries");
          prd[n++] = {v.pa, v.len, 0};
        }
      }
    const uint64_t prd_base =
        m_dma_base + hd::kCmdListBytes + uint64_t{tag} * hd::kMaxPrdEntries * sizeof(hd::PrdEntry);
    // The CPU writes the table a cache line at a time.
    const auto* bytes = reinterpret_cast<const uint8_t*>(prd);
    for (unsigned off = 0; off < n * sizeof(hd::PrdEntry); off += 64)
      m_bus.write(prd_base + off, bytes + off, std::min<unsigned>(64, n * sizeof(hd::PrdEntry) - off), b);
    hd::CmdHeader h{};
    h.opcode = rq->write ? hd::kOpWrite : hd::kOpRead;
    h.prd_count = static_cast<uint16_t>(n);
    h.sectors = rq->nr_sectors;
    h.lba = rq->sector;
    h.prd_base = prd_base;
    m_bus.write(m_dma_base + tag * sizeof(hd::CmdHeader), &h, sizeof(h), b);
    for (Bio* b : rq->bios) b->dispatched = rq->dispatched;
    issue |= 1u << tag;
    ++m_issued;
  }
  // One PxCI write issues every command prepared in this pass.
  if (issue) m_bus.write32(m_mmio + hd::kRegCi, issue, b);
}

void AhciDisk::ahci_interrupt() {
  for (;;) {
    if (!irq_in.read()) wait(irq_in.posedge_event());
    ++m_irqs;
    const sc_core::sc_time entered = sc_core::sc_time_stamp();
    // The handler runs on the interrupt's CPU (2.6.18 without irqbalance routes every interrupt to CPU 0);
    // its loads and stores go through that CPU's caches.
    KCtx d(m_irq_cpu, sc_core::sc_time(static_cast<double>(m_cfg.irq_entry_ns), sc_core::SC_NS));
    for (;;) {
      const uint32_t is = m_bus.read32(m_mmio + hd::kRegIs, d);
      if (!is) break;
      // Acknowledge before reading the completions: one finishing after the CS read sets IS again.
      m_bus.write32(m_mmio + hd::kRegIs, is, d);
      const uint32_t cs = m_bus.read32(m_mmio + hd::kRegCs, d);
      if (!cs) continue;
      m_bus.write32(m_mmio + hd::kRegCs, cs, d);
      const uint32_t err = m_bus.read32(m_mmio + hd::kRegErr, d) & cs;
      if (err) m_bus.write32(m_mmio + hd::kRegErr, err, d);
      for (unsigned tag = 0; tag < hd::kSlots; ++tag) {
        if (!(cs & (1u << tag)) || !m_tags[tag]) continue;
        Request* rq = m_tags[tag];
        m_tags[tag] = nullptr;
        --m_in_flight;
        // A slot in ERR failed, whatever its status says (the status names the cause: range, descriptor,
        // DMA, media). Only this request's bios end with -EIO; the other slots complete on their own.
        int error = 0;
        uint32_t st = hd::kStatusOk;
        if (err & (1u << tag)) {
          st = m_bus.read32(m_mmio + hd::kRegSlotStatus + 4 * tag, d);
          error = -5;  // -EIO
        }
        ++m_completed;
        if (error) ++m_errors;
        m_device_us.sample(static_cast<double>(now(d.delay) - rq->dispatched) / 1e9);
        if (auto* tl = timeline::active(); tl && tl->on(timeline::Cat::Disk))
          tl->span(timeline::Cat::Disk, timeline::Group::Disks,
                   tl->track(timeline::Group::Disks, fmt::format("{} slot {}", basename(), tag)),
                   rq->write ? "write" : "read", sc_core::sc_time::from_value(rq->dispatched),
                   sc_core::sc_time::from_value(now(d.delay)),
                   fmt::format("\"lba\":{},\"sectors\":{},\"error\":{},\"status\":{}", rq->sector,
                               rq->nr_sectors, error, st));
        m_completion_time = d.now();
        m_q.end_that_request_first(rq, error, now(d.delay));
        m_q.end_that_request_last(rq, now(d.delay));
      }
    }
    // Completions freed tags: feed the device again (ahci's completion path runs the queue).
    request_fn(d);
    // The handler's time is stolen from whatever runs on its CPU.
    const uint64_t spent = d.delay.value();
    if (m_irq_done) m_irq_done(m_irq_cpu, spent);
    if (auto* tl = timeline::active(); tl && tl->on(timeline::Cat::Sched))
      tl->span(timeline::Cat::Sched, timeline::Group::Cores,
               tl->track(timeline::Group::Cores, fmt::format("core{} irq", m_irq_cpu)), "ahci interrupt",
               entered, entered + d.delay);
    // The handler's thread resumes among the instant's other kernel wake-ups in name order, after the
    // device's own processes (the DMA engine may snoop the lines this handler writes at that instant).
    sim::OrderedWake::wait(d.delay);
  }
}

void AhciDisk::kblockd() {
  for (;;) {
    if (!m_q.plugged()) {
      wait(m_plug_ev);
      continue;
    }
    const Fs t = sc_core::sc_time_stamp().value();
    if (t < m_q.unplug_deadline()) {
      wait(sc_core::sc_time::from_value(m_q.unplug_deadline() - t), m_plug_ev);
      continue;
    }
    // blk_unplug_timeout -> kblockd -> q->unplug_fn
    ++m_unplug_timer;
    if (m_queue_unplug) {
      // The timer fired: kblockd's work item (blk_unplug_work) unplugs the queue when it runs. Until the
      // queue is plugged again there is nothing more for the timer to do.
      m_queue_unplug();
      wait(m_plug_ev);
      continue;
    }
    KCtx k;
    generic_unplug_device(k);
    k.sync();
  }
}

}  // namespace pc::kernel
