// DRAM trace player.
#include "testbench/dram_trace/trace_player.h"

#include <cstring>

namespace pc::tb {

DramTracePlayer::DramTracePlayer(sc_core::sc_module_name name, Source src, const ClockDomain& clk,
                                 uint64_t mem_bytes, bool timed, unsigned request_bytes)
    : sc_module(name),
      isock("isock"),
      m_src(std::move(src)),
      m_clk(clk),
      m_mem_bytes(mem_bytes),
      m_timed(timed),
      m_req_bytes(request_bytes) {
  isock.register_nb_transport_bw(this, &DramTracePlayer::nb_transport_bw);
  SC_THREAD(run);
}

DramTracePlayer::~DramTracePlayer() {
  for (auto& gp : m_all) gp->reset();  // drops the mm pointer before the payloads go away
}

tlm::tlm_generic_payload* DramTracePlayer::alloc() {
  if (m_pool.empty()) {
    m_all.push_back(std::make_unique<Payload>(this));
    m_buffers.push_back(std::make_unique<uint8_t[]>(m_req_bytes));
    m_all.back()->set_data_ptr(m_buffers.back().get());
    m_pool.push_back(m_all.back().get());
  }
  auto* gp = m_pool.back();
  m_pool.pop_back();
  return gp;
}

void DramTracePlayer::free(tlm::tlm_generic_payload* gp) {
  m_pool.push_back(gp);
}

DramTracePlayer::BitmapPos DramTracePlayer::bitmap_pos(uint64_t addr) const {
  const uint64_t line = addr / m_req_bytes, bit = line & ((uint64_t(1) << kPageBits) - 1);
  return {line >> kPageBits, bit / 64, static_cast<unsigned>(bit % 64)};
}

bool DramTracePlayer::written(uint64_t addr) const {
  const BitmapPos pos = bitmap_pos(addr);
  const uint64_t* word = written_word(pos);
  return word && (*word >> pos.shift) & 1;
}

void DramTracePlayer::mark_written(uint64_t addr) {
  const BitmapPos pos = bitmap_pos(addr);
  if (pos.page >= m_written_pages.size()) m_written_pages.resize(pos.page + 1);
  if (!m_written_pages[pos.page])
    m_written_pages[pos.page] = std::make_unique<uint64_t[]>((uint64_t(1) << kPageBits) / 64);
  m_written_pages[pos.page][pos.word] |= uint64_t(1) << pos.shift;
}

const uint64_t* DramTracePlayer::written_word(const BitmapPos& pos) const {
  return pos.page < m_written_pages.size() && m_written_pages[pos.page] ? &m_written_pages[pos.page][pos.word]
                                                                        : nullptr;
}

void DramTracePlayer::settle_written() {
  Payload* p = m_unsettled;
  if (!p) return;
  m_unsettled = nullptr;
  if (p->is_write())
    mark_written(p->get_address());
  else
    p->written = written(p->get_address());
}

void DramTracePlayer::run() {
  // Replaying as fast as accepted, each request is sent from the previous one's END_REQ call (annotated
  // with that call's delay): the same requests at the same times as a thread woken by END_REQ would send,
  // without a process switch per request. Only the first is sent from here.
  if (!m_timed) return send_next(sc_core::SC_ZERO_TIME);
  DramTraceEntry e;
  while (m_src(e)) {
    if (e.timed) {
      const sc_core::sc_time at = m_clk.cycles(e.cycle);
      if (at > sc_core::sc_time_stamp()) wait(at - sc_core::sc_time_stamp());
    }
    send(e, sc_core::SC_ZERO_TIME);
    // The next request may start only once this one has left its request phase (back-pressure).
    if (m_waiting_end_req) wait(m_end_req);
  }
  m_source_done = true;
  notify_if_done();
}

void DramTracePlayer::send_next(const sc_core::sc_time& delay) {
  DramTraceEntry e;
  while (m_src(e)) {
    send(e, delay);
    if (m_waiting_end_req) return;  // the next one goes from its END_REQ
  }
  m_source_done = true;
  notify_if_done();
}

void DramTracePlayer::send(const DramTraceEntry& e, const sc_core::sc_time& delay) {
  // The bitmap of written lines (2 MiB for 1 GiB of 64-byte lines) misses the host's caches on random
  // traffic: each request's mark or look-up waits until the next request is sent (or, for a read, its
  // response comes first), its word prefetched meanwhile. No other mark or look-up comes in between, so
  // each sees the bitmap as it was when its request was sent.
  settle_written();
  auto* gp = static_cast<Payload*>(alloc());
  // (A division only for an address beyond the memory.)
  const uint64_t addr = (e.addr < m_mem_bytes ? e.addr : e.addr % m_mem_bytes) & ~uint64_t(m_req_bytes - 1);
  gp->set_command(e.write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  gp->set_address(addr);
  gp->set_data_length(m_req_bytes);
  gp->set_streaming_width(m_req_bytes);
  gp->set_byte_enable_ptr(nullptr);
  gp->set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  if (e.write) {
    // Real bytes: each line carries its own address, so a later read-back can be checked.
    uint8_t* d = gp->get_data_ptr();
    // (Whole words as fixed-size copies, which compile to one store each; then any tail.)
    unsigned i = 0;
    for (; i + 8 <= m_req_bytes; i += 8) std::memcpy(d + i, &addr, 8);
    if (i < m_req_bytes) std::memcpy(d + i, &addr, m_req_bytes - i);
  } else {
    gp->check = true;
  }
  if (const void* word = written_word(bitmap_pos(addr))) __builtin_prefetch(word, 1);
  m_unsettled = gp;
  gp->acquire();
  ++m_issued;
  ++(e.write ? m_writes : m_reads);
  tlm::tlm_phase ph = tlm::BEGIN_REQ;
  sc_core::sc_time d = delay;
  m_waiting_end_req = true;
  m_in_request = gp;
  const auto st = isock->nb_transport_fw(*gp, ph, d);
  if (st == tlm::TLM_UPDATED || st == tlm::TLM_COMPLETED) m_waiting_end_req = false;
  if (st == tlm::TLM_COMPLETED) {
    ++m_completed;
    gp->release();
  }
}

void DramTracePlayer::request_phase_ended(const sc_core::sc_time& delay) {
  m_waiting_end_req = false;
  if (m_timed)
    m_end_req.notify(delay);
  else
    send_next(delay);
}

void DramTracePlayer::notify_if_done() {
  if (!m_source_done || m_completed != m_issued) return;
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  m_done_ev.notify(m_last_resp > now ? m_last_resp - now : sc_core::SC_ZERO_TIME);
}

tlm::tlm_sync_enum DramTracePlayer::nb_transport_bw(tlm::tlm_generic_payload& gp, tlm::tlm_phase& phase,
                                                    sc_core::sc_time& delay) {
  if (phase == tlm::END_REQ) {
    request_phase_ended(delay);
    return tlm::TLM_ACCEPTED;
  }
  if (phase == tlm::BEGIN_RESP) {
    // Its BEGIN_RESP also ends its request phase (the next request, if sent from here, goes after this
    // response is counted).
    const bool ends_request = m_waiting_end_req && &gp == m_in_request;
    if (ends_request) m_waiting_end_req = false;
    if (gp.is_response_error()) report_failed(gp);
    if (gp.is_read()) {
      auto& p = static_cast<Payload&>(gp);  // the player's own payloads are the only ones it sees
      if (p.check) {
        if (m_unsettled == &p) settle_written();  // (sent last: no mark came after it)
        const uint64_t want = p.written ? gp.get_address() : 0;
        // Every word is looked at (no early exit), four at a time (a burst is 64 bytes or more).
        uint64_t diff = 0;
        const uint8_t* d = gp.get_data_ptr();
        const unsigned n = gp.get_data_length() / 8 * 8;
        unsigned i = 0;
        for (; i + 32 <= n; i += 32) {
          uint64_t v[4];
          std::memcpy(v, d + i, 32);
          diff |= (v[0] ^ want) | (v[1] ^ want) | (v[2] ^ want) | (v[3] ^ want);
        }
        for (; i < n; i += 8) {
          uint64_t v;
          std::memcpy(&v, d + i, 8);
          diff |= v ^ want;
        }
        ++m_reads_checked;
        m_data_errors += diff != 0;
        p.check = false;
      }
    }
    ++m_completed;
    // sc_time_stamp() without its library call: the same value, through the simulation context's inline
    // accessor. (Early responses may come out of time order: the latest time is kept.)
    const sc_core::sc_time at = sc_core::sc_get_curr_simcontext()->time_stamp() + delay;
    if (at > m_last_resp) m_last_resp = at;
    gp.release();
    if (m_source_done && m_completed == m_issued) notify_if_done();
    if (ends_request) request_phase_ended(delay);
    return tlm::TLM_COMPLETED;
  }
  report_unexpected_phase();
  return tlm::TLM_COMPLETED;
}

// Kept out of nb_transport_bw (called twice per request), which then needs no string work of its own.
void DramTracePlayer::report_failed(const tlm::tlm_generic_payload& gp) const {
  SC_REPORT_ERROR(name(), ("request failed: " + gp.get_response_string()).c_str());
}

void DramTracePlayer::report_unexpected_phase() const {
  SC_REPORT_ERROR(name(), "nb_transport_bw: unexpected phase");
}

}  // namespace pc::tb
