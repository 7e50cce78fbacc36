// Chat-template parse + render. The input is a Jinja source, then (after a
// NUL byte, if any) a JSON context; without one, a two-turn conversation.
// Any template must parse and render or be an r1::Error, within the limits
// (small here, so each input stays fast).
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "tokenizer/jinja.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  const std::string source = input.substr(0, nul);
  nlohmann::ordered_json context = {
      {"messages",
       {{{"role", "system"}, {"content", "be brief"}},
        {{"role", "user"}, {"content", "2+2?"}},
        {{"role", "assistant"}, {"content", "4"}, {"reasoning_content", "add"}}}},
      {"add_generation_prompt", true},
      {"bos_token", "<s>"},
      {"eos_token", "</s>"}};
  if (nul != std::string::npos) {
    auto parsed = nlohmann::ordered_json::parse(input.substr(nul + 1), nullptr, false);
    if (!parsed.is_discarded() && parsed.is_object()) context = std::move(parsed);
  }
  r1::jinja::Limits limits;
  limits.max_steps = 200'000;
  limits.max_bytes = 1 << 20;
  limits.max_seconds = 2;
  try {
    r1::jinja::Template t(source, "fuzz.jinja");
    t.render(context, limits);
  } catch (const r1::Error&) {
  }
  return 0;
}
