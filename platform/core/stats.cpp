// Statistics registry implementation.
#include "platform/core/stats.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace pc::stats {
namespace {
constexpr size_t kLinear = 1024;  // exact integer buckets [0, 1024)
constexpr int kSubBits = 6;       // 64 sub-buckets per octave above
constexpr size_t kSub = 1u << kSubBits;
constexpr int kFirstOctave = 10;  // 2^10 = 1024

Json number(double v) {
  // Whole values print as integers so counts of cycles read naturally and compare exactly.
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9.007199254740992e15)
    return static_cast<int64_t>(v);
  return v;
}
}  // namespace

Stat::Stat(Group& parent, std::string name, std::string unit, std::string desc)
    : m_parent(&parent), m_name(std::move(name)), m_unit(std::move(unit)), m_desc(std::move(desc)) {
  m_parent->add(this);
}
Stat::~Stat() {
  if (m_parent) m_parent->remove(this);
}

Json Scalar::to_json() const {
  return number(m_value);
}

Formula::Formula(Group& parent, std::string name, std::string unit, std::string desc,
                 std::function<double()> fn)
    : Stat(parent, std::move(name), std::move(unit), std::move(desc)), m_fn(std::move(fn)) {}

Json Formula::to_json() const {
  double v = m_fn();
  return std::isfinite(v) ? number(v) : Json(nullptr);
}

// Above the exact integer range: the octave and its 64ths (out of line, so that bucket_of's common case
// inlines where the figures are taken).
__attribute__((noinline)) static size_t octave_bucket(double v) {
  int exp = 0;
  const double frac = std::frexp(v, &exp);  // v = frac * 2^exp, frac in [0.5, 1)
  const int octave = exp - 1;               // 2^octave <= v < 2^(octave+1)
  const size_t sub = std::min(kSub - 1, static_cast<size_t>((frac * 2.0 - 1.0) * static_cast<double>(kSub)));
  return kLinear + static_cast<size_t>(octave - kFirstOctave) * kSub + sub;
}

size_t Distribution::bucket_of(double v) {
  if (v >= 0 && v < static_cast<double>(kLinear)) return static_cast<size_t>(v);  // (0 and -0 included)
  if (!(v > 0)) return 0;                                                         // below 0, and NaN
  return octave_bucket(v);
}

double Distribution::bucket_low(size_t b) {
  if (b < kLinear) return static_cast<double>(b);
  const size_t octave = (b - kLinear) / kSub + kFirstOctave;
  const size_t sub = (b - kLinear) % kSub;
  return std::ldexp(1.0 + static_cast<double>(sub) / static_cast<double>(kSub), static_cast<int>(octave));
}

double Distribution::bucket_high(size_t b) {
  if (b < kLinear) return static_cast<double>(b + 1);
  return bucket_low(b + 1);
}

void Distribution::sample_new(double v, uint64_t n, uint64_t bits) {
  flush();
  if (n == 1) {
    m_run_n = 1;
    m_run_bits = bits;
    return;
  }
  add(v, n);
}

void Distribution::add(double v, uint64_t n) const {
  if (n == 0) return;
  const size_t b = bucket_of(v);
  if (b >= m_buckets.size()) m_buckets.resize(b + 1, 0);
  m_buckets[b] += n;
  if (m_count == 0) {
    m_min = m_max = v;
  } else {
    m_min = std::min(m_min, v);
    m_max = std::max(m_max, v);
  }
  m_count += n;
  m_sum += v * static_cast<double>(n);
}

void Distribution::flush_run() const {
  double v;
  std::memcpy(&v, &m_run_bits, sizeof v);
  const uint64_t n = m_run_n;
  m_run_n = 0;
  add(v, 1);
  // (A run of one, the usual one where values alternate, ends here: the rest stays out of line.)
  if (n > 1) add_repeats(v, n - 1);
}

__attribute__((noinline)) void Distribution::add_repeats(double v, uint64_t rest) const {
  // rest more samples of v, as separate calls would have taken them: the buckets, count, min and max do
  // not depend on how they are grouped, the sum does (rounding). When v and the sum are whole and every
  // partial sum stays below 2^53, each addition is exact, so one addition of v * rest gives the same bits.
  m_buckets[bucket_of(v)] += rest;  // add(v, 1) made the bucket; min and max already cover v
  m_count += rest;
  constexpr double kExact = 9007199254740992.0;  // 2^53
  const double mag = std::fabs(v) * static_cast<double>(rest);
  if (v == std::floor(v) && m_sum == std::floor(m_sum) && mag < kExact && std::fabs(m_sum) + mag < kExact) {
    m_sum += v * static_cast<double>(rest);
    return;
  }
  // Otherwise the additions one by one, in order (each rounds as the separate samples' would), but only
  // the additions: a fractional latency (core cycles of a time in another clock domain) is the common case.
  double sum = m_sum;
  for (; rest; --rest) sum += v;
  m_sum = sum;
}

double Distribution::percentile(double p) const {
  flush();
  if (m_count == 0) return 0.0;
  const uint64_t rank =
      std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(p * static_cast<double>(m_count))));
  uint64_t cum = 0;
  for (size_t b = 0; b < m_buckets.size(); ++b) {
    cum += m_buckets[b];
    // The last bucket holds the maximum, which is known exactly.
    if (cum >= rank) return cum == m_count ? m_max : std::clamp(bucket_low(b), m_min, m_max);
  }
  return m_max;
}

Json Distribution::to_json() const {
  flush();
  Json j = Json::object();
  j["count"] = m_count;
  j["mean"] = number(mean());
  j["min"] = number(min());
  j["max"] = number(max());
  j["p50"] = number(percentile(0.50));
  j["p90"] = number(percentile(0.90));
  j["p99"] = number(percentile(0.99));
  j["sum"] = number(m_sum);
  Json buckets = Json::array();
  for (size_t b = 0; b < m_buckets.size(); ++b)
    if (m_buckets[b])
      buckets.push_back(Json::array({number(bucket_low(b)), number(bucket_high(b)), m_buckets[b]}));
  j["buckets"] = std::move(buckets);  // [low, high), count
  return j;
}

void Distribution::reset() {
  m_run_n = 0;
  m_buckets.clear();
  m_count = 0;
  m_sum = m_min = m_max = 0;
}

Group::Group(Group* parent, std::string name, std::string desc)
    : m_parent(parent), m_name(std::move(name)), m_desc(std::move(desc)) {
  if (m_parent) m_parent->add(this);
}

Group::~Group() {
  // Whatever outlives the group (stats or subgroups owned elsewhere) forgets it instead of dangling.
  for (auto* st : m_stats) st->m_parent = nullptr;
  for (auto* g : m_children) g->m_parent = nullptr;
  if (m_parent) m_parent->remove(this);
}

void Group::remove(Stat* s) {
  m_stats.erase(std::remove(m_stats.begin(), m_stats.end(), s), m_stats.end());
}
void Group::remove(Group* g) {
  m_children.erase(std::remove(m_children.begin(), m_children.end(), g), m_children.end());
}

std::string Group::path() const {
  return m_parent ? m_parent->path() + "." + m_name : m_name;
}

void Group::reset() {
  for (auto* s : m_stats) s->reset();
  for (auto* g : m_children) g->reset();
}

Json Group::to_json() const {
  Json j = Json::object();
  for (const auto* s : m_stats) {
    if (j.contains(s->name())) throw std::logic_error("duplicate stat " + path() + "." + s->name());
    j[s->name()] = s->to_json();
  }
  for (const auto* g : m_children) {
    if (j.contains(g->name())) throw std::logic_error("duplicate stats group " + g->path());
    j[g->name()] = g->to_json();
  }
  return j;
}

void Group::list(std::vector<ListEntry>& out) const {
  const std::string p = path();
  for (const auto* s : m_stats) out.push_back({p + "." + s->name(), s->kind(), s->unit(), s->desc()});
  for (const auto* g : m_children) g->list(out);
}

const Stat* Group::find(const std::string& rel) const {
  const auto dot = rel.find('.');
  if (dot == std::string::npos) {
    for (const auto* s : m_stats)
      if (s->name() == rel) return s;
    return nullptr;
  }
  const std::string head = rel.substr(0, dot);
  for (const auto* g : m_children)
    if (g->name() == head) return g->find(rel.substr(dot + 1));
  return nullptr;
}

}  // namespace pc::stats
