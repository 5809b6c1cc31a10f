// Chooses each core's translation unit from mmu.impl: the C++ Mmu, or the RTL unit (rtl/pc_mmu.sv,
// co-simulated through Verilator, cosim/) on the cores mmu.rtl.cores names, optionally behind the
// differential checker and with a waveform. The cores and the kernel see only mmu::Translator.
#pragma once

#include "models/mem/backing_store.h"
#include "models/mmu/translator.h"
#include "platform/soc/platform_config.h"

namespace pc::soc {

// Empty for mmu.impl = cpp (every core builds its C++ Mmu). Throws cfg::ConfigError on a malformed
// mmu.rtl.cores or when the RTL cannot run this configuration. `store` answers the checker's
// functional reads; it must outlive the cores.
mmu::TranslatorFactory make_translator_factory(const PlatformConfig& cfg, const mem::BackingStore& store);

}  // namespace pc::soc
