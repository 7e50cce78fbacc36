// The BPE model of tokenizer.json ("model": {"type": "BPE"}): vocabulary,
// ranked merges (both the "a b" and the ["a", "b"] form) and the merge loop
// that turns one pre-tokenized piece into ids. For byte-level tokenizers the
// piece is raw bytes and each byte starts as its GPT-2 character's token.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace r1 {

class Bpe {
 public:
  // `byte_level`: pieces arrive as raw bytes and are mapped to GPT-2
  // characters. Throws Error naming `where` on a malformed model.
  Bpe(const nlohmann::json& model, bool byte_level, const std::string& where);

  // Appends the ids of one piece.
  void encode(std::string_view piece, std::vector<int32_t>& out) const;

  // Token string (as stored in tokenizer.json) of a model id; nullptr if none.
  const std::string* token(int32_t id) const;
  // Id of a token string, or -1.
  int32_t id(const std::string& token) const;
  // Number of vocabulary entries (Hugging Face's get_vocab_size()).
  int32_t size() const { return static_cast<int32_t>(vocab_.size()); }
  int32_t max_id() const { return static_cast<int32_t>(id_to_token_.size()) - 1; }
  size_t num_merges() const { return merges_.size(); }

 private:
  struct Merge {
    uint32_t rank;
    int32_t id;
  };
  static uint64_t key(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  }
  void initial_symbols(std::string_view piece, std::vector<int32_t>& syms) const;
  void merge(std::vector<int32_t>& syms) const;
  void encode_uncached(std::string_view piece, std::vector<int32_t>& out) const;

  bool byte_level_;
  bool ignore_merges_ = false;
  bool fuse_unk_ = false;
  bool byte_fallback_ = false;
  int32_t unk_id_ = -1;
  std::string prefix_, suffix_;  // continuing_subword_prefix, end_of_word_suffix
  std::unordered_map<std::string, int32_t> vocab_;
  std::vector<std::string> id_to_token_;
  std::unordered_map<uint64_t, Merge> merges_;
  int32_t byte_ids_[256];  // byte-level: id of each byte's character, -1 if absent
  // For ignore_merges: whole pieces (raw bytes if byte-level) that are tokens.
  std::unordered_map<std::string, int32_t> raw_vocab_;

  // Pieces repeat a lot in text; caching them is most of the speed. Sharded
  // so threads encoding a batch rarely wait for each other.
  struct CacheShard {
    std::mutex mutex;
    std::unordered_map<std::string, std::vector<int32_t>> map;
  };
  static constexpr size_t kCacheShards = 16;
  mutable CacheShard cache_[kCacheShards];
};

}  // namespace r1
