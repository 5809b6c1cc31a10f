// Block-I/O workload.
#include "testbench/blockio.h"

#include <functional>

#include "testbench/workload/rng.h"

namespace pc::tb {

BlockIoWorkload::Dir::Dir(stats::Group& parent, const char* name)
    : g(&parent, name, "I/Os of one direction"),
      ios(g, "ios", "I/Os", "I/Os completed"),
      bytes(g, "bytes", "bytes", "bytes transferred"),
      latency_us(g, "latency_us", "us", "submit_bio to bi_end_io"),
      queue_us(g, "queue_us", "us",
               "submit_bio to the request's dispatch to the driver (block-layer queueing)"),
      device_us(g, "device_us", "us",
                "dispatch to the driver to bi_end_io (device queueing + service + interrupt)"),
      iops(g, "iops", "1/s", "I/Os per simulated second of the run", [this] {
        const double s = sc_core::sc_time_stamp().to_seconds();
        return s > 0 ? static_cast<double>(ios.value()) / s : 0.0;
      }) {}

BlockIoWorkload::BlockIoWorkload(sc_core::sc_module_name name, const BlockIoConfig& cfg, uint64_t seed,
                                 kernel::BlockLayer& blk, kernel::KernelBus& bus, uint64_t buf_base,
                                 stats::Group& parent)
    : sc_module(name),
      m_cfg(cfg),
      m_seed(seed),
      m_blk(blk),
      m_bus(bus),
      m_buf_base(buf_base),
      m_stats(&parent, "blockio", "block-I/O workload"),
      m_read(m_stats, "read"),
      m_write(m_stats, "write"),
      m_io_errors(m_stats, "io_errors", "I/Os", "I/Os that ended with an error"),
      m_data_errors(m_stats, "data_errors", "I/Os", "data checking: reads that returned wrong bytes"),
      m_reads_checked(m_stats, "reads_checked", "I/Os", "data checking: reads verified") {
  for (unsigned i = 0; i < cfg.queue_depth; ++i)
    sc_core::sc_spawn(std::bind(&BlockIoWorkload::issuer, this, i), sc_core::sc_gen_unique_name("issuer"));
}

uint64_t BlockIoWorkload::pattern_word(uint64_t block, uint64_t word, uint64_t version) const {
  if (version == 0) return 0;  // never written: the device returns zeros
  uint64_t x = (block * 0x9e3779b97f4a7c15ull) ^ (word * 0xc2b2ae3d27d4eb4full) ^ (version << 1) ^ m_seed;
  x = (x ^ (x >> 31)) * 0xbf58476d1ce4e5b9ull;
  return x ^ (x >> 29);
}

uint64_t BlockIoWorkload::next_block(unsigned id, uint64_t& rng) {
  if (m_cfg.pattern == "sequential") return m_cursor++ % m_span_blocks;
  // Random: each issuer owns the blocks congruent to its id, so with data checking no two I/Os in flight
  // touch the same block and every read has one right answer.
  const uint64_t n = m_cfg.queue_depth;
  const uint64_t per = m_span_blocks / n;
  return (splitmix64(rng) % per) * n + id;
}

void BlockIoWorkload::issuer(unsigned id) {
  const uint64_t bytes = m_cfg.block_kib * 1024, sectors = bytes / 512;
  if (m_span_blocks == 0) {
    kernel::KCtx kc;  // a plain SystemC thread of the workload: it waits in place
    const uint64_t cap = m_blk.disk()->capacity_sectors(kc) / sectors;
    kc.sync();
    const uint64_t span = m_cfg.span_mib ? m_cfg.span_mib * 1024 * 1024 / bytes : cap;
    m_span_blocks = std::max<uint64_t>(std::min(span, cap), m_cfg.queue_depth);
  }
  uint64_t rng = m_seed ^ (0x51ed27u + id * 0x2545f4914f6cdd1dull);
  const uint64_t buf = m_buf_base + id * bytes;
  std::vector<uint64_t> words(bytes / 8);
  sc_core::sc_event done_ev;
  int done_err = 0;
  while (m_issued < m_cfg.requests) {
    ++m_issued;
    const uint64_t block = next_block(id, rng);
    const bool read = static_cast<double>(splitmix64(rng) >> 11) * 0x1.0p-53 < m_cfg.read_fraction;
    uint64_t version = 0;
    if (m_cfg.data_check) {
      kernel::BusCtx d;
      if (!read) {
        version = ++m_version;
        for (uint64_t w = 0; w < words.size(); ++w) words[w] = pattern_word(block, w, version);
        for (uint64_t off = 0; off < bytes; off += 64)
          m_bus.write(buf + off, reinterpret_cast<uint8_t*>(words.data()) + off, 64, d);
        m_shadow[block] = version;
      }
      wait(d.delay);
    }
    kernel::Bio bio;
    bio.sector = block * sectors;
    bio.write = !read;
    bio.sync = read;  // a reader waits for its page: the block layer unplugs at once (sync_page)
    bio.vecs.push_back({buf, static_cast<uint32_t>(bytes)});
    bio.end_io = [&](kernel::Bio& b, int err) {
      done_err = err;
      // Wake at the completing thread's local time (the interrupt handler runs ahead of sc_time_stamp()).
      const kernel::Fs now = sc_core::sc_time_stamp().value();
      done_ev.notify(sc_core::sc_time::from_value(b.completed > now ? b.completed - now : 0));
    };
    kernel::KCtx kc;
    m_blk.submit_bio(&bio, kc);
    kc.sync();
    wait(done_ev);
    const kernel::Fs t = sc_core::sc_time_stamp().value();
    m_end = std::max(m_end, t);
    if (done_err) {
      ++m_io_errors;
      continue;
    }
    Dir& d = read ? m_read : m_write;
    ++d.ios;
    d.bytes += bytes;
    d.latency_us.sample(static_cast<double>(t - bio.submitted) / 1e9);
    d.queue_us.sample(static_cast<double>(bio.dispatched - bio.submitted) / 1e9);
    d.device_us.sample(static_cast<double>(t - bio.dispatched) / 1e9);
    if (m_cfg.data_check && read) {
      const auto it = m_shadow.find(block);
      const uint64_t want_version = it == m_shadow.end() ? 0 : it->second;
      kernel::BusCtx dl;
      for (uint64_t off = 0; off < bytes; off += 64)
        m_bus.read(buf + off, reinterpret_cast<uint8_t*>(words.data()) + off, 64, dl);
      wait(dl.delay);
      bool ok = true;
      for (uint64_t w = 0; w < words.size() && ok; ++w) ok = words[w] == pattern_word(block, w, want_version);
      ++m_reads_checked;
      if (!ok) ++m_data_errors;
    }
  }
  ++m_finished;
}

}  // namespace pc::tb
