// Randomized differential co-simulation: 100,000 translations over random page tables, RTL (variant
// nehalem) against the C++ Mmu, 0 divergences; and the negative control: the same run on the variant
// with an injected bug (PSC entries keep their own rights) must report divergences.
#include <gtest/gtest.h>

#include <cstdlib>

#include "tests/cosim/random_tables.h"

using namespace pc;

TEST(CosimRandom, HundredThousandTranslationsAgree) {
  test::CosimRig r({});
  r.start();
  test::RandomTables rt(r, 2026, std::getenv("PC_COSIM_NO_RACES") ? 0 : 2);
  const auto res = rt.run(100000);
  ASSERT_TRUE(r.checker);
  if (r.checker->first_divergence()) ADD_FAILURE() << r.checker->first_divergence()->report();
  EXPECT_EQ(r.divergences(), 0u);
  EXPECT_EQ(r.checker->checked(), 100000u);
  // Every path was exercised.
  EXPECT_GT(r.cnt("dtlb.hits"), 10000u);
  EXPECT_GT(r.cnt("itlb.hits"), 300u);
  EXPECT_GT(r.cnt("stlb.hits"), 1000u);
  EXPECT_GT(r.cnt("walker.walks"), 10000u);
  EXPECT_GT(r.cnt("psc.pd_hits") + r.cnt("psc.pdpt_hits") + r.cnt("psc.pml4_hits"), 1000u);
  EXPECT_GT(r.cnt("walker.a_writes"), 1000u);
  EXPECT_GT(r.cnt("walker.d_writes"), 100u);
  EXPECT_GT(r.cnt("walker.dirty_assists"), 100u);
  EXPECT_GT(r.cnt("faults.ec_0x0d"), 10u);  // reserved bits
  EXPECT_GT(r.cnt("faults.ec_0x04"), 10u);  // not present
  EXPECT_GT(r.cnt("faults.ec_0x07"), 10u);  // write to read-only
  EXPECT_GT(r.cnt("faults.ec_0x15"), 10u);  // fetch from NX
  EXPECT_GT(r.cnt("walker.cas_restarts"), 10u);
  EXPECT_GT(res.faults, 1000u);
}

// Negative control: the checker must catch a bug that only shows when a walk starts below a PSC entry
// whose upper levels restricted the rights.
TEST(CosimRandom, InjectedBugIsCaught) {
  test::CosimOptions o;
  o.model = [] { return cosim::make_mmu_model_nehalem_bug(); };
  test::CosimRig r(o);
  r.start();
  test::RandomTables rt(r, 2026, 0);  // no races: the divergence found is the injected bug
  rt.run(20000);
  ASSERT_TRUE(r.checker->first_divergence());
  EXPECT_GT(r.divergences(), 0u);
  const std::string rep = r.checker->first_divergence()->report();
  EXPECT_NE(rep.find("first difference"), std::string::npos);
  EXPECT_NE(rep.find("rtl:"), std::string::npos);
  EXPECT_NE(rep.find("cpp:"), std::string::npos);
  // The bug: a walk that starts below a PSC entry uses that entry's own rights; the answers differ.
  const std::string field = r.checker->first_divergence()->field;
  EXPECT_TRUE(field == "fault" || field == "error code") << rep;
}
