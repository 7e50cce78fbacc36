// safetensors header and layout: any bytes as a .safetensors file must load
// or be an r1::Error, never crash, overflow or read out of bounds.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "model/safetensors.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The reader maps a file: write the input to one (in memory on Linux).
  static const std::string path = "/dev/shm/r1-fuzz-" + std::to_string(getpid()) + ".safetensors";
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  try {
    r1::SafetensorsFile file(path);
    for (const auto& [name, view] : file.tensors()) {
      const uint8_t* bytes = view.data;
      volatile uint8_t sum = 0;  // touch each tensor's first and last byte
      if (view.nbytes > 0) sum = bytes[0] + bytes[view.nbytes - 1];
      (void)sum;
    }
  } catch (const r1::Error&) {
  }
  return 0;
}
