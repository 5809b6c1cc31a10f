// TLM DMI from the DDR controller (issue 15): a page of the backing store is granted while no write to it
// waits in the controller's write buffer (the pointer then sees exactly what transport_dbg sees), the
// LT adapter and the router pass requests and invalidations through, a write buffered for a granted page
// invalidates every initiator's pointer before its bytes are held back from the store, and so does a
// discard. Each invalidation has a negative control: with it switched off, a core reads stale bytes.
#include <gtest/gtest.h>

#include <array>
#include <cstring>

#include "models/dram/dram_controller.h"
#include "models/dram/lt_adapter.h"
#include "tests/support/mmu_rig.h"

using namespace pc;
using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;

namespace {

using Bytes = std::array<uint8_t, 8>;

// Two cores with caches and a DMA master (no snooping: the cores keep their lines) over DDR4 behind the
// LT adapter. Closed pages: a posted write needs an ACT before its WR, so it stays buffered for a while
// after the initiator has its response.
struct DdrDmiRig {
  DdrDmiRig() {
    router.isock.bind(lt.tsock);
    lt.isock.bind(ctrl.tsock);
    c0.mem_isock.bind(router.tsock);
    c1.mem_isock.bind(router.tsock);
    p0.isock.bind(c0.tsock);
    p1.isock.bind(c1.tsock);
    dma.isock.bind(router.tsock);
  }
  static dram::DdrConfig cfg() {
    dram::DdrConfig d;
    d.ctrl.checker = true;
    d.ctrl.page_policy = "closed";
    return d;
  }
  // A plain access through an initiator's socket (waits inside the adapter: call from a thread).
  static void bus(test::WalkPort& p, bool write, uint64_t addr, uint8_t* data, unsigned len) {
    tlm::tlm_generic_payload gp;
    AccessExt ext;
    prepare_payload(gp, write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND, addr, data, len);
    gp.set_extension(&ext);
    sc_time d = SC_ZERO_TIME;
    p.isock->b_transport(gp, d);
    gp.clear_extension(&ext);
    ASSERT_TRUE(gp.is_response_ok());
    sc_core::wait(d);
  }
  // One access of a core through its caches' L1-hit path.
  static cache::CoreCaches::L1Hit l1(cache::CoreCaches& c, bool write, uint64_t addr, uint8_t* data,
                                     unsigned len) {
    tlm::tlm_generic_payload gp;
    prepare_payload(gp, write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND, addr, data, len);
    sc_time lat;
    return c.l1_hit(gp, false, lat);
  }
  bool ask_dmi(uint64_t addr, tlm::tlm_dmi& dmi) {
    tlm::tlm_generic_payload gp;
    prepare_payload(gp, tlm::TLM_READ_COMMAND, addr, nullptr, 0);
    dmi.init();
    return dma.isock->get_direct_mem_ptr(gp, dmi);
  }
  Bytes debug_read(uint64_t addr) {
    Bytes b{};
    tlm::tlm_generic_payload gp;
    prepare_payload(gp, tlm::TLM_READ_COMMAND, addr, b.data(), 8);
    EXPECT_EQ(dma.isock->transport_dbg(gp), 8u);
    return b;
  }
  Bytes store_bytes(uint64_t addr) const {
    Bytes b{};
    store.read(addr, b.data(), 8);
    return b;
  }
  // Runs `body` in a thread until it returns.
  void run(std::function<void()> body) {
    sc_core::sc_spawn([body = std::move(body)] {
      body();
      sc_core::sc_stop();
    });
    sc_core::sc_start();
  }

  stats::Group root{nullptr, "stats"};
  mem::BackingStore store{64ull << 20};
  dram::DramController ctrl{"dram", cfg(), store, root};
  dram::LtAdapter lt{"lt"};
  interconnect::Router router{"router", hw::physical_address_map(store.size(), false), SC_ZERO_TIME, root};
  ClockDomain clk{"cpu", 3000};
  cache::CachesConfig cc;
  cache::SharedLlc llc{cc, clk, root};
  stats::Group g0{&root, "core0"}, g1{&root, "core1"};
  cache::CoreCaches c0{"caches0", 0, cc, clk, llc, g0}, c1{"caches1", 1, cc, clk, llc, g1};
  test::WalkPort p0{"p0"}, p1{"p1"}, dma{"dma"};
};

constexpr Bytes kOld = {0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab};
constexpr Bytes kNew = {1, 2, 3, 4, 5, 6, 7, 8};

// Core 0 writes kOld at `a` (a miss: the line is installed exclusive, the page written) and reads it back
// as an L1 hit, which takes a DMI pointer to the page. The DMA master then posts kNew to `a`; while that
// write waits for its WR, core 0 reads `a` again as an L1 hit. Returns what that read saw.
Bytes read_beside_buffered_write(DdrDmiRig& r, uint64_t a) {
  Bytes got{};
  r.run([&] {
    Bytes w = kOld;
    DdrDmiRig::bus(r.p0, true, a, w.data(), 8);
    Bytes first{};
    ASSERT_EQ(DdrDmiRig::l1(r.c0, false, a, first.data(), 8), cache::CoreCaches::L1Hit::Ok);
    EXPECT_EQ(first, kOld);
    EXPECT_EQ(r.ctrl.dmi_grants(), 1u);  // the hit went through a pointer
    Bytes d = kNew;
    DdrDmiRig::bus(r.dma, true, a, d.data(), 8);
    // The window the test is about: the store still holds the old bytes, the write buffer the new ones.
    EXPECT_EQ(r.store_bytes(a), kOld);
    EXPECT_EQ(r.debug_read(a), kNew);
    ASSERT_EQ(DdrDmiRig::l1(r.c0, false, a, got.data(), 8), cache::CoreCaches::L1Hit::Ok);
  });
  return got;
}

// Core 0 writes kOld at `a`, then kNew through its DMI pointer; the page is discarded and core 0 reads `a`
// as an L1 hit. Returns what that read saw.
Bytes read_after_discard(DdrDmiRig& r, uint64_t a) {
  Bytes got{};
  r.run([&] {
    Bytes w = kOld;
    DdrDmiRig::bus(r.p0, true, a, w.data(), 8);
    Bytes w2 = kNew;
    ASSERT_EQ(DdrDmiRig::l1(r.c0, true, a, w2.data(), 8), cache::CoreCaches::L1Hit::Ok);
    EXPECT_EQ(r.ctrl.dmi_grants(), 1u);
    EXPECT_EQ(r.store_bytes(a), kNew);
    r.store.discard(a & ~4095ull, 4096);
    got.fill(0xff);
    ASSERT_EQ(DdrDmiRig::l1(r.c0, false, a, got.data(), 8), cache::CoreCaches::L1Hit::Ok);
  });
  return got;
}

}  // namespace

TEST(DdrDmiSim, GrantsAWrittenPageWhileNoWriteToItIsBuffered) {
  DdrDmiRig r;
  r.run([&] {
    tlm::tlm_dmi dmi;
    EXPECT_FALSE(r.ask_dmi(0x200010, dmi));  // untouched: denied for that page
    EXPECT_EQ(dmi.get_start_address(), 0x200000u);
    EXPECT_EQ(dmi.get_end_address(), 0x200fffu);
    Bytes v = kOld;
    r.store.write(0x200000, v.data(), 8);
    ASSERT_TRUE(r.ask_dmi(0x200010, dmi));
    EXPECT_TRUE(dmi.is_read_write_allowed());
    EXPECT_EQ(dmi.get_start_address(), 0x200000u);
    EXPECT_EQ(dmi.get_end_address(), 0x200fffu);
    EXPECT_EQ(dmi.get_dmi_ptr(), r.store.page_ptr(0x200000));
    EXPECT_EQ(r.ctrl.dmi_grants(), 1u);
    // A zero-filled page shares the store's zero page: denied.
    const uint8_t z[8] = {};
    r.store.write(0x201000, z, 8);
    EXPECT_FALSE(r.ask_dmi(0x201000, dmi));
    // A posted write to the granted page: the grant is withdrawn (one invalidation) and, while the write
    // waits for its WR, the page is denied; the pointer would have read the store's older bytes.
    Bytes d = kNew;
    DdrDmiRig::bus(r.dma, true, 0x200fc0, d.data(), 8);
    EXPECT_EQ(r.ctrl.dmi_invalidations(), 1u);
    EXPECT_EQ(r.store_bytes(0x200fc0), Bytes{});
    EXPECT_EQ(r.debug_read(0x200fc0), kNew);
    EXPECT_FALSE(r.ask_dmi(0x200010, dmi));
    EXPECT_EQ(dmi.get_start_address(), 0x200000u);
    EXPECT_EQ(dmi.get_end_address(), 0x200fffu);
    EXPECT_EQ(r.ctrl.dmi_grants(), 1u);
    // Once the WR has moved the bytes to the store the page is granted again.
    sc_core::wait(sc_time(1, sc_core::SC_US));
    EXPECT_EQ(r.store_bytes(0x200fc0), kNew);
    EXPECT_TRUE(r.ask_dmi(0x200010, dmi));
    EXPECT_EQ(r.ctrl.dmi_grants(), 2u);
    // Beyond the DRAM window: denied by the router.
    EXPECT_FALSE(r.ask_dmi(r.store.size() + 0x1000, dmi));
  });
}

TEST(DdrDmiSim, ABufferedWriteInvalidatesACoresPointer) {
  DdrDmiRig r;
  EXPECT_EQ(read_beside_buffered_write(r, 0x300040), kNew);
  EXPECT_EQ(r.ctrl.dmi_invalidations(), 1u);
  EXPECT_TRUE(r.ctrl.violation().empty());
}

// Negative control: without the invalidation the core keeps its pointer and reads the store's old bytes.
TEST(DdrDmiSim, WithoutTheInvalidationACoreReadsStaleBytesBesideABufferedWrite) {
  DdrDmiRig r;
  r.ctrl.set_dmi_invalidation_for_test(false);
  EXPECT_EQ(read_beside_buffered_write(r, 0x300040), kOld);
  EXPECT_EQ(r.ctrl.dmi_invalidations(), 0u);
}

TEST(DdrDmiSim, ADiscardInvalidatesACoresPointer) {
  DdrDmiRig r;
  EXPECT_EQ(read_after_discard(r, 0x400080), Bytes{});
  EXPECT_EQ(r.ctrl.dmi_invalidations(), 1u);
}

// Negative control: a pointer kept past the discard still sees the released page's bytes (a freed page is
// cleared only when it is reused).
TEST(DdrDmiSim, WithoutTheInvalidationACoreReadsADiscardedPage) {
  DdrDmiRig r;
  r.ctrl.set_dmi_invalidation_for_test(false);
  EXPECT_EQ(read_after_discard(r, 0x400080), kNew);
}
