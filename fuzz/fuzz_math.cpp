// The math answer parser and equivalence (the "math" reward's verifier): the
// input is a model response, then (after a NUL byte, if any) a reference.
// Extraction, normalisation and comparison never throw or crash on model
// output.
#include <cstdint>
#include <string>

#include "reward/math/verify.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  const std::string response = input.substr(0, nul);
  const std::string reference = nul == std::string::npos ? "\\frac{1}{2}" : input.substr(nul + 1);
  const std::string pred = r1::extract_answer(response);
  const std::string gold = r1::extract_reference(reference);
  r1::normalize_answer(pred);
  r1::canonical_answer_key(pred);
  r1::answers_equivalent(pred, gold);
  r1::answers_equivalent(response, reference);
  return 0;
}
