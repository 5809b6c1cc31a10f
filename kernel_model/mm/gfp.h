// GFP allocation flags and the zone an allocation may use (Linux 2.6.18 include/linux/gfp.h).
#pragma once

#include <cstdint>

namespace pc::kernel {

using gfp_t = uint32_t;

constexpr gfp_t __GFP_DMA = 0x01u;
constexpr gfp_t __GFP_HIGHMEM = 0x02u;
constexpr gfp_t __GFP_DMA32 = 0x04u;
constexpr gfp_t __GFP_WAIT = 0x10u;      // may sleep
constexpr gfp_t __GFP_HIGH = 0x20u;      // may use emergency pools
constexpr gfp_t __GFP_IO = 0x40u;        // may start physical I/O
constexpr gfp_t __GFP_FS = 0x80u;        // may call into the filesystem
constexpr gfp_t __GFP_COLD = 0x100u;     // cache-cold page wanted
constexpr gfp_t __GFP_NOWARN = 0x200u;
constexpr gfp_t __GFP_REPEAT = 0x400u;
constexpr gfp_t __GFP_NOFAIL = 0x800u;
constexpr gfp_t __GFP_NORETRY = 0x1000u;
constexpr gfp_t __GFP_ZERO = 0x8000u;
constexpr gfp_t __GFP_NOMEMALLOC = 0x10000u;
constexpr gfp_t __GFP_HARDWALL = 0x20000u;

constexpr gfp_t GFP_ATOMIC = __GFP_HIGH;
constexpr gfp_t GFP_NOIO = __GFP_WAIT;
constexpr gfp_t GFP_NOFS = __GFP_WAIT | __GFP_IO;
constexpr gfp_t GFP_KERNEL = __GFP_WAIT | __GFP_IO | __GFP_FS;
constexpr gfp_t GFP_USER = GFP_KERNEL | __GFP_HARDWALL;
constexpr gfp_t GFP_HIGHUSER = GFP_USER | __GFP_HIGHMEM;

// x86-64 zones (no highmem: HIGHMEM requests are served from NORMAL down).
enum ZoneType : unsigned { ZONE_DMA = 0, ZONE_DMA32 = 1, ZONE_NORMAL = 2, MAX_NR_ZONES = 3 };

// The highest zone an allocation may use (gfp_zone).
constexpr unsigned gfp_zone(gfp_t gfp) {
  if (gfp & __GFP_DMA) return ZONE_DMA;
  if (gfp & __GFP_DMA32) return ZONE_DMA32;
  return ZONE_NORMAL;
}

}  // namespace pc::kernel
