// Logging level holder.
#include "platform/core/log.h"

namespace pc::log {
namespace {
Level g_level = Level::Warn;
}
Level level() { return g_level; }
void set_level(Level l) { g_level = l; }
}  // namespace pc::log
