#include "sft/sft_data.h"

#include <algorithm>
#include <exception>
#include <numeric>
#include <random>
#include <thread>

#include "util/error.h"

namespace r1 {

int64_t SftExample::num_targets() const {
  return std::count(targets.begin(), targets.end(), 1);
}

namespace {

std::string string_field(const nlohmann::json& obj, const std::string& key,
                         const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end()) fail(where, ": missing field '", key, "'");
  if (!it->is_string()) fail(where, ": field '", key, "' must be a string");
  return it->get<std::string>();
}

std::vector<ChatMessage> parse_messages(const nlohmann::json& list, const std::string& field,
                                        const std::string& where) {
  if (!list.is_array() || list.empty())
    fail(where, ": '", field, "' must be a non-empty list of {role, content}");
  std::vector<ChatMessage> messages;
  for (size_t i = 0; i < list.size(); ++i) {
    const auto& m = list[i];
    std::string at = cat(where, ": ", field, "[", i, "]");
    if (!m.is_object()) fail(at, " must be an object {role, content}");
    ChatMessage msg{string_field(m, "role", at), string_field(m, "content", at), {}};
    if (m.contains("reasoning_content"))
      msg.reasoning_content = string_field(m, "reasoning_content", at);
    messages.push_back(std::move(msg));
  }
  return messages;
}

}  // namespace

SftEncoder::SftEncoder(const Tokenizer& tok, const SftFormat& format) : tok_(tok), format_(format) {
  const SpecialTokens& special = tok_.special();
  if (format_.template_name == "chat" && !format_.chat_template.empty())
    chat_ = ChatTemplate::from_jinja(format_.chat_template, special.bos_token, special.eos_token,
                                     special.pad_token, format_.chat_template_path);
  else if (format_.template_name == "chat")
    chat_ = ChatTemplate::of(tok_);
  else if (special.eos_id < 0)
    fail("data.template = ", format_.template_name,
         ": completions end with the eos token, but the tokenizer declares none");
}

SftExample SftEncoder::encode(const nlohmann::json& row, const std::string& where) const {
  if (row.contains(format_.messages_field)) {
    auto messages = parse_messages(row[format_.messages_field], format_.messages_field, where);
    if (std::none_of(messages.begin(), messages.end(),
                     [](const ChatMessage& m) { return m.role == "assistant"; }))
      fail(where, ": conversation has no assistant turn (nothing to train on)");
    if (chat_) return encode_chat(messages, where);
    if (messages.size() != 2 || messages[0].role != "user" || messages[1].role != "assistant")
      fail(where, ": data.template = ", format_.template_name,
           " takes a conversation of exactly one user and one assistant turn");
    return encode_pair(messages[0].content, messages[1].content, where);
  }
  if (!row.contains(format_.prompt_field) || !row.contains(format_.completion_field))
    fail(where, ": needs '", format_.messages_field, "' or '", format_.prompt_field, "' and '",
         format_.completion_field, "'");
  std::string prompt = string_field(row, format_.prompt_field, where);
  std::string completion = string_field(row, format_.completion_field, where);
  if (chat_) return encode_chat({{"user", prompt, {}}, {"assistant", completion, {}}}, where);
  return encode_pair(prompt, completion, where);
}

SftExample SftEncoder::encode_chat(const std::vector<ChatMessage>& messages,
                                   const std::string& where) const {
  ChatOptions closed;
  closed.add_generation_prompt = false;
  ChatOptions open;  // add_generation_prompt = true
  const std::string full = chat_->render(messages, closed);

  // Character spans [begin, end) of each assistant turn within `full`.
  std::vector<std::pair<size_t, size_t>> spans;
  for (size_t i = 0; i < messages.size(); ++i) {
    if (messages[i].role != "assistant") continue;
    std::vector<ChatMessage> before(messages.begin(), messages.begin() + i);
    std::vector<ChatMessage> through(messages.begin(), messages.begin() + i + 1);
    const std::string start = chat_->render(before, open), end = chat_->render(through, closed);
    const size_t previous_end = spans.empty() ? 0 : spans.back().second;
    if (full.compare(0, start.size(), start) != 0 || full.compare(0, end.size(), end) != 0 ||
        start.size() > end.size() || start.size() < previous_end)
      fail(where, ": the chat template renders the conversation up to message ", i,
           " differently from the whole conversation, so its tokens cannot be masked (Qwen3 "
           "drops the reasoning of earlier assistant turns: split the conversation into one row "
           "per assistant turn; DeepSeek-R1-Distill drops it from every turn: set "
           "data.chat_template to a template that keeps it)");
    spans.emplace_back(start.size(), end.size());
  }

  SftExample ex;
  auto append = [&](size_t begin, size_t end, uint8_t target) {
    if (begin == end) return;
    for (int64_t id : tok_.encode(std::string_view(full).substr(begin, end - begin))) {
      ex.ids.push_back(id);
      ex.targets.push_back(target);
    }
  };
  size_t pos = 0;
  for (auto [begin, end] : spans) {
    append(pos, begin, 0);
    append(begin, end, 1);
    pos = end;
  }
  append(pos, full.size(), 0);
  if (!ex.targets.empty()) ex.targets[0] = 0;  // nothing predicts the first token
  if (ex.num_targets() == 0) fail(where, ": the assistant turns render to no tokens");
  return ex;
}

SftExample SftEncoder::encode_pair(const std::string& prompt, const std::string& completion,
                                   const std::string& where) const {
  const std::string text = format_.template_name == "r1_zero" ? render_r1_zero(prompt) : prompt;
  SftExample ex;
  // add_special_tokens: BOS for models whose post-processor adds one (Llama 3),
  // exactly as r1 train encodes prompts for generation.
  ex.ids = tok_.encode(text, /*add_special_tokens=*/true);
  ex.targets.assign(ex.ids.size(), 0);
  for (int64_t id : tok_.encode(completion)) ex.ids.push_back(id);
  ex.ids.push_back(tok_.special().eos_id);
  ex.targets.resize(ex.ids.size(), 1);
  ex.targets[0] = 0;  // nothing predicts the first token
  if (ex.num_targets() == 0) fail(where, ": nothing to train on (empty prompt and completion)");
  return ex;
}

SftData encode_dataset(const Dataset& data, const SftEncoder& encoder, int64_t max_length,
                       int threads) {
  const int64_t n = data.rows.size();
  std::vector<SftExample> all(n);
  std::vector<std::exception_ptr> errors(n);
  threads = std::max<int>(1, std::min<int64_t>(threads, n));
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (int64_t i = t; i < n; i += threads) {
        try {
          all[i] = encoder.encode(data.rows[i], data.where(i));
        } catch (...) {
          errors[i] = std::current_exception();
          return;
        }
      }
    });
  for (auto& th : pool) th.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);

  SftData out;
  for (auto& ex : all) {
    if (max_length > 0 && static_cast<int64_t>(ex.ids.size()) > max_length) {
      ++out.truncated;
      ex.ids.resize(max_length);
      ex.targets.resize(max_length);
      if (ex.num_targets() == 0) {
        ++out.dropped;
        continue;
      }
    }
    out.examples.push_back(std::move(ex));
  }
  return out;
}

std::vector<std::vector<int64_t>> plan_epoch(const std::vector<int64_t>& lengths,
                                             int64_t batch_size, int64_t length_window,
                                             bool shuffle, uint64_t seed, int64_t epoch) {
  const int64_t n = lengths.size();
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed + epoch);
  if (shuffle) std::shuffle(order.begin(), order.end(), rng);
  std::vector<std::vector<int64_t>> steps;
  const int64_t window = batch_size * length_window;
  for (int64_t w = 0; w < n; w += window) {
    auto begin = order.begin() + w, end = order.begin() + std::min(n, w + window);
    std::stable_sort(begin, end, [&](int64_t a, int64_t b) { return lengths[a] > lengths[b]; });
    const size_t first = steps.size();
    for (auto it = begin; it < end; it += std::min<int64_t>(batch_size, end - it))
      steps.emplace_back(it, it + std::min<int64_t>(batch_size, end - it));
    if (shuffle) std::shuffle(steps.begin() + first, steps.end(), rng);
  }
  return steps;
}

std::vector<std::vector<int64_t>> micro_batches(std::vector<int64_t> step,
                                                const std::vector<int64_t>& lengths,
                                                int64_t max_tokens) {
  std::stable_sort(step.begin(), step.end(),
                   [&](int64_t a, int64_t b) { return lengths[a] > lengths[b]; });
  std::vector<std::vector<int64_t>> out;
  for (int64_t i : step) {
    // Sorted longest first, so the batch's first row sets its padded length.
    if (out.empty() ||
        static_cast<int64_t>(out.back().size() + 1) * lengths[out.back()[0]] > max_tokens)
      out.emplace_back();
    out.back().push_back(i);
  }
  return out;
}

}  // namespace r1
