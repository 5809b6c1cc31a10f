// A scratch file path unique to this test process: two suites running at once on one machine (two
// builds, the release and sanitizer runs, two sessions) must not write each other's files.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

namespace pc::test {

inline std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "pc_" + std::to_string(getpid()) + "_" + name;
}

}  // namespace pc::test
