// The run's timeline in the Chrome/Perfetto trace-event format (JSON; opens in ui.perfetto.dev and
// chrome://tracing). Components emit complete spans ("X") on named tracks and counter samples ("C"),
// in simulated time; the writer keeps what falls inside the time window and the enabled categories and
// streams it to the file. Tracks are grouped as trace "processes" (cores, tasks, disks, memory), each
// track a "thread" with a name, so a viewer shows one row per core, per task, per NCQ slot.
#pragma once

#include <cstdint>
#include <fstream>
#include <initializer_list>
#include <map>
#include <string>
#include <systemc>
#include <utility>

namespace pc::timeline {

enum class Cat : uint8_t {
  Sched,    // which task runs on each core; interrupt handlers on the core
  Task,     // each task's state: user mode, kernel paths' buckets, runnable, asleep (on what)
  Kernel,   // kernel-path spans of a task: fault, syscall, direct reclaim, shrink_*
  Disk,     // disk commands in flight per NCQ slot (LBA, sectors)
  Counter,  // sampled counters: free pages against the watermarks, LRU sizes, dirty, writeback, swap
};
constexpr unsigned kCats = 5;
const char* cat_name(Cat c);
// "sched,task,kernel,disk,counter" (or "all") -> a bit mask; throws std::invalid_argument naming the bad
// item otherwise.
uint32_t parse_cats(const std::string& list);

// The track groups (trace "pid"s).
enum class Group : uint8_t { Cores = 1, Tasks = 2, Disks = 3, Memory = 4 };

class Writer {
 public:
  // Keeps events that overlap [from, to) and whose category is in `cats`.
  Writer(const std::string& path, sc_core::sc_time from, sc_core::sc_time to, uint32_t cats);
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  bool on(Cat c) const { return m_cats & (1u << static_cast<unsigned>(c)); }
  // A track id for (group, name): created (with its name metadata) on first use.
  uint32_t track(Group g, const std::string& name);
  // A complete span [begin, end) on a track; `args` is a JSON object body ("\"lba\":1,...") or empty.
  void span(Cat c, Group g, uint32_t track, const std::string& name, sc_core::sc_time begin,
            sc_core::sc_time end, const std::string& args = {});
  // A counter sample: one counter track `name` with one or more series.
  void counter(const std::string& name, sc_core::sc_time at,
               std::initializer_list<std::pair<const char*, double>> series);
  uint64_t events() const { return m_events; }
  const std::string& path() const { return m_path; }

 private:
  void begin_event();
  bool in_window(sc_core::sc_time b, sc_core::sc_time e) const { return e >= m_from && b < m_to; }

  std::string m_path;
  std::ofstream m_out;
  sc_core::sc_time m_from, m_to;
  uint32_t m_cats;
  uint64_t m_events = 0;
  bool m_first = true;
  std::map<std::pair<Group, std::string>, uint32_t> m_tracks;
  uint32_t m_next_track = 1;
};

// The run's writer, or nullptr when no timeline is being written (the common case: one branch).
Writer* active();
void set_active(Writer* w);

}  // namespace pc::timeline
