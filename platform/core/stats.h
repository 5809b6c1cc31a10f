// Statistics registry: groups follow the module hierarchy; counters, distributions (histograms and
// averages with percentiles), scalars and formulas, each with a unit and a description.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace pc::stats {

using Json = nlohmann::ordered_json;

class Group;

class Stat {
 public:
  Stat(Group& parent, std::string name, std::string unit, std::string desc);
  Stat(const Stat&) = delete;
  Stat& operator=(const Stat&) = delete;
  virtual ~Stat();

  const std::string& name() const { return m_name; }
  const std::string& unit() const { return m_unit; }
  const std::string& desc() const { return m_desc; }
  virtual const char* kind() const = 0;
  virtual Json to_json() const = 0;
  virtual void reset() = 0;

 private:
  friend class Group;
  Group* m_parent;  // cleared if the group goes first: destruction order between owners does not matter
  std::string m_name, m_unit, m_desc;
};

class Counter final : public Stat {
 public:
  using Stat::Stat;
  Counter& operator++() {
    ++m_value;
    return *this;
  }
  Counter& operator+=(uint64_t n) {
    m_value += n;
    return *this;
  }
  uint64_t value() const { return m_value; }
  const char* kind() const override { return "counter"; }
  Json to_json() const override { return m_value; }
  void reset() override { m_value = 0; }

 private:
  uint64_t m_value = 0;
};

// A value set by its owner (a configuration-derived figure or an end-of-run measurement).
class Scalar final : public Stat {
 public:
  using Stat::Stat;
  void set(double v) { m_value = v; }
  double value() const { return m_value; }
  const char* kind() const override { return "scalar"; }
  Json to_json() const override;
  void reset() override { m_value = 0; }

 private:
  double m_value = 0;
};

// Evaluated when the stats are dumped (rates, ratios).
class Formula final : public Stat {
 public:
  Formula(Group& parent, std::string name, std::string unit, std::string desc, std::function<double()> fn);
  double value() const { return m_fn(); }
  const char* kind() const override { return "formula"; }
  Json to_json() const override;
  void reset() override {}

 private:
  std::function<double()> m_fn;
};

// Sample distribution with exact count/sum/min/max and percentiles from log-linear buckets: values
// below 1024 have one bucket per integer (so small cycle counts are exact); above, 64 buckets per
// power of two (under 1.6% relative error).
class Distribution : public Stat {
 public:
  using Stat::Stat;
  // A sample equal to the one before (bit for bit) only extends a run; the run reaches the buckets, count,
  // min, max and sum when another value comes or anything reads them (the result is exactly that of
  // taking each sample on its own: see flush()). Most samples on the L1-hit path repeat the last latency.
  void sample(double v, uint64_t n = 1) {
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    if (n == 1 && m_run_n != 0 && bits == m_run_bits) {
      ++m_run_n;
      return;
    }
    sample_new(v, n, bits);
  }
  uint64_t count() const {
    flush();
    return m_count;
  }
  double sum() const {
    flush();
    return m_sum;
  }
  double mean() const {
    flush();
    return m_count ? m_sum / static_cast<double>(m_count) : 0.0;
  }
  double min() const {
    flush();
    return m_count ? m_min : 0.0;
  }
  double max() const {
    flush();
    return m_count ? m_max : 0.0;
  }
  // Nearest-rank percentile (p in [0,1]): the lower bound of the bucket holding the ceil(p*count)-th
  // smallest sample, clamped to [min, max]; the maximum itself when that bucket is the last one.
  double percentile(double p) const;
  Json to_json() const override;
  void reset() override;

  static size_t bucket_of(double v);
  static double bucket_low(size_t b);
  static double bucket_high(size_t b);

 private:
  void sample_new(double v, uint64_t n, uint64_t bits);
  // Takes the pending run into the figures. Logically const: the figures are those of every sample taken.
  void flush() const {
    if (m_run_n) flush_run();
  }
  void flush_run() const;
  void add_repeats(double v, uint64_t rest) const;  // flush_run for runs of more than one
  void add(double v, uint64_t n) const;

  mutable std::vector<uint64_t> m_buckets;
  mutable uint64_t m_count = 0;
  mutable double m_sum = 0, m_min = 0, m_max = 0;
  // The pending run: m_run_n samples of one value (bits m_run_bits), each taken with n = 1.
  mutable uint64_t m_run_n = 0;
  uint64_t m_run_bits = 0;
};

class Histogram final : public Distribution {
 public:
  using Distribution::Distribution;
  const char* kind() const override { return "histogram"; }
};

class Average final : public Distribution {
 public:
  using Distribution::Distribution;
  const char* kind() const override { return "average"; }
};

struct ListEntry {
  std::string path, kind, unit, desc;
};

class Group {
 public:
  // The root group is named "stats"; children name the module they belong to.
  Group(Group* parent, std::string name, std::string desc = "");
  Group(const Group&) = delete;
  Group& operator=(const Group&) = delete;
  ~Group();

  const std::string& name() const { return m_name; }
  std::string path() const;
  void reset();  // warm-up: zero every stat below this group
  Json to_json() const;
  void list(std::vector<ListEntry>& out) const;
  // Looks a stat up by dotted path relative to this group ("summary.sim_cycles"); nullptr if absent.
  const Stat* find(const std::string& rel_path) const;

 private:
  friend class Stat;
  void add(Stat* s) { m_stats.push_back(s); }
  void remove(Stat* s);
  void add(Group* g) { m_children.push_back(g); }
  void remove(Group* g);

  Group* m_parent;
  std::string m_name, m_desc;
  std::vector<Stat*> m_stats;
  std::vector<Group*> m_children;
};

}  // namespace pc::stats
