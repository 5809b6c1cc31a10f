#include "tests/fuzz/fuzz_common.h"

#include <unistd.h>

namespace pc::fuzz {

std::string scratch_path(const std::string& name) {
  // tmpfs when there is one: on a disk-backed /tmp, rewriting a file per input costs milliseconds.
  const char* tmp = std::getenv("TMPDIR");
  const char* dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : tmp && *tmp ? tmp : "/tmp";
  return fmt::format("{}/pc_fuzz_{}_{}", dir, getpid(), name);
}

void write_file(const std::string& path, const void* data, size_t n) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) violation("{}: cannot create the scratch file", path);
  if (n && std::fwrite(data, 1, n, f) != n) violation("{}: cannot write the scratch file", path);
  std::fclose(f);
}

}  // namespace pc::fuzz
