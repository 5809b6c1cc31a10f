// The physical address map of the SoC: DRAM from 0, device MMIO above the largest DRAM.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pc::hw {

constexpr uint64_t kDramBase = 0;
constexpr uint64_t kMaxDramBytes = 1ull << 40;  // 1 TiB
// MAXPHYADDR of the modeled cores (CPUID.80000008H:EAX[7:0]); bits above it are reserved in PTEs.
constexpr unsigned kMaxPhysAddrBits = 46;
constexpr uint64_t kMmioBase = kMaxDramBytes;   // devices start right above the DRAM window
constexpr uint64_t kDiskCtrlBase = kMmioBase;   // disk controller registers (disk 0)
constexpr uint64_t kDiskCtrlSize = 0x1000;      // one window per disk controller, disk i at base + i * size
constexpr unsigned kMaxDisks = 16;              // disk controllers the map has room for
constexpr uint64_t disk_ctrl_base(unsigned i) {
  return kDiskCtrlBase + i * kDiskCtrlSize;
}

enum class Region : uint8_t { Dram, DiskCtrl };

struct MapEntry {
  Region region;
  std::string name;
  uint64_t base;
  uint64_t size;
};

// The map for a platform with `dram_bytes` of memory and `disks` disk controllers ("disk", "disk1", ...),
// their windows one after another from kDiskCtrlBase.
inline std::vector<MapEntry> physical_address_map(uint64_t dram_bytes, unsigned disks) {
  std::vector<MapEntry> m{{Region::Dram, "dram", kDramBase, dram_bytes}};
  for (unsigned i = 0; i < disks; ++i)
    m.push_back({Region::DiskCtrl, i ? "disk" + std::to_string(i) : std::string("disk"), disk_ctrl_base(i),
                 kDiskCtrlSize});
  return m;
}

}  // namespace pc::hw
