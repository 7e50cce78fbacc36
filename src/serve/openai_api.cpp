#include "serve/openai_api.h"

#include <algorithm>
#include <initializer_list>
#include <set>

#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"

namespace r1 {

nlohmann::json error_body(const std::string& message, const std::string& type,
                          const std::string& param, int code) {
  return {{"error",
           {{"message", message},
            {"type", type},
            {"param", param.empty() ? nlohmann::json(nullptr) : nlohmann::json(param)},
            {"code", code}}}};
}

namespace {

using Json = nlohmann::ordered_json;

[[noreturn]] void bad(const std::string& param, const std::string& message) {
  throw ApiError(400, message, param);
}

// The fields each endpoint takes; anything else is refused rather than
// silently ignored (a misspelt "max_token" would otherwise run with defaults).
// Both endpoints share the sampling fields.
std::set<std::string> sampling_fields_and(std::initializer_list<const char*> own) {
  std::set<std::string> fields = {"model",
                                  "max_tokens",
                                  "n",
                                  "temperature",
                                  "top_p",
                                  "top_k",
                                  "min_p",
                                  "repetition_penalty",
                                  "presence_penalty",
                                  "frequency_penalty",
                                  "stop",
                                  "seed",
                                  "stream",
                                  "stream_options",
                                  "logprobs",
                                  "user",
                                  "logit_bias",
                                  "include_stop_str_in_output"};
  fields.insert(own.begin(), own.end());
  return fields;
}
const std::set<std::string> kChatFields = sampling_fields_and(
    {"messages", "tools", "tool_choice", "parallel_tool_calls", "max_completion_tokens",
     "top_logprobs", "response_format", "chat_template_kwargs"});
const std::set<std::string> kCompletionFields =
    sampling_fields_and({"prompt", "echo", "suffix", "best_of"});

double number(const Json& body, const char* key, double lo, double hi, double fallback) {
  if (!body.contains(key) || body[key].is_null()) return fallback;
  if (!body[key].is_number()) bad(key, cat("'", key, "' must be a number"));
  const double v = body[key].get<double>();
  if (!(v >= lo && v <= hi)) bad(key, cat("'", key, "' must be in [", lo, ", ", hi, "], got ", v));
  return v;
}

int64_t integer(const Json& body, const char* key, int64_t lo, int64_t hi, int64_t fallback) {
  if (!body.contains(key) || body[key].is_null()) return fallback;
  if (!body[key].is_number_integer()) bad(key, cat("'", key, "' must be an integer"));
  const int64_t v = body[key].get<int64_t>();
  if (v < lo || v > hi) bad(key, cat("'", key, "' must be in [", lo, ", ", hi, "], got ", v));
  return v;
}

bool boolean(const Json& body, const char* key, bool fallback) {
  if (!body.contains(key) || body[key].is_null()) return fallback;
  if (!body[key].is_boolean()) bad(key, cat("'", key, "' must be true or false"));
  return body[key].get<bool>();
}

// A message's content: a string, null, or an array of {"type": "text"} parts
// (joined with newlines, as vLLM does for string-content templates).
Json message_content(const Json& content, size_t index) {
  const std::string param = cat("messages[", index, "].content");
  if (content.is_string() || content.is_null()) return content;
  if (!content.is_array()) bad(param, param + " must be a string or an array of text parts");
  std::string text;
  for (const auto& part : content) {
    if (!part.is_object() || part.value("type", "") != "text" || !part.contains("text") ||
        !part["text"].is_string())
      bad(param, param + ": only {\"type\": \"text\", \"text\": ...} parts are supported");
    if (!text.empty()) text += "\n";
    text += part["text"].get<std::string>();
  }
  return text;
}

std::string render_chat(const Json& body, const ChatTemplate* chat_template) {
  if (!chat_template)
    throw ApiError(400, "this model's tokenizer has no chat_template; use /v1/completions");
  if (!body.contains("messages")) bad("messages", "'messages' is required");
  const Json& given = body["messages"];
  if (!given.is_array() || given.empty()) bad("messages", "'messages' must be a non-empty array");
  Json messages = Json::array();
  for (size_t i = 0; i < given.size(); ++i) {
    const Json& m = given[i];
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string())
      bad("messages", cat("messages[", i, "] must be an object with a string 'role'"));
    Json copy = m;
    copy["content"] = message_content(m.contains("content") ? m["content"] : Json(), i);
    messages.push_back(std::move(copy));
  }
  const Json* tools = nullptr;
  if (body.contains("tools") && !body["tools"].is_null()) {
    if (!body["tools"].is_array()) bad("tools", "'tools' must be an array");
    tools = &body["tools"];
  }
  if (body.contains("tool_choice") && !body["tool_choice"].is_null()) {
    const Json& choice = body["tool_choice"];
    if (!choice.is_string() || (choice != "auto" && choice != "none"))
      bad("tool_choice",
          "'tool_choice' must be \"auto\" or \"none\" (the reply is text: r1 serve "
          "does not parse tool calls)");
    if (choice == "none") tools = nullptr;
  }
  ChatOptions options;
  if (body.contains("chat_template_kwargs") && !body["chat_template_kwargs"].is_null()) {
    const Json& kw = body["chat_template_kwargs"];
    if (!kw.is_object()) bad("chat_template_kwargs", "'chat_template_kwargs' must be an object");
    for (const auto& [key, value] : kw.items()) {
      if (key == "enable_thinking" && value.is_boolean())
        options.enable_thinking = value.get<bool>();
      else if (value.is_string())
        options.variables.emplace_back(key, value.get<std::string>());
      else
        bad("chat_template_kwargs",
            "chat_template_kwargs: '" + key + "' must be a string (enable_thinking: a boolean)");
    }
  }
  try {
    return chat_template->render_json(messages, options, tools);
  } catch (const Error& e) {
    bad("messages", cat("the chat template failed on these messages: ", e.what()));
  }
}

std::vector<int64_t> checked_ids(const Json& ids, const Tokenizer& tok) {
  std::vector<int64_t> out;
  for (const auto& id : ids) {
    if (!id.is_number_integer()) bad("prompt", "a token-id prompt must hold integers only");
    const int64_t v = id.get<int64_t>();
    if (v < 0 || v >= tok.vocab_size())
      bad("prompt", cat("token id ", v, " is outside the vocabulary of ", tok.vocab_size()));
    out.push_back(v);
  }
  return out;
}

// /v1/completions' "prompt": a string, an array of strings, an array of token
// ids, or an array of such arrays. Plain text gets the tokenizer's BOS, as
// `r1 generate --prompt` and vLLM do.
std::vector<std::vector<int64_t>> completion_prompts(const Json& body, const Tokenizer& tok) {
  if (!body.contains("prompt")) bad("prompt", "'prompt' is required");
  const Json& p = body["prompt"];
  std::vector<std::vector<int64_t>> out;
  if (p.is_string()) {
    out.push_back(tok.encode(p.get<std::string>(), true));
  } else if (p.is_array() && !p.empty() && p[0].is_number_integer()) {
    out.push_back(checked_ids(p, tok));
  } else if (p.is_array() && !p.empty()) {
    for (const auto& item : p) {
      if (item.is_string())
        out.push_back(tok.encode(item.get<std::string>(), true));
      else if (item.is_array())
        out.push_back(checked_ids(item, tok));
      else
        bad("prompt", "'prompt' must be a string, an array of strings or of token ids");
    }
  } else {
    bad("prompt", "'prompt' must be a non-empty string, array of strings or of token ids");
  }
  return out;
}

}  // namespace

ApiRequest parse_request(const std::string& body_text, bool chat, const Tokenizer& tok,
                         const ChatTemplate* chat_template, const ServeLimits& limits) {
  Json body;
  try {
    body = Json::parse(body_text);
  } catch (const nlohmann::json::parse_error& e) {
    bad("", cat("the request body is not valid JSON: ", e.what()));
  }
  if (!body.is_object()) bad("", "the request body must be a JSON object");
  const auto& known = chat ? kChatFields : kCompletionFields;
  for (const auto& [key, value] : body.items())
    if (!known.count(key)) bad(key, cat("unknown field '", key, "'"));

  ApiRequest r;
  r.chat = chat;
  if (body.contains("model") && !body["model"].is_null()) {
    if (!body["model"].is_string()) bad("model", "'model' must be a string");
    r.model = body["model"].get<std::string>();
    if (r.model != limits.model_name)
      throw ApiError(404,
                     cat("The model '", r.model, "' does not exist; this server has '",
                         limits.model_name, "'"),
                     "model", "model_not_found");
  } else {
    r.model = limits.model_name;
  }

  // Fields known to the API but not served: refused, never silently dropped.
  if (number(body, "frequency_penalty", -2, 2, 0) != 0)
    bad("frequency_penalty",
        "'frequency_penalty' is not supported (use presence_penalty or "
        "repetition_penalty)");
  if (body.contains("logit_bias") && !body["logit_bias"].is_null() &&
      !(body["logit_bias"].is_object() && body["logit_bias"].empty()))
    bad("logit_bias", "'logit_bias' is not supported");
  if (body.contains("response_format") && !body["response_format"].is_null() &&
      body["response_format"] != Json{{"type", "text"}})
    bad("response_format", "only response_format {\"type\": \"text\"} is supported");
  if (body.contains("user") && !body["user"].is_null() && !body["user"].is_string())
    bad("user", "'user' must be a string");
  boolean(body, "parallel_tool_calls", true);

  if (chat) {
    r.prompts.push_back(tok.encode(render_chat(body, chat_template), false));
    r.logprobs = boolean(body, "logprobs", false);
    if (integer(body, "top_logprobs", 0, 20, 0) != 0)
      bad("top_logprobs",
          "'top_logprobs' > 0 is not supported (the engine keeps the chosen "
          "token's log-prob only)");
  } else {
    r.prompts = completion_prompts(body, tok);
    if (static_cast<int64_t>(r.prompts.size()) > limits.max_prompts)
      bad("prompt", cat("at most ", limits.max_prompts, " prompts per request"));
    const int64_t lp = integer(body, "logprobs", 0, 5, -1);
    if (lp > 0)
      bad("logprobs",
          "'logprobs' > 0 is not supported (the engine keeps the chosen token's "
          "log-prob only: use logprobs: 0)");
    r.logprobs = lp == 0;
    if (boolean(body, "echo", false)) bad("echo", "'echo' is not supported");
    if (body.contains("suffix") && !body["suffix"].is_null())
      bad("suffix", "'suffix' is not supported");
    if (integer(body, "best_of", 1, 1, 1) != 1) bad("best_of", "'best_of' must be 1");
  }
  for (const auto& ids : r.prompts)
    if (ids.empty()) bad(chat ? "messages" : "prompt", "the prompt is empty");

  r.n = integer(body, "n", 1, limits.max_n, 1);
  SamplingParams& s = r.sampling;
  s.temperature = static_cast<float>(number(body, "temperature", 0, 2, 1));
  s.top_p = static_cast<float>(number(body, "top_p", 0, 1, 1));
  if (s.top_p <= 0) bad("top_p", "'top_p' must be > 0");
  s.top_k = integer(body, "top_k", -1, 1 << 30, 0);
  if (s.top_k < 0) s.top_k = 0;  // vLLM's -1: off
  s.min_p = static_cast<float>(number(body, "min_p", 0, 1, 0));
  if (s.min_p >= 1) bad("min_p", "'min_p' must be < 1");
  s.repetition_penalty = static_cast<float>(number(body, "repetition_penalty", 0, 10, 1));
  if (s.repetition_penalty <= 0) bad("repetition_penalty", "'repetition_penalty' must be > 0");
  s.presence_penalty = static_cast<float>(number(body, "presence_penalty", -2, 2, 0));

  if (body.contains("stop") && !body["stop"].is_null()) {
    const Json& stop = body["stop"];
    if (stop.is_string()) {
      r.stop.push_back(stop.get<std::string>());
    } else if (stop.is_array() && stop.size() <= 16) {
      for (const auto& x : stop) {
        if (!x.is_string()) bad("stop", "'stop' must be a string or an array of strings");
        r.stop.push_back(x.get<std::string>());
      }
    } else {
      bad("stop", "'stop' must be a string or an array of at most 16 strings");
    }
    for (const auto& x : r.stop)
      if (x.empty()) bad("stop", "a stop string is empty");
  }
  r.include_stop = boolean(body, "include_stop_str_in_output", false);
  if (body.contains("seed") && !body["seed"].is_null()) {
    if (!body["seed"].is_number_integer()) bad("seed", "'seed' must be an integer");
    r.seed = body["seed"].is_number_unsigned() ? body["seed"].get<uint64_t>()
                                               : static_cast<uint64_t>(body["seed"].get<int64_t>());
  }
  r.stream = boolean(body, "stream", false);
  if (body.contains("stream_options") && !body["stream_options"].is_null()) {
    const Json& so = body["stream_options"];
    if (!r.stream) bad("stream_options", "'stream_options' is only allowed with stream: true");
    if (!so.is_object()) bad("stream_options", "'stream_options' must be an object");
    for (const auto& [key, value] : so.items())
      if (key != "include_usage") bad("stream_options", "unknown field stream_options." + key);
    r.include_usage = boolean(so, "include_usage", false);
  }

  // Lengths: the longest prompt decides what room is left in the context.
  size_t longest = 0;
  for (const auto& ids : r.prompts) longest = std::max(longest, ids.size());
  const int64_t P = longest;
  if (P >= limits.context)
    bad(chat ? "messages" : "prompt",
        cat("This model's maximum context length is ", limits.context, " tokens; the prompt has ",
            P, " tokens, leaving no room to generate"));
  const int64_t room = std::min(limits.max_tokens, limits.context - P);
  const char* max_key =
      chat && body.contains("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
  const int64_t asked = integer(body, max_key, 1, 1LL << 40, 0);
  if (asked > limits.max_tokens)
    bad(max_key, cat("'", max_key, "' is ", asked, "; this server allows at most ",
                     limits.max_tokens, " (r1 serve --max-tokens)"));
  if (asked > limits.context - P)
    bad(max_key, cat("This model's maximum context length is ", limits.context,
                     " tokens. However, you requested ", P + asked, " tokens (", P,
                     " in the prompt, ", asked, " for the completion)"));
  // OpenAI's completions default to 16 tokens; a chat reply to all that is left.
  r.max_tokens = asked > 0 ? asked : chat ? room : std::min<int64_t>(16, room);
  return r;
}

bool same_sampling(const SamplingParams& a, const SamplingParams& b) {
  return a.temperature == b.temperature && a.top_p == b.top_p && a.top_k == b.top_k &&
         a.min_p == b.min_p && a.repetition_penalty == b.repetition_penalty &&
         a.presence_penalty == b.presence_penalty;
}

ReasoningSplit split_reasoning(const std::string& text) {
  static const std::string kStart = "<think>", kEnd = "</think>";
  std::string rest = text;
  const size_t start = rest.find(kStart);
  if (start != std::string::npos) rest = rest.substr(start + kStart.size());
  const size_t end = rest.find(kEnd);
  if (end == std::string::npos) return {rest, std::nullopt};
  std::string content = rest.substr(end + kEnd.size());
  return {rest.substr(0, end),
          content.empty() ? std::nullopt : std::optional<std::string>(std::move(content))};
}

StreamText::StreamText(std::vector<std::string> stops, std::vector<std::string> tags)
    : stops_(std::move(stops)), tags_(std::move(tags)) {}

size_t StreamText::safe_length(const std::string& text) {
  static const std::string kReplacement = "\xEF\xBF\xBD";
  size_t n = text.size();
  // A whole stop string never goes out: the engine cuts the text before it.
  for (const auto& s : stops_) n = std::min(n, text.find(s));
  while (n >= 3 && text.compare(n - 3, 3, kReplacement) == 0) n -= 3;
  // Hold the longest tail of text[0, n) that could still grow into one.
  auto hold = [&](const std::string& h) {
    for (size_t k = std::min(n, h.size() - 1); k > 0; --k)
      if (text.compare(n - k, k, h, 0, k) == 0) {
        n -= k;
        return;
      }
  };
  for (const auto& s : stops_) hold(s);
  for (const auto& t : tags_) hold(t);
  sent_ = std::max(sent_, n);
  return sent_;
}

nlohmann::json chat_logprob(const std::string& piece, float logprob) {
  std::vector<int> bytes(piece.begin(), piece.end());
  for (int& b : bytes) b &= 0xFF;
  return {{"token", piece},
          {"logprob", logprob},
          {"bytes", bytes},
          {"top_logprobs", nlohmann::json::array()}};
}

}  // namespace r1
