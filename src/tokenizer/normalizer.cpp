#include "tokenizer/normalizer.h"

#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "tokenizer/regex.h"
#include "tokenizer/utf8.h"
#include "util/error.h"

namespace r1 {

namespace {

bool is_ascii(const std::string& s) {
  for (char c : s)
    if (static_cast<uint8_t>(c) >= 0x80) return false;
  return true;
}

class UnicodeForm : public Normalizer {
 public:
  UnicodeForm(const std::string& form, const std::string& where) {
    UErrorCode status = U_ZERO_ERROR;
    if (form == "NFC") norm_ = icu::Normalizer2::getNFCInstance(status);
    if (form == "NFD") norm_ = icu::Normalizer2::getNFDInstance(status);
    if (form == "NFKC") norm_ = icu::Normalizer2::getNFKCInstance(status);
    if (form == "NFKD") norm_ = icu::Normalizer2::getNFKDInstance(status);
    if (U_FAILURE(status) || !norm_) fail(where, ": ICU has no ", form, " normalizer");
  }
  std::string normalize(const std::string& text) const override {
    if (is_ascii(text)) return text;  // every form leaves ASCII alone
    UErrorCode status = U_ZERO_ERROR;
    icu::UnicodeString u = icu::UnicodeString::fromUTF8(text);
    if (norm_->isNormalized(u, status) && U_SUCCESS(status)) return text;
    status = U_ZERO_ERROR;
    icu::UnicodeString n = norm_->normalize(u, status);
    if (U_FAILURE(status)) fail("Unicode normalization failed: ", u_errorName(status));
    std::string out;
    n.toUTF8String(out);
    return out;
  }

 private:
  const icu::Normalizer2* norm_ = nullptr;
};

class Lowercase : public Normalizer {
 public:
  std::string normalize(const std::string& text) const override {
    // Character by character, like Rust's char::to_lowercase (so no
    // context-dependent final sigma), with ASCII done directly.
    std::string out;
    out.reserve(text.size());
    size_t i = 0;
    while (i < text.size()) {
      const uint8_t b = static_cast<uint8_t>(text[i]);
      if (b < 0x80) {
        out += static_cast<char>(b >= 'A' && b <= 'Z' ? b + 32 : b);
        ++i;
        continue;
      }
      icu::UnicodeString u(static_cast<UChar32>(utf8::next(text, i)));
      u.toLower(icu::Locale::getRoot());
      u.toUTF8String(out);
    }
    return out;
  }
};

class Replace : public Normalizer {
 public:
  Replace(const std::string& pattern, std::string content, const std::string& where)
      : re_(pattern, where), content_(std::move(content)) {}
  std::string normalize(const std::string& text) const override {
    std::vector<std::pair<size_t, size_t>> m;
    re_.find_all(text, m);
    std::string out;
    size_t last = 0;
    for (auto [b, e] : m) {
      out.append(text, last, b - last);
      out += content_;
      last = e;
    }
    out.append(text, last, std::string::npos);
    return out;
  }

 private:
  Regex re_;
  std::string content_;
};

class Prepend : public Normalizer {
 public:
  explicit Prepend(std::string p) : prefix_(std::move(p)) {}
  std::string normalize(const std::string& text) const override {
    return text.empty() ? text : prefix_ + text;
  }

 private:
  std::string prefix_;
};

class Sequence : public Normalizer {
 public:
  explicit Sequence(std::vector<std::unique_ptr<Normalizer>> parts) : parts_(std::move(parts)) {}
  std::string normalize(const std::string& text) const override {
    std::string s = text;
    for (const auto& p : parts_) s = p->normalize(s);
    return s;
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> parts_;
};

}  // namespace

std::unique_ptr<Normalizer> make_normalizer(const nlohmann::json& j, const std::string& where) {
  if (j.is_null()) return nullptr;
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string())
    fail(where, ": expected an object with a \"type\"");
  const std::string type = j["type"];
  if (type == "NFC" || type == "NFD" || type == "NFKC" || type == "NFKD")
    return std::make_unique<UnicodeForm>(type, where);
  if (type == "Lowercase") return std::make_unique<Lowercase>();
  if (type == "Prepend") return std::make_unique<Prepend>(j.value("prepend", std::string()));
  if (type == "Replace")
    return std::make_unique<Replace>(pattern_of(j.at("pattern"), where),
                                     j.value("content", std::string()), where);
  if (type == "Sequence") {
    std::vector<std::unique_ptr<Normalizer>> parts;
    const auto& list = j.at("normalizers");
    for (size_t i = 0; i < list.size(); ++i) {
      auto p = make_normalizer(list[i], cat(where, ".normalizers[", i, "]"));
      if (p) parts.push_back(std::move(p));
    }
    return std::make_unique<Sequence>(std::move(parts));
  }
  fail(where, ": unsupported normalizer type \"", type,
       "\" (supported: NFC, NFD, NFKC, NFKD, Lowercase, Replace, Prepend, Sequence)");
}

}  // namespace r1
