// tokenizer.json loading and encoding. Input byte 0 picks the mode: even =
// the rest is a tokenizer.json (loaded, then encodes and decodes a fixed
// text); odd = the rest is text for the tiny fixture tokenizer (encode,
// decode, ids decoded back). Bad JSON must be an r1::Error; text never fails.
#include <cstdint>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"
#include "util/error.h"

namespace {

const r1::Tokenizer& tiny() {
  static const r1::Tokenizer tok =
      r1::Tokenizer::load(std::string(R1_FIXTURES) + "/tokenizer/tiny");
  return tok;
}

void exercise(const r1::Tokenizer& tok, const std::string& text) {
  const auto ids = tok.encode(text, /*add_special_tokens=*/true);
  tok.decode(ids);
  tok.decode(ids, /*skip_special_tokens=*/true);
  std::vector<int64_t> raw;  // arbitrary ids, in range and not
  for (unsigned char c : text) raw.push_back(static_cast<int64_t>(c) * 7 - 3);
  try {
    tok.decode(raw);
  } catch (const r1::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    try {
      const r1::Tokenizer tok = r1::Tokenizer::from_json(rest, "", "fuzz/tokenizer.json");
      exercise(tok, "Hello, world! 123 <|im_start|> \xe4\xb8\xad\xe6\x96\x87 \xff");
    } catch (const r1::Error&) {
    }
  } else {
    exercise(tiny(), rest);
  }
  return 0;
}
