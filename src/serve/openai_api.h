// The OpenAI API as r1 serve speaks it, without the HTTP or the engine:
// request bodies of /v1/chat/completions and /v1/completions checked and
// turned into token ids and sampling settings (an ApiError with the HTTP
// status for anything the server refuses), the response and stream chunk
// bodies, and the text a stream may send so far. Torch-free, so the parsing of
// untrusted input also runs under AddressSanitizer.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/sampler.h"

namespace r1 {

class Tokenizer;
class ChatTemplate;

// A refusal with its HTTP status; `param` names the offending field ("" if none).
struct ApiError : std::runtime_error {
  ApiError(int status, const std::string& message, std::string param = "",
           std::string type = "invalid_request_error")
      : std::runtime_error(message),
        status(status),
        param(std::move(param)),
        type(std::move(type)) {}
  int status;
  std::string param, type;
};

// {"error": {"message", "type", "param", "code"}}: OpenAI's error body.
nlohmann::json error_body(const std::string& message, const std::string& type,
                          const std::string& param, int code);

// What a request may ask of this server.
struct ServeLimits {
  std::string model_name;     // the one id /v1/models lists
  int64_t context = 0;        // the model's max_position_embeddings
  int64_t max_tokens = 1024;  // most new tokens one sample may ask for
  int64_t max_n = 64;         // most samples per prompt
  int64_t max_prompts = 64;   // most prompts in one /v1/completions request
};

// One API request, ready for the engine.
struct ApiRequest {
  bool chat = true;                           // /v1/chat/completions (else /v1/completions)
  std::string model;                          // as the client named it
  std::vector<std::vector<int64_t>> prompts;  // token ids, one per prompt (chat: one)
  int64_t n = 1;
  // temperature, top_p, top_k, min_p, repetition and presence penalties;
  // max_new_tokens and the stop fields are the per-request ones below.
  SamplingParams sampling;
  int64_t max_tokens = 0;  // per sample (already checked against the context)
  std::vector<std::string> stop;
  bool include_stop = false;  // vLLM's include_stop_str_in_output
  std::optional<uint64_t> seed;
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  bool logprobs = false;
};

// Parses and checks a request body (`chat`: a chat completion). Throws
// ApiError: 400 for bad JSON, unknown or mistyped fields, values out of range
// and prompts past the context; 404 for another model name.
ApiRequest parse_request(const std::string& body, bool chat, const Tokenizer& tok,
                         const ChatTemplate* chat_template, const ServeLimits& limits);

// Sampling settings that must match for requests to share a batch (the
// engine samples a whole wave with one SamplingParams).
bool same_sampling(const SamplingParams& a, const SamplingParams& b);

// vLLM's deepseek_r1 reasoning parser: text up to `</think>` is the reasoning
// (a leading `<think>` dropped), the rest the content; no `</think>` yet means
// it is all reasoning and there is no content.
struct ReasoningSplit {
  std::string reasoning;
  std::optional<std::string> content;
};
ReasoningSplit split_reasoning(const std::string& text);

// The part of a sample's growing text that a stream may send: it holds back a
// tail that could still become a stop string (or a think tag, when the
// reasoning is split) and an incomplete UTF-8 character (decoded as U+FFFD),
// so what was sent stays a prefix of the final, cut text.
class StreamText {
 public:
  // `stops`: the request's stop strings; `tags`: strings that must arrive
  // whole (<think>, </think> when the reasoning is split).
  StreamText(std::vector<std::string> stops, std::vector<std::string> tags);
  // `text` is the whole decoded output so far; returns how many leading bytes
  // may be sent (never fewer than a previous call's).
  size_t safe_length(const std::string& text);

 private:
  std::vector<std::string> stops_, tags_;
  size_t sent_ = 0;
};

// One entry of choices[].logprobs.content (chat) for a token whose text is `piece`.
nlohmann::json chat_logprob(const std::string& piece, float logprob);

}  // namespace r1
