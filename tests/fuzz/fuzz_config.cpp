// Configuration loader (platform/core/config, platform/soc/platform_config): JSON files with comments,
// presets and --set assignments, layered as the CLI does, then the cross-field checks of finish().
// Input: lines; "#preset NAME" and "#set PATH=VALUE" are layers, "#file" starts a JSON file layer that
// runs to the next directive; text before any directive is a file layer too (a plain JSON file is a
// valid input).
// Contract: every rejection is a cfg::ConfigError (the CLI's exit status 2) whose message starts with
// the layer's source ("fuzz.json:", "--set PATH=VALUE:", "--preset NAME:") or, from finish(), names a
// key ("key '...'") or the workload; an accepted configuration encodes to JSON that decodes, on fresh
// defaults, to a configuration that passes finish() and encodes to the same JSON.
#include <string_view>
#include <vector>

#include "platform/soc/platform_config.h"
#include "tests/fuzz/fuzz_common.h"

using pc::cfg::ConfigError;
using pc::soc::ConfigResolver;

namespace {

struct Layer {
  enum Kind { Preset, Set, File } kind;
  std::string text;
};

std::vector<Layer> split_layers(std::string_view in) {
  std::vector<Layer> out;
  Layer cur{Layer::File, ""};
  bool have = false;
  auto flush = [&] {
    if (have || !cur.text.empty()) out.push_back(cur);
    have = false;
  };
  size_t pos = 0;
  while (pos < in.size()) {
    size_t nl = in.find('\n', pos);
    const size_t end = nl == std::string_view::npos ? in.size() : nl + 1;
    std::string_view line = in.substr(pos, end - pos);
    std::string_view bare = line;
    if (!bare.empty() && bare.back() == '\n') bare.remove_suffix(1);
    if (pc::fuzz::starts_with(bare, "#preset ")) {
      flush();
      out.push_back({Layer::Preset, std::string(bare.substr(8))});
      cur = {Layer::File, ""};
    } else if (pc::fuzz::starts_with(bare, "#set ")) {
      flush();
      out.push_back({Layer::Set, std::string(bare.substr(5))});
      cur = {Layer::File, ""};
    } else if (bare == "#file") {
      flush();
      cur = {Layer::File, ""};
      have = true;
    } else {
      cur.text += line;
    }
    pos = end;
  }
  flush();
  return out;
}

// A finish() error names a key of the tree or the workload's relation that failed.
bool names_a_key(const std::string& msg) {
  if (pc::fuzz::starts_with(msg, "workload")) return true;
  const auto k = msg.find("key '");
  if (k == std::string::npos) return false;
  const auto end = msg.find_first_of(".['", k + 5);
  if (end == std::string::npos) return false;
  static const char* const kSections[] = {"sim",         "clocks",       "cpu",     "mmu",
                                          "caches",      "interconnect", "dram",    "disk",
                                          "extra_disks", "kernel",       "workload"};
  for (const char* s : kSections)
    if (msg.compare(k + 5, end - (k + 5), s) == 0) return true;
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto layers = split_layers(std::string_view(reinterpret_cast<const char*>(data), size));
  if (layers.size() > 16) return 0;  // deeper layering adds nothing but time
  for (const auto& l : layers)       // a command-line argument cannot hold a NUL byte
    if (l.kind != Layer::File && l.text.find('\0') != std::string::npos) return 0;
  ConfigResolver r;
  std::string source;
  try {
    for (const auto& l : layers) {
      switch (l.kind) {
        case Layer::Preset:
          source = "--preset " + l.text + ":";
          try {
            r.apply_preset(l.text);
          } catch (const ConfigError& e) {
            // A preset's own overlay must never be at fault.
            PC_FUZZ_CHECK(pc::fuzz::starts_with(e.what(), source), "preset error: {}", e.what());
            throw;
          }
          break;
        case Layer::Set:
          source = "--set " + l.text;
          r.apply_set(l.text);
          break;
        case Layer::File:
          source = "fuzz.json:";
          r.apply_json(pc::cfg::parse_json_text(l.text, "fuzz.json"), "fuzz.json");
          break;
      }
    }
    source.clear();
    r.finish();
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    if (source.empty())
      PC_FUZZ_CHECK(names_a_key(msg), "finish() error names no key: {}", msg);
    else
      PC_FUZZ_CHECK(pc::fuzz::starts_with(msg, source), "error does not start with '{}': {}", source, msg);
    return 0;
  } catch (const std::exception& e) {
    pc::fuzz::violation("not a ConfigError ({}): {}", typeid(e).name(), e.what());
  }

  // Accepted: the resolved tree round-trips through its JSON encoding.
  const auto& cfg = r.finish();
  const pc::cfg::Json enc = cfg.to_json();
  const std::string text = enc.dump();
  ConfigResolver again;
  try {
    again.apply_json(pc::cfg::parse_json_text(text, "resolved.json"), "resolved.json");
    again.finish();
  } catch (const std::exception& e) {
    pc::fuzz::violation("the resolved configuration does not load again: {}\n{}", e.what(), text);
  }
  const std::string text2 = again.finish().to_json().dump();
  PC_FUZZ_CHECK(text2 == text, "the resolved configuration changed in a round trip:\n{}\n{}", text, text2);
  auto copy = cfg;
  const auto entries = pc::cfg::schema([&](pc::cfg::Visitor& v) { copy.describe(v); });
  PC_FUZZ_CHECK(!entries.empty(), "empty schema");
  return 0;
}
