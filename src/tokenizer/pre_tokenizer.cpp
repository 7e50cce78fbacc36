#include "tokenizer/pre_tokenizer.h"

#include <nlohmann/json.hpp>

#include "tokenizer/regex.h"
#include "tokenizer/utf8.h"
#include "util/error.h"

namespace r1 {

namespace {

// GPT-2's pattern, used by ByteLevel when use_regex is true.
const char* kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

enum class Behavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

Behavior parse_behavior(const nlohmann::json& j, const std::string& where) {
  const std::string b = j.is_string() ? j.get<std::string>() : "";
  if (b == "Removed") return Behavior::kRemoved;
  if (b == "Isolated") return Behavior::kIsolated;
  if (b == "MergedWithPrevious") return Behavior::kMergedWithPrevious;
  if (b == "MergedWithNext") return Behavior::kMergedWithNext;
  if (b == "Contiguous") return Behavior::kContiguous;
  fail(where, ": unknown split behavior '", b,
       "' (expected Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous)");
}

// Cuts a piece given its spans flagged as "matched", following Hugging Face's
// SplitDelimiterBehavior exactly (tokenizers/src/tokenizer/normalizer.rs).
struct Span {
  size_t begin, end;
  bool match;
};

void apply_behavior(std::string_view piece, const std::vector<Span>& spans, Behavior behavior,
                    std::vector<std::string_view>& out) {
  auto emit = [&](size_t b, size_t e) {
    if (e > b) out.push_back(piece.substr(b, e - b));
  };
  switch (behavior) {
    case Behavior::kRemoved:
      for (const auto& s : spans)
        if (!s.match) emit(s.begin, s.end);
      return;
    case Behavior::kIsolated:
      for (const auto& s : spans) emit(s.begin, s.end);
      return;
    case Behavior::kContiguous: {
      std::vector<Span> merged;
      for (const auto& s : spans) {
        if (!merged.empty() && merged.back().match == s.match)
          merged.back().end = s.end;
        else
          merged.push_back(s);
      }
      for (const auto& s : merged) emit(s.begin, s.end);
      return;
    }
    case Behavior::kMergedWithPrevious: {
      std::vector<Span> merged;
      bool previous_match = false;
      for (const auto& s : spans) {
        if (s.match && !previous_match && !merged.empty())
          merged.back().end = s.end;
        else
          merged.push_back(s);
        previous_match = s.match;
      }
      for (const auto& s : merged) emit(s.begin, s.end);
      return;
    }
    case Behavior::kMergedWithNext: {
      std::vector<Span> merged;  // built right to left
      bool previous_match = false;
      for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
        if (it->match && !previous_match && !merged.empty())
          merged.back().begin = it->begin;
        else
          merged.push_back(*it);
        previous_match = it->match;
      }
      for (auto it = merged.rbegin(); it != merged.rend(); ++it) emit(it->begin, it->end);
      return;
    }
  }
}

class RegexSplit : public Splitter {
 public:
  RegexSplit(const std::string& pattern, Behavior behavior, bool invert, const std::string& where)
      : re_(pattern, where), behavior_(behavior), invert_(invert) {}

  void split(std::string_view piece, std::vector<std::string_view>& out) const override {
    thread_local std::vector<std::pair<size_t, size_t>> matches;
    thread_local std::vector<Span> spans;
    matches.clear();
    spans.clear();
    re_.find_all(piece, matches);
    size_t last = 0;
    for (auto [b, e] : matches) {
      if (b > last) spans.push_back({last, b, invert_});
      spans.push_back({b, e, !invert_});
      last = e;
    }
    if (last < piece.size()) spans.push_back({last, piece.size(), invert_});
    if (behavior_ == Behavior::kIsolated) {  // the common case, without copies
      for (const auto& s : spans) out.push_back(piece.substr(s.begin, s.end - s.begin));
      return;
    }
    apply_behavior(piece, spans, behavior_, out);
  }

 private:
  Regex re_;
  Behavior behavior_;
  bool invert_;
};

// Digits: every run of ASCII-and-Unicode decimal digits (or each digit) isolated.
class Digits : public Splitter {
 public:
  explicit Digits(bool individual) : re_(individual ? R"(\p{N})" : R"(\p{N}+)", "Digits") {}
  void split(std::string_view piece, std::vector<std::string_view>& out) const override {
    std::vector<std::pair<size_t, size_t>> matches;
    re_.find_all(piece, matches);
    std::vector<Span> spans;
    size_t last = 0;
    for (auto [b, e] : matches) {
      if (b > last) spans.push_back({last, b, false});
      spans.push_back({b, e, true});
      last = e;
    }
    if (last < piece.size()) spans.push_back({last, piece.size(), false});
    apply_behavior(piece, spans, Behavior::kIsolated, out);
  }

 private:
  Regex re_;
};

void add_one(const nlohmann::json& j, const std::string& where, PreTokenizer& pt) {
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string())
    fail(where, ": expected an object with a \"type\"");
  if (pt.byte_level) fail(where, ": ByteLevel must be the last pre-tokenizer of a Sequence");
  if (!pt.metaspace.empty()) fail(where, ": Metaspace must be the only pre-tokenizer");
  const std::string type = j["type"];
  if (type == "Sequence") {
    if (!j.contains("pretokenizers") || !j["pretokenizers"].is_array())
      fail(where, ": Sequence without a \"pretokenizers\" array");
    const auto& list = j["pretokenizers"];
    for (size_t i = 0; i < list.size(); ++i)
      add_one(list[i], cat(where, ".pretokenizers[", i, "]"), pt);
  } else if (type == "Split") {
    if (!j.contains("pattern")) fail(where, ": Split without a \"pattern\"");
    pt.splitters.push_back(
        std::make_unique<RegexSplit>(pattern_of(j["pattern"], where),
                                     parse_behavior(j.value("behavior", nlohmann::json()), where),
                                     j.value("invert", false), where));
  } else if (type == "Digits") {
    pt.splitters.push_back(std::make_unique<Digits>(j.value("individual_digits", false)));
  } else if (type == "ByteLevel") {
    pt.byte_level = true;
    pt.add_prefix_space = j.value("add_prefix_space", true);
    if (j.value("use_regex", true)) {
      // Prefix spaces are added before this split, so it runs inside run().
      pt.splitters.push_back(std::make_unique<RegexSplit>(kGpt2Pattern, Behavior::kIsolated, false,
                                                          where + " (ByteLevel regex)"));
      pt.byte_level_regex = true;
    }
  } else if (type == "Metaspace") {
    if (!pt.splitters.empty()) fail(where, ": Metaspace must be the only pre-tokenizer");
    pt.metaspace = j.value("replacement", std::string("\u2581"));
    if (utf8::valid_length(pt.metaspace, 0) != pt.metaspace.size() || pt.metaspace.empty())
      fail(where, ": Metaspace replacement must be one character, got \"", pt.metaspace, "\"");
    // tokenizers < 0.14 wrote add_prefix_space; later versions prepend_scheme.
    const std::string scheme = j.contains("prepend_scheme")
                                   ? j.value("prepend_scheme", std::string())
                                   : (j.value("add_prefix_space", true) ? "always" : "never");
    if (scheme == "always")
      pt.metaspace_prepend = PreTokenizer::Prepend::kAlways;
    else if (scheme == "first")
      pt.metaspace_prepend = PreTokenizer::Prepend::kFirst;
    else if (scheme == "never")
      pt.metaspace_prepend = PreTokenizer::Prepend::kNever;
    else
      fail(where, ": unknown Metaspace prepend_scheme \"", scheme, "\" (always, first, never)");
    pt.metaspace_split = j.value("split", true);
  } else {
    fail(where, ": unsupported pre-tokenizer type \"", type,
         "\" (supported: Split, ByteLevel, Digits, Metaspace, Sequence)");
  }
}

void add_prefix_spaces(std::vector<std::string_view>& pieces, std::deque<std::string>& storage) {
  for (auto& p : pieces) {
    if (!p.empty() && p[0] == ' ') continue;
    storage.push_back(" ");
    storage.back().append(p.data(), p.size());
    p = storage.back();
  }
}

}  // namespace

PreTokenizer make_pre_tokenizer(const nlohmann::json& j, const std::string& where) {
  PreTokenizer pt;
  if (!j.is_null()) add_one(j, where, pt);
  return pt;
}

namespace {

// Metaspace: spaces to the replacement, the prefix where the scheme asks, and
// (split) a new piece at each replacement, merged with what follows it.
void run_metaspace(const PreTokenizer& pt, std::string_view text, bool at_start,
                   std::deque<std::string>& storage, std::vector<std::string_view>& out) {
  const std::string& rep = pt.metaspace;
  std::string s;
  for (char c : text) {
    if (c == ' ')
      s += rep;
    else
      s += c;
  }
  const bool prepend = pt.metaspace_prepend == PreTokenizer::Prepend::kAlways ||
                       (pt.metaspace_prepend == PreTokenizer::Prepend::kFirst && at_start);
  if (prepend && s.compare(0, rep.size(), rep) != 0) s.insert(0, rep);
  storage.push_back(std::move(s));
  const std::string_view all = storage.back();
  if (!pt.metaspace_split) {
    out.push_back(all);
    return;
  }
  size_t begin = 0;
  for (size_t at = all.find(rep, 1); at != std::string_view::npos; at = all.find(rep, at + 1)) {
    out.push_back(all.substr(begin, at - begin));
    begin = at;
  }
  out.push_back(all.substr(begin));
}

}  // namespace

void PreTokenizer::run(std::string_view text, bool at_start, std::deque<std::string>& storage,
                       std::vector<std::string_view>& out) const {
  if (text.empty()) return;
  if (!metaspace.empty()) {
    run_metaspace(*this, text, at_start, storage, out);
    return;
  }
  thread_local std::vector<std::string_view> a, b;
  a.clear();
  a.push_back(text);
  const size_t n = splitters.size();
  const size_t regex_from = byte_level_regex ? n - 1 : n;
  for (size_t k = 0; k < n; ++k) {
    if (k == regex_from && add_prefix_space) add_prefix_spaces(a, storage);
    b.clear();
    for (auto piece : a) splitters[k]->split(piece, b);
    std::swap(a, b);
  }
  if (regex_from == n && add_prefix_space) add_prefix_spaces(a, storage);
  out.insert(out.end(), a.begin(), a.end());
}

}  // namespace r1
