#include "tokenizer/trainer.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>

#include "tokenizer/added_vocabulary.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/utf8.h"
#include "util/error.h"

namespace r1 {

namespace {

using nlohmann::json;
using ordered_json = nlohmann::ordered_json;

// Qwen2/3's split: contractions, words, single digits, punctuation runs,
// newline runs, whitespace.
const char* kPattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

ordered_json byte_level() {
  return {{"type", "ByteLevel"},
          {"add_prefix_space", false},
          {"trim_offsets", false},
          {"use_regex", false}};
}

ordered_json pre_tokenizer_json() {
  return {{"type", "Sequence"},
          {"pretokenizers",
           {{{"type", "Split"},
             {"pattern", {{"Regex", kPattern}}},
             {"behavior", "Isolated"},
             {"invert", false}},
            byte_level()}}};
}

std::string byte_token(uint8_t b) {
  std::string s;
  utf8::append(s, utf8::byte_to_char(b));
  return s;
}

struct Word {
  std::vector<int32_t> syms;
  int64_t count;
};

}  // namespace

std::string train_bpe(const std::vector<std::string>& texts, const BpeTrainerOptions& o) {
  const int n_added = static_cast<int>(o.special_tokens.size() + o.content_tokens.size());
  if (o.vocab_size < 256 + n_added)
    fail("vocab size ", o.vocab_size, " is too small: the 256 bytes and ", n_added,
         " added tokens need ", 256 + n_added);
  const int max_merges = o.vocab_size - 256 - n_added;

  // Count pre-tokenized pieces, with added tokens cut out first as when encoding.
  std::vector<AddedToken> added;
  for (const auto& s : o.special_tokens) added.push_back({0, s, true});
  for (const auto& s : o.content_tokens) added.push_back({0, s, false});
  AddedTokenMatcher matcher(added);
  PreTokenizer pt = make_pre_tokenizer(json::parse(pre_tokenizer_json().dump()), "trainer");
  std::unordered_map<std::string, int64_t> counts;
  std::vector<Segment> segments;
  std::vector<std::string_view> pieces;
  std::deque<std::string> storage;
  for (const auto& raw : texts) {
    const std::string text = utf8::repair(raw);
    segments.clear();
    matcher.split(text, segments);
    for (const auto& seg : segments) {
      if (seg.id >= 0) continue;
      pieces.clear();
      pt.run(std::string_view(text).substr(seg.begin, seg.end - seg.begin), seg.begin == 0, storage,
             pieces);
      for (auto p : pieces) ++counts[std::string(p)];
    }
  }
  // Sorted so the result does not depend on hash order.
  std::map<std::string, int64_t> sorted(counts.begin(), counts.end());
  std::vector<Word> words;
  for (const auto& [piece, count] : sorted) {
    Word w{{}, count};
    for (unsigned char c : piece) w.syms.push_back(c);
    words.push_back(std::move(w));
  }

  std::vector<std::string> vocab;
  std::unordered_map<std::string, int32_t> ids;
  for (int b = 0; b < 256; ++b) {
    vocab.push_back(byte_token(static_cast<uint8_t>(b)));
    ids[vocab.back()] = b;
  }
  // Pair counts are kept up to date incrementally: a merge only rewrites the
  // words that contain its pair. The most frequent pair (ties: smallest ids)
  // is the first element of `ranked`, so the result equals a full recount.
  std::vector<std::pair<int32_t, int32_t>> merges;
  std::unordered_map<uint64_t, int64_t> pair_counts;
  std::unordered_map<uint64_t, std::vector<int32_t>> words_with;  // may hold stale entries
  std::set<std::pair<int64_t, uint64_t>> ranked;                  // (-count, pair)
  std::unordered_map<uint64_t, int64_t> before;                   // counts before this merge
  auto key_of = [](int32_t x, int32_t y) {
    return (static_cast<uint64_t>(x) << 32) | static_cast<uint32_t>(y);
  };
  auto add_word = [&](int32_t w, int64_t sign) {
    const auto& s = words[w].syms;
    for (size_t i = 0; i + 1 < s.size(); ++i) {
      const uint64_t k = key_of(s[i], s[i + 1]);
      auto [it, fresh] = pair_counts.try_emplace(k, 0);
      before.try_emplace(k, it->second);
      it->second += sign * words[w].count;
      if (sign > 0) words_with[k].push_back(w);
    }
  };
  auto commit = [&] {  // moves the changed pairs to their new place in `ranked`
    for (const auto& [k, old] : before) {
      if (old > 0) ranked.erase({-old, k});
      const int64_t now = pair_counts[k];
      if (now > 0) ranked.insert({-now, k});
    }
    before.clear();
  };
  for (int32_t w = 0; w < static_cast<int32_t>(words.size()); ++w) add_word(w, +1);
  commit();
  std::vector<int32_t> seen(words.size(), -1);
  while (static_cast<int>(merges.size()) < max_merges && !ranked.empty()) {
    const auto [neg_count, best] = *ranked.begin();
    if (-neg_count < std::max(1, o.min_frequency)) break;
    const int32_t a = static_cast<int32_t>(best >> 32), b = static_cast<int32_t>(best & 0xffffffff);
    const std::string merged = vocab[a] + vocab[b];
    int32_t id;
    auto it = ids.find(merged);
    if (it != ids.end()) {
      id = it->second;
    } else {
      id = static_cast<int32_t>(vocab.size());
      vocab.push_back(merged);
      ids[merged] = id;
    }
    const int32_t step = static_cast<int32_t>(merges.size());
    merges.emplace_back(a, b);
    const std::vector<int32_t> candidates = std::move(words_with[best]);
    words_with.erase(best);
    for (int32_t w : candidates) {
      if (seen[w] == step) continue;
      seen[w] = step;
      auto& s = words[w].syms;
      bool has = false;
      for (size_t i = 0; i + 1 < s.size() && !has; ++i) has = s[i] == a && s[i + 1] == b;
      if (!has) continue;
      add_word(w, -1);
      size_t out = 0;
      for (size_t i = 0; i < s.size(); ++i) {
        if (i + 1 < s.size() && s[i] == a && s[i + 1] == b) {
          s[out++] = id;
          ++i;
        } else {
          s[out++] = s[i];
        }
      }
      s.resize(out);
      add_word(w, +1);
    }
    commit();
  }

  ordered_json j;
  j["version"] = "1.0";
  j["truncation"] = nullptr;
  j["padding"] = nullptr;
  ordered_json added_json = ordered_json::array();
  int32_t next_id = static_cast<int32_t>(vocab.size());
  for (const auto& t : added) {
    added_json.push_back({{"id", next_id++},
                          {"content", t.content},
                          {"single_word", false},
                          {"lstrip", false},
                          {"rstrip", false},
                          {"normalized", false},
                          {"special", t.special}});
  }
  j["added_tokens"] = added_json;
  j["normalizer"] = {{"type", "NFC"}};
  j["pre_tokenizer"] = pre_tokenizer_json();
  j["post_processor"] = byte_level();
  j["decoder"] = byte_level();
  ordered_json model;
  model["type"] = "BPE";
  model["dropout"] = nullptr;
  model["unk_token"] = nullptr;
  model["continuing_subword_prefix"] = "";
  model["end_of_word_suffix"] = "";
  model["fuse_unk"] = false;
  model["byte_fallback"] = false;
  model["ignore_merges"] = false;
  ordered_json v = ordered_json::object();
  for (size_t i = 0; i < vocab.size(); ++i) v[vocab[i]] = i;
  model["vocab"] = v;
  ordered_json m = ordered_json::array();
  for (auto [a, b] : merges) m.push_back({vocab[a], vocab[b]});
  model["merges"] = m;
  j["model"] = model;
  return j.dump(2) + "\n";
}

std::string trained_tokenizer_config(const BpeTrainerOptions& o) {
  auto has = [&](const std::string& t) {
    return std::find(o.special_tokens.begin(), o.special_tokens.end(), t) != o.special_tokens.end();
  };
  ordered_json c;
  c["tokenizer_class"] = "PreTrainedTokenizerFast";
  c["bos_token"] = nullptr;
  c["eos_token"] = has("<|endoftext|>") ? json("<|endoftext|>") : json(nullptr);
  c["pad_token"] = has("<|pad|>") ? json("<|pad|>") : json(nullptr);
  c["unk_token"] = nullptr;
  c["clean_up_tokenization_spaces"] = false;
  c["model_max_length"] = 32768;
  if (has("<|im_start|>") && has("<|im_end|>")) {
    // Plain ChatML without a default system prompt.
    c["chat_template"] =
        "{%- for message in messages %}{{- '<|im_start|>' + message['role'] + '\\n' + "
        "message['content'] + '<|im_end|>' + '\\n' }}{%- endfor %}{%- if add_generation_prompt "
        "%}{{- '<|im_start|>assistant\\n' }}{%- endif %}";
  }
  return c.dump(2) + "\n";
}

}  // namespace r1
