// Typed configuration: each block of the platform describes its fields once (name, unit, range, help)
// through a Visitor; the same description decodes JSON strictly, encodes the resolved tree and lists
// the schema. Layers (defaults, presets, files, --set) decode onto the same structs in order.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace pc::cfg {

// A configuration mistake: names the source (file, preset or --set), the key path and what was expected.
// The CLI turns it into exit status 2.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using Json = nlohmann::ordered_json;

class Visitor {
 public:
  virtual ~Visitor() = default;

  virtual void u64(const char* key, uint64_t& v, const char* unit, const char* help, uint64_t min = 0,
                   uint64_t max = std::numeric_limits<uint64_t>::max()) = 0;
  virtual void i64(const char* key, int64_t& v, const char* unit, const char* help,
                   int64_t min = std::numeric_limits<int64_t>::min(),
                   int64_t max = std::numeric_limits<int64_t>::max()) = 0;
  virtual void f64(const char* key, double& v, const char* unit, const char* help,
                   double min = -std::numeric_limits<double>::infinity(),
                   double max = std::numeric_limits<double>::infinity()) = 0;
  virtual void boolean(const char* key, bool& v, const char* help) = 0;
  // A free-form string (a path, a name). `allowed` empty means any value.
  virtual void str(const char* key, std::string& v, const char* help,
                   const std::vector<std::string>& allowed = {}) = 0;

  // Typed enum stored as one of a fixed set of names.
  template <class E>
  void choice(const char* key, E& v, const std::vector<std::pair<const char*, E>>& names, const char* help) {
    std::vector<std::string> allowed;
    std::string cur;
    for (const auto& [n, e] : names) {
      allowed.emplace_back(n);
      if (e == v) cur = n;
    }
    str(key, cur, help, allowed);
    for (const auto& [n, e] : names)
      if (cur == n) v = e;
  }

  template <class T>
  void section(const char* key, T& s, const char* help = "") {
    section_fn(key, help, [&s](Visitor& v) { s.describe(v); });
  }

  // A list of structs; a layer that sets the list replaces it whole.
  template <class T>
  void list(const char* key, std::vector<T>& items, const char* help) {
    list_fn(
        key, help, [&items]() { return items.size(); }, [&items](size_t n) { items.resize(n); },
        [&items](size_t i, Visitor& v) { items[i].describe(v); },
        [](Visitor& v) {
          T proto{};
          proto.describe(v);
        });
  }

  // Rejects the value of `key` in the block being visited: while decoding, a ConfigError naming the source
  // and the key's full path (a describe() checking what a field-wise range cannot, such as a name looked
  // up elsewhere); other visitors have no input to reject.
  virtual void reject(const char* key, const std::string& why) {
    throw ConfigError(std::string(key) + ": " + why);
  }

  virtual void section_fn(const char* key, const char* help, const std::function<void(Visitor&)>& body) = 0;
  virtual void list_fn(const char* key, const char* help, const std::function<size_t()>& size,
                       const std::function<void(size_t)>& resize,
                       const std::function<void(size_t, Visitor&)>& element,
                       const std::function<void(Visitor&)>& prototype) = 0;
};

// Decodes `overlay` onto the struct described by `describe`. Keys absent from the overlay keep their
// current value; unknown keys, wrong types and out-of-range values throw ConfigError naming `source`.
void decode(const Json& overlay, const std::string& source, const std::function<void(Visitor&)>& describe);

// Encodes the current values as a JSON tree (key order as described).
Json encode(const std::function<void(Visitor&)>& describe);

// One line of the schema: key path, type, unit, default, range or choices, help.
struct SchemaEntry {
  std::string path, type, unit, value, range, help;
};
std::vector<SchemaEntry> schema(const std::function<void(Visitor&)>& describe);

// Parses JSON text that may contain // and /* */ comments; errors name `source` and the line.
Json parse_json_text(const std::string& text, const std::string& source);
Json load_json_file(const std::string& path);

// Turns `a.b.c=value` into the overlay {"a":{"b":{"c":value}}}; the value is JSON when it parses as
// JSON (numbers, true/false, quoted strings, arrays) and a plain string otherwise.
Json overlay_from_assignment(const std::string& assignment);

}  // namespace pc::cfg
