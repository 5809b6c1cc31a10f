// Trace-event JSON writer (the format of the Chrome trace viewer, which Perfetto reads).
#include "platform/core/timeline.h"

#include <fmt/format.h>

#include <stdexcept>

namespace pc::timeline {

namespace {
Writer* g_active = nullptr;
constexpr const char* kCatNames[kCats] = {"sched", "task", "kernel", "disk", "counter"};
constexpr const char* kGroupNames[] = {"", "cores", "tasks", "disks", "memory"};

// Trace-event times are microseconds; femtosecond resolution needs nine decimals.
std::string us(sc_core::sc_time t) {
  const uint64_t fs = t.value();
  return fmt::format("{}.{:09}", fs / 1000000000u, fs % 1000000000u);
}

std::string escaped(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    o += c;
  }
  return o;
}
}  // namespace

const char* cat_name(Cat c) {
  return kCatNames[static_cast<unsigned>(c)];
}

uint32_t parse_cats(const std::string& list) {
  if (list == "all") return (1u << kCats) - 1;
  uint32_t m = 0;
  size_t pos = 0;
  while (pos <= list.size()) {
    const size_t comma = list.find(',', pos);
    const std::string item = list.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    unsigned i = 0;
    while (i < kCats && item != kCatNames[i]) ++i;
    if (i == kCats)
      throw std::invalid_argument(fmt::format(
          "unknown timeline category '{}' (expected a comma-separated list of sched, task, kernel, disk, "
          "counter, or all)",
          item));
    m |= 1u << i;
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return m;
}

Writer::Writer(const std::string& path, sc_core::sc_time from, sc_core::sc_time to, uint32_t cats)
    : m_path(path), m_out(path), m_from(from), m_to(to), m_cats(cats) {
  if (!m_out) throw std::runtime_error(path + ": cannot open the timeline file for writing");
  m_out << "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n";
  for (unsigned g = 1; g <= 4; ++g) {
    begin_event();
    m_out << fmt::format(R"({{"ph":"M","name":"process_name","pid":{},"tid":0,"args":{{"name":"{}"}}}})", g,
                         kGroupNames[g]);
    begin_event();
    m_out << fmt::format(
        R"({{"ph":"M","name":"process_sort_index","pid":{},"tid":0,"args":{{"sort_index":{}}}}})", g, g);
  }
}

Writer::~Writer() {
  m_out << "\n]}\n";
}

void Writer::begin_event() {
  if (!m_first) m_out << ",\n";
  m_first = false;
  ++m_events;
}

uint32_t Writer::track(Group g, const std::string& name) {
  auto [it, inserted] = m_tracks.emplace(std::make_pair(g, name), m_next_track);
  if (inserted) {
    ++m_next_track;
    begin_event();
    m_out << fmt::format(R"({{"ph":"M","name":"thread_name","pid":{},"tid":{},"args":{{"name":"{}"}}}})",
                         static_cast<unsigned>(g), it->second, escaped(name));
    begin_event();
    m_out << fmt::format(
        R"({{"ph":"M","name":"thread_sort_index","pid":{},"tid":{},"args":{{"sort_index":{}}}}})",
        static_cast<unsigned>(g), it->second, it->second);
  }
  return it->second;
}

void Writer::span(Cat c, Group g, uint32_t track, const std::string& name, sc_core::sc_time begin,
                  sc_core::sc_time end, const std::string& args) {
  if (!on(c) || end < begin || !in_window(begin, end)) return;
  begin_event();
  m_out << fmt::format(R"({{"ph":"X","cat":"{}","name":"{}","pid":{},"tid":{},"ts":{},"dur":{})", cat_name(c),
                       escaped(name), static_cast<unsigned>(g), track, us(begin), us(end - begin));
  if (!args.empty()) m_out << ",\"args\":{" << args << "}";
  m_out << "}";
}

void Writer::counter(const std::string& name, sc_core::sc_time at,
                     std::initializer_list<std::pair<const char*, double>> series) {
  if (!on(Cat::Counter) || !in_window(at, at)) return;
  begin_event();
  m_out << fmt::format(R"({{"ph":"C","cat":"counter","name":"{}","pid":{},"tid":0,"ts":{},"args":{{)",
                       escaped(name), static_cast<unsigned>(Group::Memory), us(at));
  bool first = true;
  for (const auto& [k, v] : series) {
    m_out << (first ? "" : ",") << fmt::format("\"{}\":{}", k, v);
    first = false;
  }
  m_out << "}}";
}

Writer* active() {
  return g_active;
}
void set_active(Writer* w) {
  g_active = w;
}

}  // namespace pc::timeline
