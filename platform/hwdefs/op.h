// The operation stream a core executes: the software side of the hardware/software contract.
#pragma once

#include <cstdint>

namespace pc::hw {

enum class OpKind : uint8_t {
  Read,     // data load
  Write,    // data store (wdata holds the bytes)
  Fetch,    // instruction fetch
  Compute,  // `cycles` cycles of non-memory work
  Syscall,  // a call into the kernel through the trap interface
};

// Largest single memory operation a core issues; a context splits larger accesses.
constexpr unsigned kMaxAccessBytes = 64;

enum class Syscall : uint32_t {
  Exit = 60,  // Linux x86-64 numbers, so traces and scenarios read naturally
  Mmap = 9,
  Munmap = 11,
  Mprotect = 10,
  Brk = 12,
  Fork = 57,
  Clone = 56,  // a thread: the child shares the address space (CLONE_VM)
  Read = 0,
  Write = 1,
  Yield = 24,    // sched_yield
  Swapon = 167,  // arg 0: the area's index in kernel.swap.areas
  Swapoff = 168,
  Msync = 26,  // msync(addr, len, flags)
  Fsync = 74,  // fsync(fd)
  Open = 2,    // arg 0: a name in the dentry cache's one directory (arg 1: a kernel file id + 1 instead, or
               // 0); the file stays open until exit
  Stat = 4,    // the same arguments: looked up (dentry and inode cached), no reference kept
};
constexpr const char* syscall_name(Syscall s) {
  switch (s) {
    case Syscall::Exit:
      return "exit";
    case Syscall::Mmap:
      return "mmap";
    case Syscall::Munmap:
      return "munmap";
    case Syscall::Mprotect:
      return "mprotect";
    case Syscall::Brk:
      return "brk";
    case Syscall::Fork:
      return "fork";
    case Syscall::Clone:
      return "clone";
    case Syscall::Read:
      return "pread64";
    case Syscall::Write:
      return "pwrite64";
    case Syscall::Yield:
      return "sched_yield";
    case Syscall::Swapon:
      return "swapon";
    case Syscall::Swapoff:
      return "swapoff";
    case Syscall::Msync:
      return "msync";
    case Syscall::Fsync:
      return "fsync";
    case Syscall::Open:
      return "open";
    case Syscall::Stat:
      return "stat";
  }
  return "syscall";
}

struct Op {
  OpKind kind = OpKind::Compute;
  uint8_t size = 0;                // bytes, 1..kMaxAccessBytes, for Read/Write/Fetch
  uint64_t vaddr = 0;              // linear address (physical when paging is off)
  uint64_t cycles = 0;             // for Compute
  const uint8_t* wdata = nullptr;  // for Write: `size` bytes, valid until the op retires
  Syscall nr = Syscall::Exit;      // for Syscall
  // System-call arguments, in the order of the Linux call: mmap(addr, len, prot, flags, fd, pgoff),
  // munmap(addr, len), mprotect(addr, len, prot), brk(addr), exit(code), fork(child stream selector),
  // clone(thread stream selector),
  // pread(fd, user_buf, len, offset), pwrite(fd, user_buf, len, offset), msync(addr, len, flags),
  // fsync(fd), open(name), stat(name). A fd is a kernel file id; a name is a number in the dentry cache's
  // one directory.
  uint64_t args[6] = {0, 0, 0, 0, 0, 0};
};

// op = Op{}, field by field: the same values, but GCC turns the whole-object clear into `rep stos`,
// whose start-up cost was 40% of the op streams' host time on the L1-hit path (issue 15).
inline void clear_op(Op& op) {
  op.kind = OpKind::Compute;
  op.size = 0;
  op.vaddr = 0;
  op.cycles = 0;
  op.wdata = nullptr;
  op.nr = Syscall::Exit;
  for (uint64_t& a : op.args) a = 0;
}

}  // namespace pc::hw
