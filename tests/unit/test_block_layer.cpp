// The block layer's policy without a simulation: Linux 2.6.18 congestion thresholds, request pool,
// plugging, back/front merging and the noop/deadline dispatch orders.
#include <gtest/gtest.h>

#include <deque>

#include "kernel_model/block/request_queue.h"

using namespace pc;
using namespace pc::kernel;

namespace {

struct Bios {
  std::deque<Bio> all;
  Bio* make(uint64_t sector, bool write, uint32_t sectors = 8) {
    all.emplace_back();
    Bio& b = all.back();
    b.sector = sector;
    b.write = write;
    b.vecs.push_back({0x100000 + sector * 512, sectors * 512});
    return &b;
  }
};

constexpr Fs kMs = 1000000000000ull;

}  // namespace

TEST(RequestQueue, CongestionThresholdsFollowLinux) {
  stats::Group root(nullptr, "stats");
  BlockConfig cfg;  // nr_requests = 128
  RequestQueue q(cfg, root);
  // nr - nr/8 + 1 = 128 - 16 + 1 = 113 on; nr - nr/8 - nr/16 - 1 = 128 - 16 - 8 - 1 = 103 off.
  EXPECT_EQ(q.congestion_on_threshold(), 113u);
  EXPECT_EQ(q.congestion_off_threshold(), 103u);
  int cleared = 0;
  q.on_congestion_cleared = [&](bool w) { cleared += w ? 1 : 100; };
  Bios bios;
  for (unsigned i = 0; i < 128; ++i) {
    // Sectors 16 apart: never adjacent, so every bio takes its own request.
    ASSERT_EQ(q.__make_request(bios.make(i * 16, true), 0), RequestQueue::MakeResult::Queued);
    EXPECT_EQ(q.congested(true), i + 1 >= 113) << "after " << i + 1 << " requests";
  }
  EXPECT_FALSE(q.congested(false));  // per direction
  EXPECT_EQ(q.__make_request(bios.make(5000, true), 0), RequestQueue::MakeResult::NoRequest);
  EXPECT_EQ(q.__make_request(bios.make(5000, false), 0), RequestQueue::MakeResult::Queued);  // reads have their own pool
  q.blk_remove_plug();
  std::vector<Request*> out;
  while (Request* rq = q.elv_next_request(0))
    if (rq->write) out.push_back(rq);
  ASSERT_EQ(out.size(), 128u);
  // Congestion clears when the count drops below 103, i.e. after 26 completions (128 -> 102).
  for (unsigned i = 0; i < 26; ++i) {
    EXPECT_TRUE(q.congested(true));
    q.end_request(out[i], 0, 10 * kMs);
  }
  EXPECT_FALSE(q.congested(true));
  EXPECT_EQ(cleared, 1);
  EXPECT_EQ(q.allocated(true), 102u);
}

TEST(RequestQueue, PlugsAnEmptyQueueAndUnplugsAtTheThreshold) {
  stats::Group root(nullptr, "stats");
  BlockConfig cfg;  // unplug_thresh 4, unplug_delay 3 ms
  RequestQueue q(cfg, root);
  Bios bios;
  q.__make_request(bios.make(0, false), 2 * kMs);
  EXPECT_TRUE(q.plugged());
  EXPECT_EQ(q.unplug_deadline(), 5 * kMs);
  EXPECT_EQ(q.elv_next_request(2 * kMs), nullptr);  // plugged: the driver gets nothing yet
  q.__make_request(bios.make(100, false), 2 * kMs);
  q.__make_request(bios.make(200, false), 2 * kMs);
  EXPECT_FALSE(q.unplug_due());
  q.__make_request(bios.make(300, false), 2 * kMs);
  EXPECT_TRUE(q.unplug_due());
  EXPECT_TRUE(q.blk_remove_plug());
  EXPECT_NE(q.elv_next_request(2 * kMs), nullptr);
}

TEST(RequestQueue, MergesAdjacentBiosBackAndFrontUpToMaxSectors) {
  stats::Group root(nullptr, "stats");
  BlockConfig cfg;
  cfg.elevator = "noop";
  cfg.max_sectors = 24;
  RequestQueue q(cfg, root);
  Bios bios;
  using R = RequestQueue::MakeResult;
  EXPECT_EQ(q.__make_request(bios.make(0, true), 0), R::Queued);     // A = [0,8)
  EXPECT_EQ(q.__make_request(bios.make(100, true), 0), R::Queued);   // C = [100,108)
  EXPECT_EQ(q.__make_request(bios.make(8, true), 0), R::Merged);     // back: A = [0,16)
  EXPECT_EQ(q.__make_request(bios.make(92, true), 0), R::Merged);    // front: C = [92,108)
  EXPECT_EQ(q.__make_request(bios.make(16, false), 0), R::Queued);   // other direction never merges
  EXPECT_EQ(q.__make_request(bios.make(16, true), 0), R::Merged);    // A = [0,24) = max_sectors
  EXPECT_EQ(q.__make_request(bios.make(24, true), 0), R::Queued);    // would exceed 24 sectors
  q.blk_remove_plug();
  Request* a = q.elv_next_request(0);  // noop: FIFO
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->sector, 0u);
  EXPECT_EQ(a->nr_sectors, 24u);
  EXPECT_EQ(a->bios.size(), 3u);
  Request* c = q.elv_next_request(0);
  EXPECT_EQ(c->sector, 92u);
  EXPECT_EQ(c->nr_sectors, 16u);
  EXPECT_EQ(c->bios.front()->sector, 92u);  // the front-merged bio comes first
  EXPECT_EQ(q.elv_next_request(0)->write, false);
  EXPECT_EQ(q.elv_next_request(0)->sector, 24u);
  EXPECT_EQ(q.elv_next_request(0), nullptr);
}

TEST(RequestQueue, MergingRespectsMaxSegments) {
  stats::Group root(nullptr, "stats");
  BlockConfig cfg;
  cfg.max_segments = 2;  // room for two one-segment bios per request
  RequestQueue q(cfg, root);
  Bios bios;
  using R = RequestQueue::MakeResult;
  EXPECT_EQ(q.__make_request(bios.make(0, true), 0), R::Queued);
  EXPECT_EQ(q.__make_request(bios.make(8, true), 0), R::Merged);
  EXPECT_EQ(q.__make_request(bios.make(16, true), 0), R::Queued);  // a third segment would not fit
}

TEST(DeadlineElevator, SortsBatchesPrefersReadsAndHonoursExpiry) {
  BlockConfig cfg;  // read_expire 500 ms, write_expire 5 s, fifo_batch 16, writes_starved 2
  DeadlineElevator e(cfg);
  std::deque<Request> rqs;
  auto add = [&](uint64_t sector, bool write, Fs now) {
    rqs.emplace_back();
    Request& r = rqs.back();
    r.sector = sector;
    r.nr_sectors = 8;
    r.write = write;
    e.elv_add_request(&r, now);
    return &r;
  };
  // Reads 300, 100, 200 and writes 50, 60, nothing expired. Each step is non-sequential, so each ends
  // its batch (batching += fifo_batch) and a direction is chosen again:
  //  1. reads (starved 0 -> 1): no next request, start at the lowest read: 100.
  //  2. reads (starved 1 -> 2): continue from the sorted next read: 200.
  //  3. starved 2 >= writes_starved: writes; lowest write 50. Moving a request clears the other
  //     direction's next pointer (deadline_move_request), so read 300 loses its place.
  //  4. reads (starved 0 -> 1): no next read, lowest read: 300.  5. writes: 60.
  add(300, false, 0);
  add(100, false, 0);
  add(200, false, 0);
  add(50, true, 0);
  add(60, true, 0);
  std::vector<uint64_t> order;
  while (Request* r = e.elv_next_request(kMs)) order.push_back(r->sector);
  EXPECT_EQ(order, (std::vector<uint64_t>{100, 200, 50, 300, 60}));
  // Expiry: read 900 queued at 0 expires at 500 ms; at 600 ms it goes before the lower read at 100.
  add(900, false, 0);
  add(100, false, 550 * kMs);
  EXPECT_EQ(e.elv_next_request(600 * kMs)->sector, 900u);
  EXPECT_EQ(e.elv_next_request(600 * kMs)->sector, 100u);
  // A sequential run stays in one batch: 1000, 1008, 1016 in order even though 0 is lower.
  add(1008, false, kMs);
  add(1016, false, kMs);
  add(1000, false, kMs);
  EXPECT_EQ(e.elv_next_request(kMs)->sector, 1000u);
  add(0, false, kMs);
  EXPECT_EQ(e.elv_next_request(kMs)->sector, 1008u);
  EXPECT_EQ(e.elv_next_request(kMs)->sector, 1016u);
  EXPECT_EQ(e.elv_next_request(kMs)->sector, 0u);
}
