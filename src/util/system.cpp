#include "util/system.h"

#include <ATen/Parallel.h>

#include <fstream>
#include <string>

namespace r1 {

std::string blas_library() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    auto slash = line.find('/');
    if (slash == std::string::npos) continue;
    std::string path = line.substr(slash);
    if (path.find("blas") == std::string::npos) continue;
    if (path.find("openblas") != std::string::npos) return "openblas (" + path + ")";
    if (path.find("libblas") != std::string::npos) return "reference (" + path + ")";
    if (path.find("blis") != std::string::npos) return "blis (" + path + ")";
  }
  return "unknown";
}

int compute_threads() {
  return at::get_num_threads();
}

}  // namespace r1
