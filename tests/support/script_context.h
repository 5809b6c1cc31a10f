// A scripted execution context for tests: runs a fixed list of ops and records what reads returned.
#pragma once

#include <cstring>
#include <vector>

#include "platform/hwdefs/exec.h"

namespace pc::test {

class ScriptContext : public hw::ExecContext {
 public:
  explicit ScriptContext(std::vector<hw::Op> ops, uint32_t id = 0) : m_ops(std::move(ops)), m_id(id) {}
  const hw::Op* current() override { return m_i < m_ops.size() ? &m_ops[m_i] : nullptr; }
  void retire(const uint8_t* rdata, hw::AccessStatus st) override {
    const hw::Op& op = m_ops[m_i++];
    statuses.push_back(st);
    if (op.kind == hw::OpKind::Read || op.kind == hw::OpKind::Fetch) reads.emplace_back(rdata, rdata + op.size);
  }
  uint32_t id() const override { return m_id; }

  std::vector<std::vector<uint8_t>> reads;
  std::vector<hw::AccessStatus> statuses;

  static hw::Op read(uint64_t a, uint8_t size) {
    hw::Op o;
    o.kind = hw::OpKind::Read;
    o.vaddr = a;
    o.size = size;
    return o;
  }
  static hw::Op write(uint64_t a, uint8_t size, const uint8_t* data) {
    hw::Op o;
    o.kind = hw::OpKind::Write;
    o.vaddr = a;
    o.size = size;
    o.wdata = data;
    return o;
  }
  static hw::Op compute(uint64_t cycles) {
    hw::Op o;
    o.kind = hw::OpKind::Compute;
    o.cycles = cycles;
    return o;
  }

 private:
  std::vector<hw::Op> m_ops;
  size_t m_i = 0;
  uint32_t m_id;
};

}  // namespace pc::test
