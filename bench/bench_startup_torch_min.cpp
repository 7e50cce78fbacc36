// The smallest program that loads libtorch: bench_startup's baseline for
// "load libtorch once". It asks torch one question so the link is not dropped.
#include <ATen/Parallel.h>

int main() {
  return at::get_num_threads() > 0 ? 0 : 1;
}
