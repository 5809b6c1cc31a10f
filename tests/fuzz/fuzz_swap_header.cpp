// sys_swapon's check of page 0 of a swap area (kernel_model/mm/swapfile.cpp: parse_swap_header) and what
// sys_swapon builds from an accepted header. Input: one flags byte (bit 0: the area is a swap file; bit 1:
// the rest is the whole page from byte 0, else it is written from byte 1024, the info part, into a page
// that carries the SWAPSPACE2 signature), the area's size in pages (u16, little-endian: sys_swapon's swap_map
// is built for every input), then the bytes. Contract: the header is accepted exactly when an independent
// reading of the rules accepts it (signature, version 1, 0 < last_page <= the area, bad pages only on a
// partition, at most 637, each in 1 .. last_page
// - 1, at least one good page); an accepted header survives mkswap and a second check unchanged, and
// sys_swapon's area then has last_page slots of which exactly the good ones are free; a rejected one
// returns -EINVAL with a reason.
#include <algorithm>
#include <cstring>
#include <set>
#include <vector>

#include "kernel_model/mm/swapfile.h"
#include "tests/fuzz/fuzz_common.h"

using pc::kernel::kSwapHeaderBadPagesMax;
using pc::kernel::SwapHeaderInfo;

namespace {
constexpr size_t kPage = 4096, kInfo = 1024, kBad = 1536;
constexpr int kEINVAL = 22;

uint32_t get32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// The rules, read independently of the code under test: true if sys_swapon may accept the page.
PC_FUZZ_NO_COVERAGE bool acceptable(const uint8_t* page, uint64_t area_pages, bool is_file) {
  if (std::memcmp(page + kPage - 10, "SWAPSPACE2", 10) != 0) return false;
  const uint32_t version = get32(page + kInfo), last = get32(page + kInfo + 4),
                 nr_bad = get32(page + kInfo + 8);
  if (version != 1 || last == 0 || last > area_pages) return false;
  if (nr_bad && (is_file || nr_bad > kSwapHeaderBadPagesMax)) return false;
  std::set<uint32_t> bad;
  for (uint32_t i = 0; i < nr_bad; ++i) {
    const uint32_t b = get32(page + kBad + 4 * i);
    if (b == 0 || b >= last) return false;
    bad.insert(b);
  }
  return last - 1 > bad.size();  // a good page besides the header
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  pc::fuzz::Cursor in(data, size);
  const uint8_t flags = in.u8();
  const bool is_file = flags & 1, raw = flags & 2;
  const uint64_t area_pages = in.u16();
  const std::string_view rest = in.rest();
  std::vector<uint8_t> page(kPage, 0);
  if (raw) {
    std::memcpy(page.data(), rest.data(), std::min(rest.size(), kPage));
  } else {
    std::memcpy(page.data() + kInfo, rest.data(), std::min(rest.size(), kPage - 10 - kInfo));
    std::memcpy(page.data() + kPage - 10, "SWAPSPACE2", 10);
  }
  const bool expect = acceptable(page.data(), area_pages, is_file);
  SwapHeaderInfo h;
  std::string why;
  const int r = pc::kernel::parse_swap_header(page.data(), area_pages, is_file, h, why);
  if (r != 0) {
    PC_FUZZ_CHECK(r == -kEINVAL, "returned {} (expected 0 or -EINVAL)", r);
    PC_FUZZ_CHECK(!why.empty(), "rejected without a reason");
    PC_FUZZ_CHECK(!expect, "rejected a valid header: {}", why);
    return 0;
  }
  PC_FUZZ_CHECK(expect, "accepted an invalid header (last_page {}, {} bad pages, area {} pages, file {})",
                h.last_page, h.badpages.size(), area_pages, is_file);
  // mkswap of what was read gives a page that reads back the same.
  const std::vector<uint8_t> again = pc::kernel::mkswap_header(h);
  SwapHeaderInfo h2;
  PC_FUZZ_CHECK(pc::kernel::parse_swap_header(again.data(), area_pages, is_file, h2, why) == 0,
                "mkswap of an accepted header is rejected: {}", why);
  PC_FUZZ_CHECK(h2.version == h.version && h2.last_page == h.last_page && h2.badpages == h.badpages,
                "the header changed through mkswap");
  // sys_swapon: last_page slots, the header's and the bad ones taken, the rest free and counted.
  pc::kernel::SwapAreas areas;
  pc::kernel::SwapOnRequest rq;
  rq.name = "fuzz";
  rq.header = page.data();
  rq.area_pages = area_pages;
  rq.is_file = is_file;
  rq.extents.push_back({0, h.last_page, 0});
  const int e = areas.sys_swapon(rq, why);
  PC_FUZZ_CHECK(e == 0, "sys_swapon refused an accepted header: {} ({})", e, why);
  const std::set<uint32_t> bad(h.badpages.begin(), h.badpages.end());
  PC_FUZZ_CHECK(areas.nr_swap_pages() == static_cast<int64_t>(h.last_page - 1 - bad.size()),
                "{} free slots for last_page {} and {} distinct bad pages", areas.nr_swap_pages(),
                h.last_page, bad.size());
  PC_FUZZ_CHECK(areas.total_swap_pages() == areas.nr_swap_pages(), "total {} free {}",
                areas.total_swap_pages(), areas.nr_swap_pages());
  return 0;
}
