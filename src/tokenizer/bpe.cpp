#include "tokenizer/bpe.h"

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>

#include "tokenizer/utf8.h"
#include "util/error.h"

namespace r1 {

namespace {

constexpr size_t kMaxCachedPieceBytes = 256;
constexpr size_t kMaxCacheEntries = 1 << 18;
constexpr int64_t kMaxVocab = int64_t{1} << 24;

// Byte-level token text back to the bytes it stands for; false if some
// character is not in the byte-level alphabet.
bool token_to_bytes(const std::string& token, std::string& bytes) {
  bytes.clear();
  size_t i = 0;
  while (i < token.size()) {
    if (utf8::valid_length(token, i) == 0) return false;
    const int b = utf8::char_to_byte(utf8::next(token, i));
    if (b < 0) return false;
    bytes += static_cast<char>(b);
  }
  return true;
}

std::string quoted_merge(const std::string& a, const std::string& b) {
  return cat("(\"", a, "\", \"", b, "\")");
}

}  // namespace

Bpe::Bpe(const nlohmann::json& model, bool byte_level, const std::string& where)
    : byte_level_(byte_level) {
  if (!model.is_object()) fail(where, ": \"model\" must be an object");
  const std::string type = model.value("type", std::string("BPE"));
  if (type != "BPE") fail(where, ": unsupported model type \"", type, "\" (only BPE is supported)");
  if (!model.contains("vocab") || !model["vocab"].is_object())
    fail(where, ": BPE model has no \"vocab\" object");
  if (model.contains("dropout") && !model["dropout"].is_null() &&
      model["dropout"].get<double>() > 0)
    fail(where, ": BPE dropout is not supported (it makes encoding random)");
  auto str_or_empty = [&](const char* k) {
    return model.contains(k) && model[k].is_string() ? model[k].get<std::string>() : std::string();
  };
  prefix_ = str_or_empty("continuing_subword_prefix");
  suffix_ = str_or_empty("end_of_word_suffix");
  ignore_merges_ = model.value("ignore_merges", false);
  fuse_unk_ = model.value("fuse_unk", false);
  byte_fallback_ = model.value("byte_fallback", false);

  const auto& vocab = model["vocab"];
  vocab_.reserve(vocab.size());
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    if (!it.value().is_number_integer())
      fail(where, ": vocab entry \"", it.key(), "\" has a non-integer id");
    const int64_t id = it.value().get<int64_t>();
    // Ids index dense tables; real vocabularies are well below 2^24.
    if (id < 0 || id >= kMaxVocab)
      fail(where, ": vocab entry \"", it.key(), "\" has id ", id, " (expected 0..", kMaxVocab - 1,
           ")");
    vocab_[it.key()] = static_cast<int32_t>(id);
    if (static_cast<size_t>(id) >= id_to_token_.size()) id_to_token_.resize(id + 1);
    id_to_token_[id] = it.key();
  }
  const std::string unk = str_or_empty("unk_token");
  if (!unk.empty()) {
    auto it = vocab_.find(unk);
    if (it == vocab_.end()) fail(where, ": unk_token \"", unk, "\" is not in the vocabulary");
    unk_id_ = it->second;
  }

  for (int b = 0; b < 256; ++b) {
    std::string c;
    utf8::append(c, utf8::byte_to_char(static_cast<uint8_t>(b)));
    auto it = vocab_.find(c);
    byte_ids_[b] = it == vocab_.end() ? -1 : it->second;
  }
  if (ignore_merges_) {
    std::string bytes;
    for (const auto& [tok, id] : vocab_) {
      if (!byte_level_) {
        raw_vocab_[tok] = id;
      } else if (token_to_bytes(tok, bytes)) {
        raw_vocab_[bytes] = id;
      }
    }
  }

  if (!model.contains("merges")) fail(where, ": BPE model has no \"merges\"");
  const auto& merges = model["merges"];
  if (!merges.is_array()) fail(where, ": \"merges\" must be an array");
  merges_.reserve(merges.size() * 2);
  std::string a, b;
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& m = merges[rank];
    if (m.is_string()) {
      const std::string s = m;
      const size_t sp = s.find(' ');
      if (sp == std::string::npos || s.find(' ', sp + 1) != std::string::npos)
        fail(where, ": merge ", rank, " \"", s, "\" is not two tokens separated by one space");
      a = s.substr(0, sp);
      b = s.substr(sp + 1);
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      a = m[0];
      b = m[1];
    } else {
      fail(where, ": merge ", rank, " must be \"a b\" or [\"a\", \"b\"], got ", m.dump());
    }
    auto ia = vocab_.find(a), ib = vocab_.find(b);
    if (ia == vocab_.end())
      fail(where, ": merge ", rank, " ", quoted_merge(a, b), " refers to \"", a,
           "\", which is not in the vocabulary");
    if (ib == vocab_.end())
      fail(where, ": merge ", rank, " ", quoted_merge(a, b), " refers to \"", b,
           "\", which is not in the vocabulary");
    const std::string merged = a + b.substr(std::min(prefix_.size(), b.size()));
    auto im = vocab_.find(merged);
    if (im == vocab_.end())
      fail(where, ": merge ", rank, " ", quoted_merge(a, b), " makes \"", merged,
           "\", which is not in the vocabulary");
    // A repeated pair keeps its last rank, as Hugging Face's map does.
    merges_[key(ia->second, ib->second)] = Merge{static_cast<uint32_t>(rank), im->second};
  }
}

const std::string* Bpe::token(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= id_to_token_.size() || id_to_token_[id].empty())
    return nullptr;
  return &id_to_token_[id];
}

int32_t Bpe::id(const std::string& token) const {
  auto it = vocab_.find(token);
  return it == vocab_.end() ? -1 : it->second;
}

void Bpe::initial_symbols(std::string_view piece, std::vector<int32_t>& syms) const {
  if (byte_level_ && prefix_.empty() && suffix_.empty()) {
    for (char c : piece) {
      const int32_t id = byte_ids_[static_cast<uint8_t>(c)];
      if (id >= 0) {
        syms.push_back(id);
      } else if (unk_id_ >= 0 && !(fuse_unk_ && !syms.empty() && syms.back() == unk_id_)) {
        syms.push_back(unk_id_);
      }
    }
    return;
  }
  // General path: one symbol per character (per byte's character if
  // byte-level), with the continuing-subword prefix and end-of-word suffix.
  std::vector<std::string> chars;
  size_t i = 0;
  while (i < piece.size()) {
    std::string ch;
    if (byte_level_) {
      utf8::append(ch, utf8::byte_to_char(static_cast<uint8_t>(piece[i])));
      ++i;
    } else {
      const size_t n = std::max<size_t>(1, utf8::valid_length(piece, i));
      ch.assign(piece.data() + i, n);
      i += n;
    }
    chars.push_back(std::move(ch));
  }
  for (size_t k = 0; k < chars.size(); ++k) {
    std::string s = (k > 0 ? prefix_ : std::string()) + chars[k];
    if (k + 1 == chars.size()) s += suffix_;
    auto it = vocab_.find(s);
    if (it != vocab_.end()) {
      syms.push_back(it->second);
      continue;
    }
    if (byte_fallback_) {
      bool all = true;
      std::vector<int32_t> ids;
      for (unsigned char c : chars[k]) {
        char hex[8];
        std::snprintf(hex, sizeof(hex), "<0x%02X>", c);
        auto h = vocab_.find(hex);
        if (h == vocab_.end()) {
          all = false;
          break;
        }
        ids.push_back(h->second);
      }
      if (all) {
        syms.insert(syms.end(), ids.begin(), ids.end());
        continue;
      }
    }
    if (unk_id_ >= 0 && !(fuse_unk_ && !syms.empty() && syms.back() == unk_id_))
      syms.push_back(unk_id_);
  }
}

void Bpe::merge(std::vector<int32_t>& syms) const {
  // Hugging Face's algorithm (tokenizers/src/models/bpe/word.rs), step for
  // step: a min-heap of (rank, position) over adjacent pairs on a linked list
  // of symbols; an entry is stale when its pair no longer makes the same
  // token. O(n log n), so a 100k-letter word is no slower per byte.
  const int n = static_cast<int>(syms.size());
  if (n < 2) return;
  struct Entry {
    uint32_t rank;
    int pos;
    int32_t id;
    bool operator>(const Entry& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  thread_local std::vector<int> prev, next;
  thread_local std::vector<uint8_t> alive;
  thread_local std::vector<Entry> heap;
  prev.resize(n);
  next.resize(n);
  alive.assign(n, 1);
  heap.clear();
  for (int i = 0; i < n; ++i) {
    prev[i] = i - 1;
    next[i] = i + 1 < n ? i + 1 : -1;
  }
  auto push = [&](int pos) {
    auto it = merges_.find(key(syms[pos], syms[next[pos]]));
    if (it == merges_.end()) return;
    heap.push_back({it->second.rank, pos, it->second.id});
    std::push_heap(heap.begin(), heap.end(), std::greater<Entry>());
  };
  for (int i = 0; i + 1 < n; ++i) push(i);
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), std::greater<Entry>());
    const Entry top = heap.back();
    heap.pop_back();
    if (!alive[top.pos] || next[top.pos] < 0) continue;
    const int right = next[top.pos];
    auto it = merges_.find(key(syms[top.pos], syms[right]));
    if (it == merges_.end() || it->second.id != top.id) continue;  // stale
    syms[top.pos] = top.id;
    alive[right] = 0;
    next[top.pos] = next[right];
    if (next[right] >= 0) prev[next[right]] = top.pos;
    if (prev[top.pos] >= 0) push(prev[top.pos]);
    if (next[top.pos] >= 0) push(top.pos);
  }
  int out = 0;
  for (int i = 0; i >= 0; i = next[i]) syms[out++] = syms[i];
  syms.resize(out);
}

void Bpe::encode_uncached(std::string_view piece, std::vector<int32_t>& out) const {
  if (ignore_merges_) {
    auto it = raw_vocab_.find(std::string(piece));
    if (it != raw_vocab_.end()) {
      out.push_back(it->second);
      return;
    }
  }
  thread_local std::vector<int32_t> syms;
  syms.clear();
  initial_symbols(piece, syms);
  merge(syms);
  out.insert(out.end(), syms.begin(), syms.end());
}

void Bpe::encode(std::string_view piece, std::vector<int32_t>& out) const {
  if (piece.size() > kMaxCachedPieceBytes) {
    encode_uncached(piece, out);
    return;
  }
  CacheShard& shard = cache_[std::hash<std::string_view>()(piece) % kCacheShards];
  const std::string key_str(piece);
  {
    std::lock_guard<std::mutex> lock(shard.mutex);
    auto it = shard.map.find(key_str);
    if (it != shard.map.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  const size_t before = out.size();
  encode_uncached(piece, out);
  std::lock_guard<std::mutex> lock(shard.mutex);
  if (shard.map.size() >= kMaxCacheEntries / kCacheShards) shard.map.clear();
  shard.map.emplace(key_str, std::vector<int32_t>(out.begin() + before, out.end()));
}

}  // namespace r1
