// Language consistency (DeepSeek-R1 §2.3.3; issue 5 item 3): the fraction of
// words in the chain of thought that are in the target language. A word is a
// run of two or more Latin letters (single letters are mostly math variables,
// and LaTeX commands are skipped), a run of letters of another alphabetic
// script, or one Han character (Chinese is not written with spaces; one
// character is the nearest unit to a word). The chain of thought is the text
// before "</think>" (after "<think>" if present), or the whole completion if it
// has no "</think>". No words scores 0: there is nothing to reward.
// Param target: "en" (Latin words) or "zh" (Han characters); default "en".
#include <cstdint>

#include "reward/rewards.h"
#include "util/error.h"

namespace r1 {
namespace {

enum class Script { kNone, kLatin, kHan, kOther };

Script script_of(uint32_t cp) {
  if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
      (cp >= 0xC0 && cp <= 0x24F && cp != 0xD7 && cp != 0xF7))
    return Script::kLatin;
  if ((cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
      (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x2A6DF))
    return Script::kHan;
  if ((cp >= 0x370 && cp <= 0x52F) ||    // Greek, Cyrillic
      (cp >= 0x590 && cp <= 0x6FF) ||    // Hebrew, Arabic
      (cp >= 0x900 && cp <= 0xE7F) ||    // Indic scripts, Thai
      (cp >= 0x3040 && cp <= 0x30FF) ||  // Hiragana, Katakana
      (cp >= 0xAC00 && cp <= 0xD7AF))    // Hangul
    return Script::kOther;
  return Script::kNone;
}

// Decodes one UTF-8 code point at s[i], advancing i; invalid bytes are U+FFFD.
uint32_t next_code_point(const std::string& s, size_t& i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char b = byte(i);
  int len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
  if (len == 0 || i + len > s.size()) {
    ++i;
    return 0xFFFD;
  }
  uint32_t cp = len == 1 ? b : b & (0x7F >> len);
  for (int k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) {
      ++i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  i += len;
  return cp;
}

std::string chain_of_thought(const std::string& c) {
  size_t close = c.find("</think>");
  if (close == std::string::npos) return c;
  size_t open = c.rfind("<think>", close);
  size_t start = open == std::string::npos ? 0 : open + 7;
  return c.substr(start, close - start);
}

double language_fraction(const std::string& text, Script target) {
  int64_t words = 0, in_target = 0;
  Script run = Script::kNone;
  int64_t run_len = 0;
  bool command = false;  // the current Latin run follows a backslash: a LaTeX command
  auto end_run = [&] {
    bool counts = run == Script::kOther || (run == Script::kLatin && run_len >= 2 && !command);
    if (counts) {
      ++words;
      in_target += run == target;
    }
    run = Script::kNone;
    run_len = 0;
  };
  size_t i = 0;
  uint32_t prev = 0;
  while (i < text.size()) {
    uint32_t cp = next_code_point(text, i);
    Script s = script_of(cp);
    if (s == Script::kHan) {
      end_run();
      ++words;
      in_target += target == Script::kHan;
    } else if (s == Script::kNone) {
      end_run();
    } else {
      if (s != run) {
        end_run();
        run = s;
        command = prev == '\\';
      }
      ++run_len;
    }
    prev = cp;
  }
  end_run();
  return words == 0 ? 0.0 : static_cast<double>(in_target) / static_cast<double>(words);
}

}  // namespace

RewardFn make_language_reward(const nlohmann::json& params) {
  check_params("language", params, {"target"});
  std::string target = "en";
  if (params.contains("target"))
    target = params["target"].is_string() ? params["target"].get<std::string>() : "";
  if (target != "en" && target != "zh")
    fail("reward 'language': target must be \"en\" or \"zh\", got ", params["target"].dump());
  Script script = target == "en" ? Script::kLatin : Script::kHan;
  return per_item([script](const RewardInput& in) {
    return language_fraction(chain_of_thought(in.completion), script);
  });
}

}  // namespace r1
