// struct bio and struct request (Linux 2.6.18 include/linux/bio.h, blkdev.h), reduced to what the
// modeled block layer uses.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace pc::kernel {

using Fs = uint64_t;  // simulated femtoseconds

class AhciDisk;

struct BioVec {
  uint64_t pa;   // physical address of the buffer
  uint32_t len;  // bytes
};

struct Bio {
  AhciDisk* bdev = nullptr;  // bi_bdev: the disk it goes to (null: the first disk)
  uint64_t sector = 0;       // bi_sector
  bool write = false;        // bi_rw & WRITE
  bool sync = false;         // BIO_RW_SYNC: unplug right after queuing
  std::vector<BioVec> vecs;
  // bi_end_io(bio, error): error is 0 or -EIO.
  std::function<void(Bio&, int)> end_io;
  uint32_t size() const {
    uint32_t s = 0;
    for (const auto& v : vecs) s += v.len;
    return s;
  }
  uint32_t sectors() const { return size() / 512; }
  Fs submitted = 0;   // submit_bio (latency accounting)
  Fs dispatched = 0;  // its request was handed to the driver
  Fs completed = 0;   // bi_end_io ran (the completing thread's local time, which may run ahead of
                      // sc_time_stamp(): a waiter should be woken at this time, not earlier)
};

struct Request {
  uint64_t sector = 0;
  uint32_t nr_sectors = 0;
  bool write = false;
  std::vector<Bio*> bios;
  Fs start_time = 0;  // allocated
  Fs deadline = 0;    // deadline scheduler: FIFO expiry
  Fs dispatched = 0;  // handed to the driver
  int tag = -1;       // NCQ slot while in flight
  uint64_t end_sector() const { return sector + nr_sectors; }
};

}  // namespace pc::kernel
