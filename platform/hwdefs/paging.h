// x86-64 paging structures as software and hardware both see them: entry bits, CR3, CR4 bits and the
// page-fault error code (Intel SDM Vol. 3A §4.5 tables 4-14..4-20, §4.7, §4.10.1).
#pragma once

#include <cstdint>

#include "platform/hwdefs/address_map.h"

namespace pc::hw::paging {

// Entry bits common to PML5E/PML4E/PDPTE/PDE/PTE.
constexpr uint64_t kP = 1ull << 0;     // present
constexpr uint64_t kRW = 1ull << 1;    // writable
constexpr uint64_t kUS = 1ull << 2;    // user-accessible
constexpr uint64_t kPWT = 1ull << 3;   // write-through
constexpr uint64_t kPCD = 1ull << 4;   // cache disable
constexpr uint64_t kA = 1ull << 5;     // accessed
constexpr uint64_t kD = 1ull << 6;     // dirty (leaf only)
constexpr uint64_t kPS = 1ull << 7;    // page size (PDPTE: 1 GiB, PDE: 2 MiB); PAT bit in a 4 KiB PTE
constexpr uint64_t kPAT4K = 1ull << 7; // PAT in a PTE
constexpr uint64_t kG = 1ull << 8;     // global (leaf only)
constexpr uint64_t kPATLarge = 1ull << 12;  // PAT in a PDE/PDPTE with PS=1
constexpr uint64_t kNX = 1ull << 63;   // execute-disable (with EFER.NXE)
// Bits 9..11 and 52..62 are ignored by hardware and free for software (Linux keeps its own there).
constexpr uint64_t kSoftwareBits = (0x7ull << 9) | (0x7ffull << 52);

// Physical-address field of an entry: bits MAXPHYADDR-1..12; bits 51..MAXPHYADDR are reserved.
constexpr uint64_t kAddrMask = ((1ull << kMaxPhysAddrBits) - 1) & ~0xfffull;
constexpr uint64_t kReservedHigh = ((1ull << 52) - 1) & ~((1ull << kMaxPhysAddrBits) - 1);
// A PS=1 PDE maps 2 MiB: bits 20..13 of its address field are reserved; a PS=1 PDPTE: bits 29..13.
constexpr uint64_t kReserved2M = 0x1fe000ull;
constexpr uint64_t kReserved1G = 0x3fffe000ull;

constexpr uint64_t frame_of(uint64_t entry) { return entry & kAddrMask; }

enum Level : unsigned { PT = 1, PD = 2, PDPT = 3, PML4 = 4, PML5 = 5 };

// Index of `va` in the table at `level` (9 bits per level, 4 KiB tables of 512 entries).
constexpr unsigned index_of(uint64_t va, unsigned level) {
  return static_cast<unsigned>((va >> (12 + 9 * (level - 1))) & 0x1ff);
}
constexpr uint64_t page_bytes_at(unsigned level) { return 1ull << (12 + 9 * (level - 1)); }

// A linear address is canonical when bits 63..N-1 all equal bit N-1 (N = 48, or 57 with LA57).
constexpr bool is_canonical(uint64_t va, bool la57) {
  const unsigned n = la57 ? 57 : 48;
  const int64_t s = static_cast<int64_t>(va << (64 - n)) >> (64 - n);
  return static_cast<uint64_t>(s) == va;
}

// CR3 with CR4.PCIDE=1: bits 11..0 PCID, bits MAXPHYADDR-1..12 the top-level table, bit 63 on a MOV to
// CR3 = do not flush the new PCID's TLB entries.
constexpr uint64_t kCr3PcidMask = 0xfff;
constexpr uint64_t kCr3NoFlush = 1ull << 63;
constexpr uint64_t cr3_table(uint64_t cr3) { return cr3 & kAddrMask; }
constexpr uint16_t cr3_pcid(uint64_t cr3) { return static_cast<uint16_t>(cr3 & kCr3PcidMask); }

// CR4 bits the MMU looks at.
constexpr uint64_t kCr4PGE = 1ull << 7;
constexpr uint64_t kCr4PCIDE = 1ull << 17;
constexpr uint64_t kCr4LA57 = 1ull << 12;

// #PF error code (SDM §4.7).
constexpr uint32_t kPfPresent = 1u << 0;   // 0: not-present page; 1: protection violation
constexpr uint32_t kPfWrite = 1u << 1;     // the access was a write
constexpr uint32_t kPfUser = 1u << 2;      // the access was a user-mode access
constexpr uint32_t kPfRsvd = 1u << 3;      // a reserved bit was set in some paging-structure entry
constexpr uint32_t kPfFetch = 1u << 4;     // instruction fetch (with NX or SMEP)

}  // namespace pc::hw::paging

namespace pc::hw::paging {

// Page sizes a leaf entry can map (SDM §4.5: PTE 4 KiB, PDE with PS=1 2 MiB, PDPTE with PS=1 1 GiB).
enum class PageSize : uint8_t { k4K = 0, k2M = 1, k1G = 2 };
constexpr unsigned leaf_level(PageSize s) { return 1 + static_cast<unsigned>(s); }
constexpr uint64_t page_bytes(PageSize s) { return page_bytes_at(leaf_level(s)); }

// Reserved bits of an entry at `level` that must be 0 when P=1, with EFER.NXE=1 (SDM §4.5, tables
// 4-15..4-20). A PS bit is reserved in a PML5E/PML4E; a PS=1 PDE/PDPTE also reserves its low address bits.
constexpr uint64_t reserved_mask(uint64_t entry, unsigned level) {
  uint64_t m = kReservedHigh;
  if (level >= PML4) m |= kPS;
  else if (level == PDPT && (entry & kPS)) m |= kReserved1G;
  else if (level == PD && (entry & kPS)) m |= kReserved2M;
  return m;
}
constexpr bool is_leaf(uint64_t entry, unsigned level) { return level == PT || ((level == PD || level == PDPT) && (entry & kPS)); }
// Physical base of the page a leaf entry maps.
constexpr uint64_t leaf_frame(uint64_t entry, unsigned level) {
  return entry & kAddrMask & ~(page_bytes_at(level) - 1);
}

// INVPCID types (SDM Vol. 2 INVPCID).
enum class InvpcidType : uint8_t {
  IndividualAddress = 0,   // one linear address in one PCID (not globals)
  SingleContext = 1,       // every non-global entry of one PCID
  AllContextsGlobal = 2,   // everything, globals included
  AllContexts = 3,         // everything except globals
};

}  // namespace pc::hw::paging
