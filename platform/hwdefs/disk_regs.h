// The disk controller's hardware/software contract: register map, command list and scatter-gather
// (PRD) layout in memory, completion status codes and the interrupt line. Modeled on AHCI 1.3 (one port,
// 32 command slots, NCQ) in simplified form; see ../shared/spec/disk.md §4.1.
#pragma once

#include <cstdint>

#include "platform/hwdefs/address_map.h"

namespace pc::hw::disk {

constexpr unsigned kSlots = 32;           // command slots (AHCI_MAX_CMDS)
constexpr uint32_t kSectorBytes = 512;    // LBA size
constexpr unsigned kMaxPrdEntries = 256;  // scatter-gather entries per command
constexpr unsigned kIrqLine = 14;         // legacy primary-IDE IRQ: the line of disk 0 (every further
                                          // disk controller has a line of its own)

// Registers: 32-bit, little-endian, at hw::disk_ctrl_base(i) + offset. Accesses must be 4 bytes, aligned.
enum Reg : uint32_t {
  kRegCap = 0x00,        // RO: bits 4:0 = slots-1, bit 30 = NCQ (as AHCI CAP)
  kRegCapacityLo = 0x08, // RO: device capacity in sectors, low 32 bits
  kRegCapacityHi = 0x0c, // RO: high 32 bits
  kRegClbLo = 0x10,      // RW: physical address of the command list (1 KiB aligned), low 32 bits
  kRegClbHi = 0x14,      // RW: high 32 bits
  kRegCi = 0x20,         // write: 1s issue those slots (PxCI); read: slots issued and not completed
  kRegCs = 0x24,         // RW1C: slots completed since last cleared (ok or error)
  kRegErr = 0x28,        // RW1C: slots completed with an error; the status code is in the command header
  kRegIs = 0x30,         // RW1C: interrupt status, bit 0 = completion pending
  kRegIe = 0x34,         // RW: interrupt enable, bit 0 = completion interrupt
  kRegSlotStatus = 0x40, // RO: 32 registers, status code of each slot's last completion
};
constexpr uint32_t kCapNcq = 1u << 30;
constexpr uint32_t kIntCompletion = 1u << 0;

enum Opcode : uint8_t { kOpNone = 0, kOpRead = 1, kOpWrite = 2, kOpFlush = 3 };

// Completion status, written to the command header's `status` and the slot status register.
enum Status : uint32_t {
  kStatusOk = 0,
  kStatusLbaRange = 1,       // the command reaches beyond the device's capacity
  kStatusBadDescriptor = 2,  // malformed command or PRD table (opcode, counts, byte sums)
  kStatusDmaFault = 3,       // a descriptor or data address did not decode to memory (MMIO windows
                             // included: the DMA engine never reaches device registers)
  kStatusMediaError = 4,     // uncorrectable media error (an AHCI port's PxTFD.STS.ERR with ERR.UNC): a
                             // read moved no data, a write left the sectors as they were
};

// One command-list entry (32 bytes); the command list is kSlots of them, contiguous.
struct CmdHeader {
  uint8_t opcode;        // Opcode
  uint8_t flags;         // reserved, 0
  uint16_t prd_count;    // entries in the PRD table (1..kMaxPrdEntries for read/write, 0 for flush)
  uint32_t sectors;      // sector count (>0 for read/write)
  uint64_t lba;          // first sector
  uint64_t prd_base;     // physical address of the PRD table (16-byte aligned)
  uint32_t status;       // written by the device on completion
  uint32_t bytes_done;   // written by the device: bytes transferred
};
static_assert(sizeof(CmdHeader) == 32, "command header is 32 bytes");
constexpr uint32_t kCmdListBytes = kSlots * sizeof(CmdHeader);

// One scatter-gather entry (16 bytes): a physically contiguous buffer; byte counts sum to sectors*512.
struct PrdEntry {
  uint64_t addr;
  uint32_t bytes;  // > 0, even (AHCI DBC bit 0 must be 1 ⇒ even byte counts)
  uint32_t flags;  // reserved, 0
};
static_assert(sizeof(PrdEntry) == 16, "PRD entry is 16 bytes");

}  // namespace pc::hw::disk
