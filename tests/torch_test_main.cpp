// main() of the test programs that link libtorch: the default ATen generator
// starts from a fixed seed, so a test that draws its inputs with at::rand*
// draws the same ones on every run (libtorch seeds it from the OS otherwise,
// and a tolerance checked on fresh inputs each run is a flaky test).
// R1_TEST_SEED=N draws another set, to see how a tolerance holds across inputs.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>

int main(int argc, char** argv) {
  const char* seed = std::getenv("R1_TEST_SEED");
  at::manual_seed(seed ? std::strtoull(seed, nullptr, 10) : 20261206);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
