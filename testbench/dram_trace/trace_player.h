// Replays DRAM requests into a TLM-2.0 AT target (the DDR controller) either as fast as it accepts them
// (END_REQ back-pressure) or at their time stamps, like DRAMSys' StlPlayer; counts completions and checks
// the data: every write stores its line's own address, so a read must return that address if a write to
// its line was issued before it in trace order, and zero (fresh memory) otherwise.
#pragma once

#include <tlm_utils/simple_initiator_socket.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <systemc>
#include <tlm>
#include <vector>

#include "platform/core/clock.h"
#include "testbench/dram_trace/trace_reader.h"

namespace pc::tb {

class DramTracePlayer : public sc_core::sc_module, public tlm::tlm_mm_interface {
 public:
  SC_HAS_PROCESS(DramTracePlayer);
  tlm_utils::simple_initiator_socket<DramTracePlayer> isock;

  using Source = std::function<bool(DramTraceEntry&)>;
  // `timed`: issue each request no earlier than its time stamp (DRAM clock cycles of `clk`).
  // Addresses are folded into [0, mem_bytes) and aligned down to `request_bytes`.
  DramTracePlayer(sc_core::sc_module_name name, Source src, const ClockDomain& clk, uint64_t mem_bytes,
                  bool timed, unsigned request_bytes = 64);
  ~DramTracePlayer() override;

  // Every request issued and answered, as of the current time: a response may arrive before its time
  // (the annotated delay of an early response), and counts from then on but is not done before it.
  bool done() const {
    return m_source_done && m_completed == m_issued && sc_core::sc_time_stamp() >= m_last_resp;
  }
  uint64_t issued() const { return m_issued; }
  uint64_t completed() const { return m_completed; }
  uint64_t reads() const { return m_reads; }
  uint64_t writes() const { return m_writes; }
  uint64_t reads_checked() const { return m_reads_checked; }
  uint64_t data_errors() const { return m_data_errors; }
  sc_core::sc_time last_response() const { return m_last_resp; }  // the latest response time
  sc_core::sc_event& done_event() { return m_done_ev; }

  void free(tlm::tlm_generic_payload* gp) override;

 private:
  // A payload of this player with what its read must return (no map lookup per response).
  struct Payload : tlm::tlm_generic_payload {
    explicit Payload(tlm::tlm_mm_interface* mm) : tlm::tlm_generic_payload(mm) {}
    bool check = false;    // a read in flight whose data is checked at its response
    bool written = false;  // a write to its line was issued before it
  };
  void run();
  // Sends the trace's next requests, `delay` after the current time, until one waits for its END_REQ
  // or the trace ends.
  void send_next(const sc_core::sc_time& delay);
  // Sends the request of entry `e`, `delay` after the current time.
  void send(const DramTraceEntry& e, const sc_core::sc_time& delay);
  // The request phase of m_in_request ended, `delay` after the current time.
  void request_phase_ended(const sc_core::sc_time& delay);
  // Lines (request_bytes each) a write was issued to: a bitmap in pages allocated as they are written.
  struct BitmapPos {
    uint64_t page, word;  // the bitmap page (m_written_pages), the word in it
    unsigned shift;       // the line's bit in the word
  };
  BitmapPos bitmap_pos(uint64_t addr) const;
  bool written(uint64_t addr) const;
  void mark_written(uint64_t addr);
  // The bitmap word at `pos` if its page exists, else nullptr (also to prefetch: see
  // BackingStore::entry_addr).
  const uint64_t* written_word(const BitmapPos& pos) const;
  // Applies the deferred bitmap step of the last request sent (see send): marks its line if a write,
  // looks its line up if a read.
  void settle_written();
  tlm::tlm_sync_enum nb_transport_bw(tlm::tlm_generic_payload& gp, tlm::tlm_phase& phase,
                                     sc_core::sc_time& delay);
  tlm::tlm_generic_payload* alloc();
  // Once every request is issued and answered: the done event, at the latest response's time.
  void notify_if_done();
  [[gnu::cold, gnu::noinline]] void report_failed(const tlm::tlm_generic_payload& gp) const;
  [[gnu::cold, gnu::noinline]] void report_unexpected_phase() const;

  Source m_src;
  ClockDomain m_clk;
  uint64_t m_mem_bytes;
  bool m_timed;
  unsigned m_req_bytes;
  std::vector<tlm::tlm_generic_payload*> m_pool;
  std::vector<std::unique_ptr<Payload>> m_all;
  std::vector<std::unique_ptr<uint8_t[]>> m_buffers;
  sc_core::sc_event m_end_req, m_done_ev;
  bool m_waiting_end_req = false;
  tlm::tlm_generic_payload* m_in_request = nullptr;  // the transaction in its request phase
  bool m_source_done = false;
  uint64_t m_issued = 0, m_completed = 0, m_reads = 0, m_writes = 0, m_reads_checked = 0, m_data_errors = 0;
  static constexpr unsigned kPageBits = 16;                  // 2^16 lines per bitmap page
  std::vector<std::unique_ptr<uint64_t[]>> m_written_pages;  // by line >> kPageBits
  // The last request sent, whose bitmap step (mark or look-up) is still to come: null when none is.
  Payload* m_unsettled = nullptr;
  sc_core::sc_time m_last_resp;
};

}  // namespace pc::tb
