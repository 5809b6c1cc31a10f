// TLM DMI on the L1-hit path (issue 15): the fixed memory grants a pointer to a page of the backing store
// once it has been written (an untouched page reads as zero and is denied), the router passes the request
// and the region through, a core's L1 hits then move their bytes through the pointer, and releasing the
// page invalidates every pointer into it before the page can be handed out again.
#include <gtest/gtest.h>

#include <cstring>

#include "tests/support/mmu_rig.h"

using namespace pc;
using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;

namespace {

test::RigOptions cached() {
  test::RigOptions o;
  o.caches = true;
  o.cores = 2;
  return o;
}

bool ask_dmi(test::MmuRig& r, uint64_t addr, tlm::tlm_dmi& dmi) {
  tlm::tlm_generic_payload gp;
  prepare_payload(gp, tlm::TLM_READ_COMMAND, addr, nullptr, 0);
  return r.pt.mem_isock->get_direct_mem_ptr(gp, dmi);
}

// One plain access of core `c` through its caches' L1-hit path.
cache::CoreCaches::L1Hit l1(test::MmuRig& r, unsigned c, bool write, uint64_t addr, uint8_t* data,
                            unsigned len) {
  tlm::tlm_generic_payload gp;
  prepare_payload(gp, write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND, addr, data, len);
  sc_time lat;
  return r.caches.at(c)->l1_hit(gp, false, lat);
}

void bus(test::MmuRig& r, unsigned c, bool write, uint64_t addr, uint8_t* data, unsigned len) {
  tlm::tlm_generic_payload gp;
  AccessExt ext;
  prepare_payload(gp, write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND, addr, data, len);
  gp.set_extension(&ext);
  sc_time d = SC_ZERO_TIME;
  r.ports.at(c)->isock->b_transport(gp, d);
  gp.clear_extension(&ext);
  ASSERT_TRUE(gp.is_response_ok());
}

}  // namespace

TEST(DmiSim, FixedMemoryGrantsWrittenPagesThroughTheRouter) {
  test::MmuRig r(cached());
  r.start();
  tlm::tlm_dmi dmi;
  EXPECT_FALSE(ask_dmi(r, 0x200010, dmi));  // untouched: denied for that page
  EXPECT_EQ(dmi.get_start_address(), 0x200000u);
  EXPECT_EQ(dmi.get_end_address(), 0x200fffu);
  const uint8_t v[4] = {1, 2, 3, 4};
  r.store.write(0x200010, v, 4);
  dmi.init();
  ASSERT_TRUE(ask_dmi(r, 0x200010, dmi));
  EXPECT_TRUE(dmi.is_read_write_allowed());
  EXPECT_EQ(dmi.get_start_address(), 0x200000u);
  EXPECT_EQ(dmi.get_end_address(), 0x200fffu);
  EXPECT_EQ(dmi.get_dmi_ptr(), r.store.page_ptr(0x200000));
  EXPECT_EQ(std::memcmp(dmi.get_dmi_ptr() + 0x10, v, 4), 0);
  // A page written only with zeros shares the store's zero page: denied (a store through the pointer
  // would reach every zero-filled page).
  const uint8_t z[8] = {};
  r.store.write(0x201000, z, 8);
  dmi.init();
  EXPECT_FALSE(ask_dmi(r, 0x201000, dmi));
  // Beyond the DRAM window: denied by the router.
  dmi.init();
  EXPECT_FALSE(ask_dmi(r, r.store.size() + 0x1000, dmi));
}

TEST(DmiSim, L1HitsMoveBytesThroughDmiAndADiscardInvalidatesIt) {
  test::MmuRig r(cached());
  r.start();
  const uint64_t a = 0x300040;
  uint8_t w[8] = {0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab};
  bus(r, 0, true, a, w, 8);  // a miss: the line is installed (exclusive) and the page written
  uint8_t got[8] = {};
  ASSERT_EQ(l1(r, 0, false, a, got, 8), cache::CoreCaches::L1Hit::Ok);
  EXPECT_EQ(std::memcmp(got, w, 8), 0);
  uint8_t w2[8] = {7, 6, 5, 4, 3, 2, 1, 0};
  ASSERT_EQ(l1(r, 0, true, a, w2, 8), cache::CoreCaches::L1Hit::Ok);  // through the pointer now
  uint8_t mem[8] = {};
  r.store.read(a, mem, 8);
  EXPECT_EQ(std::memcmp(mem, w2, 8), 0);
  EXPECT_EQ(r.cnt("l1d.hits"), 2u);
  // Released: the page reads as zero again. A pointer kept past the discard would still see w2 (the
  // freed page is not cleared until it is reused).
  r.store.discard(0x300000, 4096);
  std::memset(got, 0xff, 8);
  ASSERT_EQ(l1(r, 0, false, a, got, 8), cache::CoreCaches::L1Hit::Ok);
  const uint8_t zero[8] = {};
  EXPECT_EQ(std::memcmp(got, zero, 8), 0);
  // A store to a line core 0 does not hold exclusively is not a fast-path hit (it must invalidate).
  EXPECT_EQ(l1(r, 1, true, a, w2, 8), cache::CoreCaches::L1Hit::No);
}
