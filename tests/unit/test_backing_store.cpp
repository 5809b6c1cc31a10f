// Sparse backing store: real bytes, zero on first read, allocation on first write only.
#include <gtest/gtest.h>

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
