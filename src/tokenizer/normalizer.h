// Normalizers from tokenizer.json ("normalizer"): the Unicode forms (NFC, NFD,
// NFKC, NFKD, through ICU), Lowercase, Replace, Prepend and Sequence.
// Anything else is rejected when the file is loaded.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace r1 {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  // `text` is valid UTF-8; so is the result.
  virtual std::string normalize(const std::string& text) const = 0;
};

// nullptr for a JSON null. Throws Error naming `where` for unsupported types.
std::unique_ptr<Normalizer> make_normalizer(const nlohmann::json& j, const std::string& where);

}  // namespace r1
