#include "tokenizer/regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <cctype>

#include <nlohmann/json.hpp>

#include "util/error.h"

namespace r1 {

namespace {

// Oniguruma spells a code point \uXXXX; PCRE2 wants \x{XXXX}.
std::string to_pcre2(const std::string& p) {
  std::string out;
  out.reserve(p.size());
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] != '\\' || i + 1 >= p.size()) {
      out += p[i];
      continue;
    }
    if (p[i + 1] == 'u' && i + 6 <= p.size()) {
      bool hex = true;
      for (size_t k = i + 2; k < i + 6; ++k) hex = hex && std::isxdigit(static_cast<uint8_t>(p[k]));
      if (hex) {
        out += "\\x{" + p.substr(i + 2, 4) + "}";
        i += 5;
        continue;
      }
    }
    out += p[i];
    out += p[i + 1];
    ++i;
  }
  return out;
}

struct MatchData {
  pcre2_match_data* data;
  MatchData() : data(pcre2_match_data_create(16, nullptr)) {}
  ~MatchData() { pcre2_match_data_free(data); }
};

pcre2_match_data* thread_match_data() {
  thread_local MatchData md;
  return md.data;
}

}  // namespace

struct Regex::Impl {
  pcre2_code* code = nullptr;
  ~Impl() {
    if (code) pcre2_code_free(code);
  }
};

Regex::Regex(const std::string& pattern, const std::string& what, bool jit) {
  auto impl = std::make_shared<Impl>();
  const std::string p = to_pcre2(pattern);
  int err = 0;
  PCRE2_SIZE offset = 0;
  impl->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(p.data()), p.size(),
                             PCRE2_UTF | PCRE2_UCP, &err, &offset, nullptr);
  if (!impl->code) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(err, msg, sizeof(msg));
    fail(what, ": regex /", pattern, "/ does not compile at offset ", offset, ": ",
         reinterpret_cast<const char*>(msg));
  }
  // JIT is an optimisation only: without it the interpreter gives the same matches.
  if (jit) pcre2_jit_compile(impl->code, PCRE2_JIT_COMPLETE);
  impl_ = impl;
}

void Regex::find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>& out) const {
  pcre2_match_data* md = thread_match_data();
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t start = 0;
  while (start < text.size()) {
    const int rc =
        pcre2_match(impl_->code, subject, text.size(), start, PCRE2_NO_UTF_CHECK, md, nullptr);
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) fail("regex match failed with PCRE2 error ", rc);
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    const size_t b = ov[0], e = ov[1];
    if (e > b) {
      out.emplace_back(b, e);
      start = e;
    } else {
      // Empty match: step over one whole character.
      size_t next = b + 1;
      while (next < text.size() && (static_cast<uint8_t>(text[next]) & 0xC0) == 0x80) ++next;
      start = next;
    }
  }
}

size_t Regex::match_prefix(std::string_view text) const {
  pcre2_match_data* md = thread_match_data();
  const int rc = pcre2_match(impl_->code, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), 0,
                             PCRE2_NO_UTF_CHECK | PCRE2_ANCHORED, md, nullptr);
  if (rc < 0) return 0;
  return pcre2_get_ovector_pointer(md)[1];
}

std::string regex_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (std::string_view("\\^$.|?*+()[]{}-/").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

std::string pattern_of(const nlohmann::json& j, const std::string& where) {
  if (j.is_object() && j.contains("Regex") && j["Regex"].is_string()) return j["Regex"];
  if (j.is_object() && j.contains("String") && j["String"].is_string())
    return regex_escape(j["String"]);
  fail(where, ": pattern must be {\"Regex\": ...} or {\"String\": ...}");
}

}  // namespace r1
