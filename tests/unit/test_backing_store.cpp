// Sparse backing store: real bytes, zero on first read, allocation on first write only.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "models/mem/backing_store.h"

using pc::mem::BackingStore;

TEST(BackingStore, SparseSixtyFourGiB) {
  BackingStore s(64ull << 30);
  std::vector<uint8_t> buf(100, 0xff);
  s.read(40ull << 30, buf.data(), buf.size());
  for (auto b : buf) EXPECT_EQ(b, 0);
  EXPECT_EQ(s.pages_allocated(), 0u);  // reads never allocate
  const uint8_t v[3] = {1, 2, 3};
  s.write((64ull << 30) - 3, v, 3);
  EXPECT_EQ(s.pages_allocated(), 1u);
  uint8_t r[3];
  s.read((64ull << 30) - 3, r, 3);
  EXPECT_EQ(r[2], 3);
}

TEST(BackingStore, CrossPageRoundTrip) {
  BackingStore s(1 << 20);
  std::vector<uint8_t> w(10000);
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<uint8_t>(i * 7 + 1);
  s.write(4090, w.data(), w.size());  // spans pages 0..3
  EXPECT_EQ(s.pages_allocated(), 4u);
  std::vector<uint8_t> r(w.size());
  s.read(4090, r.data(), r.size());
  EXPECT_EQ(r, w);
}

TEST(BackingStore, Contains) {
  BackingStore s(8192);
  EXPECT_TRUE(s.contains(0, 8192));
  EXPECT_FALSE(s.contains(1, 8192));
  EXPECT_FALSE(s.contains(8192, 1));
  EXPECT_FALSE(s.contains(~0ull, 2));  // no wrap-around
}

// clear_page of a fresh frame: the page is touched (pages_allocated counts it) but takes no host memory
// until a non-zero byte arrives; its bytes read as zero throughout.
TEST(BackingStore, ZeroFilledPageTakesHostMemoryOnlyAtItsFirstNonZeroByte) {
  BackingStore s(1 << 20);
  std::vector<uint8_t> z(4096, 0), r(4096, 0xaa);
  s.write(8192, z.data(), z.size());
  EXPECT_EQ(s.pages_allocated(), 1u);
  EXPECT_EQ(s.bytes_allocated(), 0u);
  s.read(8192, r.data(), r.size());
  EXPECT_EQ(r, z);
  const uint8_t v = 0x5c;
  s.write(8192 + 100, z.data(), 8);  // more zeros: still shared
  EXPECT_EQ(s.bytes_allocated(), 0u);
  s.write(8192 + 4095, &v, 1);
  EXPECT_EQ(s.pages_allocated(), 1u);
  EXPECT_EQ(s.bytes_allocated(), 4096u);
  s.read(8192, r.data(), r.size());
  for (size_t i = 0; i < 4095; ++i) ASSERT_EQ(r[i], 0) << i;
  EXPECT_EQ(r[4095], 0x5c);
  // A zero write into a page with its own memory stores the zeros.
  s.write(8192 + 4095, z.data(), 1);
  s.read(8192 + 4095, r.data(), 1);
  EXPECT_EQ(r[0], 0);
  // Another zero-filled page, copied by clone, then discarded: untouched again, nothing freed twice.
  s.write(0, z.data(), z.size());
  EXPECT_EQ(s.pages_allocated(), 2u);
  auto c = s.clone();
  EXPECT_EQ(c->pages_allocated(), 2u);
  EXPECT_EQ(c->bytes_allocated(), 0u);  // both pages hold only zeros now: the copy shares the zero page
  c->read(8192 + 4095, r.data(), 1);
  EXPECT_EQ(r[0], 0);
  s.discard(0, 4096);
  EXPECT_EQ(s.pages_allocated(), 1u);
  EXPECT_EQ(s.bytes_allocated(), 4096u);
  s.discard(8192, 4096);
  EXPECT_EQ(s.pages_allocated(), 0u);
  EXPECT_EQ(s.bytes_allocated(), 0u);
  // The discarded page is reused, zeroed, for the next non-zero write.
  s.write(0, &v, 1);
  s.read(0, r.data(), r.size());
  EXPECT_EQ(r[0], 0x5c);
  for (size_t i = 1; i < r.size(); ++i) ASSERT_EQ(r[i], 0) << i;
  EXPECT_EQ(s.bytes_allocated(), 4096u);
}

namespace {
// The VmFlags of the host mapping that holds `p` (/proc/self/smaps), or "" if none does.
std::string vm_flags_of(uintptr_t p) {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool in = false;
  while (std::getline(smaps, line)) {
    uintptr_t lo = 0, hi = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx ", &lo, &hi) == 2 && line.find(':') > line.find(' ')) {
      in = p >= lo && p < hi;
    } else if (in && line.rfind("VmFlags:", 0) == 0) {
      return line;
    }
  }
  return "";
}
}  // namespace

// Past 2 MiB of host pages the store maps 2 MiB chunks aligned and advised for a transparent huge page
// (where the host has THP): chunks of 64 KiB doubling hold the first 512 pages, so the 513th page with
// its own memory starts the first 2 MiB chunk. 3,000 pages spread over 1 GiB keep every byte.
TEST(BackingStore, PagesPastTwoMiBComeFromHugePageChunksAndKeepEveryByte) {
  BackingStore s(1ull << 30);
  constexpr uint64_t kPages = 3000, kStride = 349;  // odd stride: the pages are not in address order
  auto addr_of = [](uint64_t i) { return (i * kStride % 262144) * BackingStore::kPageBytes; };
  std::vector<uint8_t> w(BackingStore::kPageBytes);
  for (uint64_t i = 0; i < kPages; ++i) {
    for (size_t b = 0; b < w.size(); ++b) w[b] = static_cast<uint8_t>(i * 31 + b * 7 + 1);
    s.write(addr_of(i), w.data(), w.size());
  }
  EXPECT_EQ(s.pages_allocated(), kPages);
  EXPECT_EQ(s.bytes_allocated(), kPages * BackingStore::kPageBytes);
  std::vector<uint8_t> r(BackingStore::kPageBytes);
  for (uint64_t i = 0; i < kPages; ++i) {
    s.read(addr_of(i), r.data(), r.size());
    for (size_t b = 0; b < r.size(); ++b)
      ASSERT_EQ(r[b], static_cast<uint8_t>(i * 31 + b * 7 + 1)) << i << ' ' << b;
  }
  std::ifstream thp("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string mode;
  if (!std::getline(thp, mode) || mode.find("[never]") != std::string::npos)
    GTEST_SKIP() << "no transparent huge pages on this host: the chunks are small pages";
  const auto host = [&](uint64_t i) { return reinterpret_cast<uintptr_t>(s.page_ptr(addr_of(i))); };
  // The 1 MiB chunk is not advised ("hg": MADV_HUGEPAGE); each 2 MiB chunk is, and starts on a boundary.
  EXPECT_EQ(vm_flags_of(host(511)).find(" hg"), std::string::npos) << vm_flags_of(host(511));
  for (uint64_t i = 512; i < kPages; i += 512) {
    EXPECT_EQ(host(i) % (2u << 20), 0u) << i;
    EXPECT_EQ(host(i + 1) - host(i), BackingStore::kPageBytes) << i;
    EXPECT_NE(vm_flags_of(host(i)).find(" hg"), std::string::npos) << i << ": " << vm_flags_of(host(i));
  }
}
