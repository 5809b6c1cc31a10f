// The RTL variants built into the platform.
#include "cosim/mmu_model.h"

namespace pc::cosim {

std::unique_ptr<MmuModel> make_mmu_model_nehalem();

std::unique_ptr<MmuModel> make_mmu_model(const std::string& variant) {
  if (variant == "nehalem") return make_mmu_model_nehalem();
  return nullptr;
}

}  // namespace pc::cosim
