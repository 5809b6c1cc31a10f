// Typed configuration visitors: strict JSON decoding, encoding and schema listing.
#include "platform/core/config.h"

#include <cmath>
#include <fmt/format.h>
#include <fstream>
#include <set>
#include <sstream>

namespace pc::cfg {
namespace {

std::string join_path(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : prefix + "." + key;
}

std::string describe_json(const Json& j) {
  // Replace invalid UTF-8 (a --set value is any byte string): the message must never throw.
  std::string s = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return fmt::format("{} ({})", s, j.type_name());
}

class Decoder : public Visitor {
 public:
  Decoder(const Json& node, std::string source, std::string prefix)
      : m_node(node), m_source(std::move(source)), m_prefix(std::move(prefix)) {
    if (!m_node.is_object())
      fail(m_prefix.empty() ? "<root>" : m_prefix, "an object", m_node);
  }

  // Every key of the overlay must have been claimed by the description.
  void check_unknown() const {
    for (auto it = m_node.begin(); it != m_node.end(); ++it) {
      if (!m_seen.count(it.key())) {
        throw ConfigError(fmt::format("{}: unknown key '{}'{}", m_source, join_path(m_prefix, it.key()),
                                      suggestion(it.key())));
      }
    }
  }

  void u64(const char* key, uint64_t& v, const char*, const char*, uint64_t min, uint64_t max) override {
    const Json* j = take(key);
    if (!j) return;
    const std::string exp = fmt::format("an unsigned integer in [{}, {}]", min, max);
    uint64_t x = 0;
    if (j->is_number_unsigned()) {
      x = j->get<uint64_t>();
    } else if (j->is_number_integer()) {
      fail(path(key), exp, *j);
    } else if (j->is_number_float()) {
      double d = j->get<double>();
      if (d < 0 || d != std::floor(d) || d >= 18446744073709551616.0) fail(path(key), exp, *j);
      x = static_cast<uint64_t>(d);
    } else {
      fail(path(key), exp, *j);
    }
    if (x < min || x > max) fail(path(key), exp, *j);
    v = x;
  }

  void i64(const char* key, int64_t& v, const char*, const char*, int64_t min, int64_t max) override {
    const Json* j = take(key);
    if (!j) return;
    const std::string exp = fmt::format("an integer in [{}, {}]", min, max);
    if (!j->is_number_integer()) fail(path(key), exp, *j);
    if (j->is_number_unsigned() && j->get<uint64_t>() > static_cast<uint64_t>(max)) fail(path(key), exp, *j);
    int64_t x = j->get<int64_t>();
    if (x < min || x > max) fail(path(key), exp, *j);
    v = x;
  }

  void f64(const char* key, double& v, const char*, const char*, double min, double max) override {
    const Json* j = take(key);
    if (!j) return;
    const std::string exp = fmt::format("a number in [{}, {}]", min, max);
    if (!j->is_number()) fail(path(key), exp, *j);
    double x = j->get<double>();
    if (!(x >= min && x <= max)) fail(path(key), exp, *j);
    v = x;
  }

  void boolean(const char* key, bool& v, const char*) override {
    const Json* j = take(key);
    if (!j) return;
    if (!j->is_boolean()) fail(path(key), "true or false", *j);
    v = j->get<bool>();
  }

  void str(const char* key, std::string& v, const char*, const std::vector<std::string>& allowed) override {
    const Json* j = take(key);
    if (!j) return;
    std::string exp = "a string";
    if (!allowed.empty()) {
      exp = "one of";
      for (size_t i = 0; i < allowed.size(); ++i) exp += (i ? ", \"" : " \"") + allowed[i] + "\"";
    }
    if (!j->is_string()) fail(path(key), exp, *j);
    try {
      (void)j->dump();  // the resolved configuration is written as JSON (config, --stats-json)
    } catch (const nlohmann::json::type_error&) {
      fail(path(key), exp + " in valid UTF-8", *j);
    }
    std::string x = j->get<std::string>();
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), x) == allowed.end())
      fail(path(key), exp, *j);
    v = x;
  }

  void reject(const char* key, const std::string& why) override {
    throw ConfigError(fmt::format("{}: key '{}': {}", m_source, path(key), why));
  }

  void section_fn(const char* key, const char*, const std::function<void(Visitor&)>& body) override {
    const Json* j = take(key);
    if (!j) return;
    Decoder sub(*j, m_source, path(key));
    body(sub);
    sub.check_unknown();
  }

  void list_fn(const char* key, const char*, const std::function<size_t()>&,
               const std::function<void(size_t)>& resize, const std::function<void(size_t, Visitor&)>& element,
               const std::function<void(Visitor&)>&) override {
    const Json* j = take(key);
    if (!j) return;
    if (!j->is_array()) fail(path(key), "an array of objects", *j);
    // A list is replaced whole: elements start from their defaults, not from the previous layer.
    resize(0);
    resize(j->size());
    for (size_t i = 0; i < j->size(); ++i) {
      Decoder sub((*j)[i], m_source, fmt::format("{}[{}]", path(key), i));
      element(i, sub);
      sub.check_unknown();
    }
  }

 private:
  const Json* take(const char* key) {
    m_known.insert(key);
    auto it = m_node.find(key);
    if (it == m_node.end()) return nullptr;
    m_seen.insert(key);
    return &*it;
  }
  std::string path(const char* key) const { return join_path(m_prefix, key); }

  [[noreturn]] void fail(const std::string& key_path, const std::string& expected, const Json& got) const {
    throw ConfigError(
        fmt::format("{}: key '{}': expected {}, got {}", m_source, key_path, expected, describe_json(got)));
  }

  std::string suggestion(const std::string& key) const {
    // Name the nearest known key (edit distance <= 2) so a typo is obvious.
    std::string best;
    size_t best_d = 3;
    for (const auto& k : m_known) {
      const size_t n = key.size(), m = k.size();
      std::vector<size_t> prev(m + 1), cur(m + 1);
      for (size_t j = 0; j <= m; ++j) prev[j] = j;
      for (size_t i = 1; i <= n; ++i) {
        cur[0] = i;
        for (size_t j = 1; j <= m; ++j)
          cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (key[i - 1] != k[j - 1] ? 1u : 0u)});
        std::swap(prev, cur);
      }
      if (prev[m] < best_d) {
        best_d = prev[m];
        best = k;
      }
    }
    std::string known;
    if (!best.empty()) return fmt::format(" (did you mean '{}'?)", join_path(m_prefix, best));
    for (const auto& k : m_known) known += (known.empty() ? "" : ", ") + k;
    return known.empty() ? std::string(" (this block takes no keys)") : fmt::format(" (expected one of: {})", known);
  }

  const Json& m_node;
  std::string m_source, m_prefix;
  std::set<std::string> m_seen, m_known;
};

class Encoder : public Visitor {
 public:
  Json out = Json::object();
  void u64(const char* key, uint64_t& v, const char*, const char*, uint64_t, uint64_t) override { out[key] = v; }
  void i64(const char* key, int64_t& v, const char*, const char*, int64_t, int64_t) override { out[key] = v; }
  void f64(const char* key, double& v, const char*, const char*, double, double) override { out[key] = v; }
  void boolean(const char* key, bool& v, const char*) override { out[key] = v; }
  void str(const char* key, std::string& v, const char*, const std::vector<std::string>&) override {
    out[key] = v;
  }
  void section_fn(const char* key, const char*, const std::function<void(Visitor&)>& body) override {
    Encoder sub;
    body(sub);
    out[key] = std::move(sub.out);
  }
  void list_fn(const char* key, const char*, const std::function<size_t()>& size,
               const std::function<void(size_t)>&, const std::function<void(size_t, Visitor&)>& element,
               const std::function<void(Visitor&)>&) override {
    Json arr = Json::array();
    for (size_t i = 0; i < size(); ++i) {
      Encoder sub;
      element(i, sub);
      arr.push_back(std::move(sub.out));
    }
    out[key] = std::move(arr);
  }
};

class SchemaLister : public Visitor {
 public:
  explicit SchemaLister(std::string prefix, std::vector<SchemaEntry>& out) : m_prefix(std::move(prefix)), m_out(out) {}
  void u64(const char* key, uint64_t& v, const char* unit, const char* help, uint64_t min, uint64_t max) override {
    add(key, "uint", unit, std::to_string(v), fmt::format("[{}, {}]", min, max), help);
  }
  void i64(const char* key, int64_t& v, const char* unit, const char* help, int64_t min, int64_t max) override {
    add(key, "int", unit, std::to_string(v), fmt::format("[{}, {}]", min, max), help);
  }
  void f64(const char* key, double& v, const char* unit, const char* help, double min, double max) override {
    add(key, "number", unit, fmt::format("{}", v), fmt::format("[{}, {}]", min, max), help);
  }
  void boolean(const char* key, bool& v, const char* help) override {
    add(key, "bool", "", v ? "true" : "false", "", help);
  }
  void str(const char* key, std::string& v, const char* help, const std::vector<std::string>& allowed) override {
    std::string range;
    for (const auto& a : allowed) range += (range.empty() ? "" : "|") + a;
    add(key, allowed.empty() ? "string" : "choice", "", "\"" + v + "\"", range, help);
  }
  void section_fn(const char* key, const char*, const std::function<void(Visitor&)>& body) override {
    SchemaLister sub(join_path(m_prefix, key), m_out);
    body(sub);
  }
  void list_fn(const char* key, const char* help, const std::function<size_t()>&, const std::function<void(size_t)>&,
               const std::function<void(size_t, Visitor&)>&,
               const std::function<void(Visitor&)>& prototype) override {
    add(key, "list", "", "", "", help);
    SchemaLister sub(join_path(m_prefix, key) + "[]", m_out);
    prototype(sub);
  }

 private:
  void add(const char* key, const char* type, const char* unit, std::string value, std::string range,
           const char* help) {
    m_out.push_back({join_path(m_prefix, key), type, unit, std::move(value), std::move(range), help});
  }
  std::string m_prefix;
  std::vector<SchemaEntry>& m_out;
};

}  // namespace

void decode(const Json& overlay, const std::string& source, const std::function<void(Visitor&)>& describe) {
  Decoder d(overlay, source, "");
  describe(d);
  d.check_unknown();
}

Json encode(const std::function<void(Visitor&)>& describe) {
  Encoder e;
  describe(e);
  return std::move(e.out);
}

std::vector<SchemaEntry> schema(const std::function<void(Visitor&)>& describe) {
  std::vector<SchemaEntry> out;
  SchemaLister l("", out);
  describe(l);
  return out;
}

Json parse_json_text(const std::string& text, const std::string& source) {
  try {
    return Json::parse(text, nullptr, /*allow_exceptions=*/true, /*ignore_comments=*/true);
  } catch (const nlohmann::json::parse_error& e) {
    // nlohmann reports a byte offset; turn it into a line number for the user.
    size_t line = 1;
    for (size_t i = 0; i < e.byte && i < text.size(); ++i)
      if (text[i] == '\n') ++line;
    std::string what = e.what();
    auto pos = what.find("syntax error");
    throw ConfigError(fmt::format("{}:{}: invalid JSON: {}", source, line,
                                  pos == std::string::npos ? what : what.substr(pos)));
  } catch (const nlohmann::json::exception& e) {
    // A number too large for a double ("number overflow parsing '1e999'") carries no offset: the line
    // is the one holding that number.
    std::string what = e.what();
    const auto q = what.find('\'');
    const auto q2 = q == std::string::npos ? q : what.find('\'', q + 1);
    size_t line = 1;
    if (q2 != std::string::npos) {
      const auto at = text.find(what.substr(q + 1, q2 - q - 1));
      for (size_t i = 0; at != std::string::npos && i < at; ++i)
        if (text[i] == '\n') ++line;
    }
    const auto pos = what.find("] ");
    throw ConfigError(fmt::format("{}:{}: invalid JSON: {}", source, line,
                                  pos == std::string::npos ? what : what.substr(pos + 2)));
  }
}

Json load_json_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(fmt::format("{}: cannot open config file", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_json_text(ss.str(), path);
}

Json overlay_from_assignment(const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw ConfigError(fmt::format("--set {}: expected path=value (e.g. dram.size_mib=1024)", assignment));
  const std::string path = assignment.substr(0, eq);
  const std::string text = assignment.substr(eq + 1);
  Json value;
  try {
    value = Json::parse(text);
  } catch (const nlohmann::json::exception&) {  // not JSON, or a number beyond a double: a string
    value = text;
  }
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    auto dot = path.find('.', start);
    parts.push_back(path.substr(start, dot - start));
    if (parts.back().empty())
      throw ConfigError(fmt::format("--set {}: empty component in key path '{}'", assignment, path));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    Json obj = Json::object();
    obj[*it] = std::move(value);
    value = std::move(obj);
  }
  return value;
}

}  // namespace pc::cfg
