// The interface between the disk controller and a storage medium: queued commands (NCQ), a policy that
// picks which one starts next, and the medium's own timing in femtoseconds of simulated time.
#pragma once

#include <cstdint>

namespace pc::disk {

using Fs = uint64_t;
__extension__ typedef unsigned __int128 U128;  // exact products of times and sector counts  // simulated time in femtoseconds (the platform's time resolution)
constexpr Fs kFsPerNs = 1000000;
constexpr Fs kFsPerUs = 1000 * kFsPerNs;
constexpr Fs kFsPerMs = 1000 * kFsPerUs;
inline Fs fs_from_ms(double ms) { return static_cast<Fs>(ms * 1e12 + 0.5); }
inline Fs fs_from_us(double us) { return static_cast<Fs>(us * 1e9 + 0.5); }

struct MediaOp {
  unsigned slot = 0;
  bool write = false;
  uint64_t lba = 0;
  uint32_t sectors = 0;
  Fs arrival = 0;      // when the command reached the medium's queue
  bool flush = false;  // FLUSH CACHE: completes once every write that arrived before it is on the medium
};

struct MediaResult {
  unsigned slot = 0;
  Fs start = 0;   // service started (left the queue)
  Fs finish = 0;  // data is in the drive's buffer (read), in its write cache or on the medium (write)
};

class Media {
 public:
  virtual ~Media() = default;
  virtual uint64_t capacity_sectors() const = 0;
  virtual void enqueue(const MediaOp& op) = 0;
  // Starts one queued command that can start at `now`, chosen by the medium's NCQ policy; returns false
  // when none can (queue empty, or the medium is busy until a completion it already reported).
  virtual bool dispatch(Fs now, MediaResult& out) = 0;
  // The next time after `now` at which dispatch can make progress without a new command (background
  // work such as destaging a write cache ends then); ~0 for none.
  virtual Fs next_event(Fs now) const { return ~Fs{0}; }
  // Called at the end of the run (die utilisation and similar time-based figures).
  virtual void finish_stats(Fs now) {}
};

}  // namespace pc::disk
