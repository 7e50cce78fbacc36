#include "serve/openai_routes.h"

#include <httplib.h>

#include <chrono>
#include <ctime>
#include <random>

#include "serve/engine_worker.h"
#include "serve/http_server.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"

namespace r1 {

namespace {

using Json = nlohmann::json;

int64_t now_seconds() {
  return static_cast<int64_t>(std::time(nullptr));
}

std::string random_id(const char* prefix) {
  static std::mutex mutex;
  static std::mt19937_64 rng{std::random_device{}()};
  std::lock_guard<std::mutex> lock(mutex);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(rng()));
  return std::string(prefix) + hex;
}

uint64_t random_seed() {
  static std::mutex mutex;
  static std::mt19937_64 rng{std::random_device{}()};
  std::lock_guard<std::mutex> lock(mutex);
  return rng();
}

void send_error(httplib::Response& res, int status, const std::string& message,
                const std::string& type = "invalid_request_error", const std::string& param = "") {
  res.status = status;
  res.set_content(error_body(message, type, param, status).dump(), "application/json");
}

void send_json(httplib::Response& res, const Json& body) {
  res.status = 200;
  res.set_content(body.dump(), "application/json");
}

// One choice of a response: sample `sample` of job `job`.
struct Choice {
  std::shared_ptr<Job> job;
  int64_t sample;
};

// Everything one API request shares between its jobs (one per prompt) and
// the HTTP thread answering it.
struct Call {
  ApiRequest api;
  std::string id, model;
  int64_t created;
  std::vector<std::shared_ptr<Job>> jobs;
  std::vector<Choice> choices;  // index = prompt * n + sample

  void cancel() {
    for (auto& job : jobs) job->cancelled = true;
  }
};

int64_t prompt_tokens(const Call& call) {
  int64_t total = 0;
  for (const auto& job : call.jobs) total += job->request.prompt.size() * job->request.n;
  return total;
}

class Routes {
 public:
  Routes(EngineWorker& engine, const Tokenizer& tok, const ChatTemplate* chat_template,
         const OpenAIOptions& options)
      : engine_(engine), tok_(tok), template_(chat_template), options_(options) {}

  void generate(const httplib::Request& req, httplib::Response& res, bool chat) {
    auto call = std::make_shared<Call>();
    call->api = parse_request(req.body, chat, tok_, template_, options_.limits);
    call->id = random_id(chat ? "chatcmpl-" : "cmpl-");
    call->model = call->api.model;
    call->created = now_seconds();
    const uint64_t seed = call->api.seed ? *call->api.seed : random_seed();
    for (size_t j = 0; j < call->api.prompts.size(); ++j) {
      auto job = std::make_shared<Job>();
      // Prompt j, sample i draws from sample_seed(seed + j, i), as in r1 generate --prompts.
      job->request = {call->api.prompts[j], call->api.n, seed + j, call->api.max_tokens,
                      call->api.stop};
      job->sampling = call->api.sampling;
      try {
        engine_.check(job->request);
      } catch (const Error& e) {
        throw ApiError(400, e.what(), chat ? "messages" : "prompt");
      }
      call->jobs.push_back(job);
      for (int64_t i = 0; i < call->api.n; ++i) call->choices.push_back({job, i});
    }
    for (auto& job : call->jobs) engine_.submit(job);
    if (call->api.stream)
      stream(call, res);
    else
      respond(*call, res);
  }

 private:
  EngineWorker& engine_;
  const Tokenizer& tok_;
  const ChatTemplate* template_;
  OpenAIOptions options_;

  std::string piece(int64_t id) const { return tok_.token_text(id); }

  // Waits for every sample, then answers with the whole response.
  void respond(const Call& call, httplib::Response& res) {
    for (const auto& job : call.jobs) {
      std::unique_lock<std::mutex> lock(job->mutex);
      job->changed.wait(lock, [&] { return job->complete(); });
      if (!job->error.empty()) return send_error(res, 500, job->error, "server_error");
    }
    Json choices = Json::array();
    int64_t completion_tokens = 0;
    for (size_t c = 0; c < call.choices.size(); ++c) {
      const Job::Sample& s = call.choices[c].job->samples[call.choices[c].sample];
      completion_tokens += s.tokens.size();
      choices.push_back(call.api.chat ? chat_choice(c, s, call.api.logprobs)
                                      : text_choice(c, s, call.api.logprobs));
    }
    const int64_t prompt = prompt_tokens(call);
    send_json(res, {{"id", call.id},
                    {"object", call.api.chat ? "chat.completion" : "text_completion"},
                    {"created", call.created},
                    {"model", call.model},
                    {"choices", choices},
                    {"usage",
                     {{"prompt_tokens", prompt},
                      {"completion_tokens", completion_tokens},
                      {"total_tokens", prompt + completion_tokens}}}});
  }

  Json chat_choice(size_t index, const Job::Sample& s, bool with_logprobs) const {
    Json message = {{"role", "assistant"}};
    if (options_.split_reasoning) {
      ReasoningSplit split = split_reasoning(s.result.text);
      message["reasoning_content"] = split.reasoning;
      message["content"] = split.content ? Json(*split.content) : Json(nullptr);
    } else {
      message["content"] = s.result.text;
    }
    Json logprobs = nullptr;
    if (with_logprobs) {
      logprobs = {{"content", Json::array()}};
      for (size_t t = 0; t < s.tokens.size(); ++t)
        logprobs["content"].push_back(chat_logprob(piece(s.tokens[t]), s.logprobs[t]));
    }
    return {{"index", index},
            {"message", message},
            {"logprobs", logprobs},
            {"finish_reason", finish_reason_name(s.result.finish)}};
  }

  Json text_choice(size_t index, const Job::Sample& s, bool with_logprobs) const {
    Json logprobs = nullptr;
    if (with_logprobs) {
      Json tokens = Json::array(), values = Json::array(), offsets = Json::array();
      size_t offset = 0;
      for (size_t t = 0; t < s.tokens.size(); ++t) {
        std::string p = piece(s.tokens[t]);
        tokens.push_back(p);
        values.push_back(s.logprobs[t]);
        offsets.push_back(offset);
        offset += p.size();
      }
      logprobs = {{"tokens", tokens}, {"token_logprobs", values}, {"text_offset", offsets}};
    }
    return {{"index", index},
            {"text", s.result.text},
            {"logprobs", logprobs},
            {"finish_reason", finish_reason_name(s.result.finish)}};
  }

  // What one streamed choice has sent so far.
  struct Sent {
    size_t tokens = 0;     // tokens whose log-probs went out
    size_t text = 0;       // bytes of the decoded text
    size_t reasoning = 0;  // bytes of reasoning_content / content (split_reasoning)
    size_t content = 0;
    bool finished = false;
    std::unique_ptr<StreamText> safe;
  };

  Json chunk(const Call& call, Json choices) const {
    Json c = {{"id", call.id},
              {"object", call.api.chat ? "chat.completion.chunk" : "text_completion"},
              {"created", call.created},
              {"model", call.model},
              {"choices", std::move(choices)}};
    if (call.api.include_usage) c["usage"] = nullptr;
    return c;
  }

  // Server-sent events: one chunk per choice as its tokens arrive, a last
  // chunk per choice with its finish_reason, the usage if asked, [DONE].
  void stream(const std::shared_ptr<Call>& call, httplib::Response& res) {
    std::vector<std::string> tags;
    if (options_.split_reasoning) tags = {"<think>", "</think>"};
    auto sent = std::make_shared<std::vector<Sent>>(call->choices.size());
    for (auto& s : *sent) s.safe = std::make_unique<StreamText>(call->api.stop, tags);
    auto started = std::make_shared<bool>(false);
    const bool logprobs = call->api.logprobs;
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider(
        "text/event-stream",
        [this, call, sent, started, logprobs](size_t, httplib::DataSink& sink) {
          auto write = [&](const Json& j) {
            const std::string event = "data: " + j.dump() + "\n\n";
            return sink.write(event.data(), event.size());
          };
          if (!*started) {
            *started = true;
            if (!call->api.chat) return true;
            Json choices = Json::array();
            for (size_t c = 0; c < call->choices.size(); ++c)
              choices.push_back({{"index", c},
                                 {"delta", {{"role", "assistant"}, {"content", ""}}},
                                 {"logprobs", nullptr},
                                 {"finish_reason", nullptr}});
            if (!write(chunk(*call, choices))) return fail_stream(*call);
            return true;
          }
          // Wait for news on any job of the call (the first unfinished one
          // is enough: the engine advances all rows of a wave together).
          std::vector<std::pair<std::vector<int64_t>, Job::Sample>> snapshot;
          bool all_done = true;
          std::string error;
          for (const auto& job : call->jobs) {
            // News: a token or a finished sample this stream has not sent.
            auto news = [&] {
              if (job->complete()) return true;
              for (size_t c = 0; c < call->choices.size(); ++c) {
                const Choice& ch = call->choices[c];
                const Job::Sample& s = job->samples[ch.sample];
                if (ch.job == job &&
                    (s.tokens.size() > (*sent)[c].tokens || s.done != (*sent)[c].finished))
                  return true;
              }
              return false;
            };
            std::unique_lock<std::mutex> lock(job->mutex);
            job->changed.wait_for(lock, std::chrono::milliseconds(200), news);
            if (!job->complete()) all_done = false;
            if (!job->error.empty()) error = job->error;
          }
          if (!error.empty()) {
            write(error_body(error, "server_error", "", 500));
            sink.done();
            return true;
          }
          for (size_t c = 0; c < call->choices.size(); ++c) {
            Json piece = advance(*call, c, (*sent)[c], logprobs);
            if (!piece.is_null() && !write(chunk(*call, Json::array({piece}))))
              return fail_stream(*call);
          }
          if (!all_done) return true;
          if (call->api.include_usage) {
            int64_t completion = 0;
            for (const Choice& ch : call->choices)
              completion += ch.job->samples[ch.sample].tokens.size();
            const int64_t prompt = prompt_tokens(*call);
            Json last = chunk(*call, Json::array());
            last["usage"] = {{"prompt_tokens", prompt},
                             {"completion_tokens", completion},
                             {"total_tokens", prompt + completion}};
            if (!write(last)) return fail_stream(*call);
          }
          const std::string done = "data: [DONE]\n\n";
          sink.write(done.data(), done.size());
          sink.done();
          return true;
        },
        [call](bool success) {
          // Also when the client went away mid-stream: its rows stop at the
          // engine's next step.
          call->cancel();
        });
  }

  static bool fail_stream(Call& call) {
    call.cancel();
    return false;
  }

  // The chunk choice carrying choice c's news since the last call, or null.
  Json advance(const Call& call, size_t c, Sent& sent, bool logprobs) const {
    if (sent.finished) return nullptr;
    const Choice& ch = call.choices[c];
    std::vector<int64_t> tokens;
    std::vector<float> lps;
    bool done;
    Completion result;
    {
      std::lock_guard<std::mutex> lock(ch.job->mutex);
      const Job::Sample& s = ch.job->samples[ch.sample];
      tokens = s.tokens;
      lps = s.logprobs;
      done = s.done;
      if (done) result = s.result;
    }
    if (tokens.size() == sent.tokens && !done) return nullptr;
    const std::string text = done ? result.text : tok_.decode(tokens, true);
    const size_t safe = done ? text.size() : sent.safe->safe_length(text);
    Json delta = Json::object();
    if (call.api.chat && options_.split_reasoning) {
      ReasoningSplit split = split_reasoning(text.substr(0, safe));
      const std::string content = split.content.value_or("");
      if (split.reasoning.size() > sent.reasoning)
        delta["reasoning_content"] = split.reasoning.substr(sent.reasoning);
      if (content.size() > sent.content) delta["content"] = content.substr(sent.content);
      sent.reasoning = std::max(sent.reasoning, split.reasoning.size());
      sent.content = std::max(sent.content, content.size());
    } else if (safe > sent.text) {
      delta[call.api.chat ? "content" : "text"] = text.substr(sent.text, safe - sent.text);
    }
    sent.text = std::max(sent.text, safe);
    Json lp = nullptr;
    if (logprobs && tokens.size() > sent.tokens) {
      if (call.api.chat) {
        lp = {{"content", Json::array()}};
        for (size_t t = sent.tokens; t < tokens.size(); ++t)
          lp["content"].push_back(chat_logprob(piece(tokens[t]), lps[t]));
      } else {
        lp = {{"tokens", Json::array()},
              {"token_logprobs", Json::array()},
              {"text_offset", Json::array()}};
        for (size_t t = sent.tokens; t < tokens.size(); ++t) {
          lp["tokens"].push_back(piece(tokens[t]));
          lp["token_logprobs"].push_back(lps[t]);
          lp["text_offset"].push_back(0);
        }
      }
    }
    const bool news = !delta.empty() || !lp.is_null() || done;
    sent.tokens = tokens.size();
    if (!news) return nullptr;
    sent.finished = done;
    Json out = {{"index", c},
                {"logprobs", lp},
                {"finish_reason", done ? Json(finish_reason_name(result.finish)) : Json(nullptr)}};
    if (call.api.chat)
      out["delta"] = delta;
    else
      out["text"] = delta.value("text", "");
    return out;
  }
};

}  // namespace

void add_openai_routes(HttpServer& server, EngineWorker& engine, const Tokenizer& tok,
                       const ChatTemplate* chat_template, const OpenAIOptions& options) {
  auto routes = std::make_shared<Routes>(engine, tok, chat_template, options);
  httplib::Server& s = server.routes();
  const std::string key = options.api_key;
  s.set_pre_routing_handler([key](const httplib::Request& req, httplib::Response& res) {
    if (key.empty() || req.path.rfind("/v1/", 0) != 0)
      return httplib::Server::HandlerResponse::Unhandled;
    if (req.get_header_value("Authorization") == "Bearer " + key)
      return httplib::Server::HandlerResponse::Unhandled;
    send_error(res, 401, "Incorrect API key provided (send it as 'Authorization: Bearer KEY')",
               "invalid_request_error");
    return httplib::Server::HandlerResponse::Handled;
  });
  auto guarded = [routes](bool chat) {
    return [routes, chat](const httplib::Request& req, httplib::Response& res) {
      try {
        routes->generate(req, res, chat);
      } catch (const ApiError& e) {
        send_error(res, e.status, e.what(), e.type, e.param);
      } catch (const Error& e) {
        send_error(res, 400, e.what());
      }
    };
  };
  s.Post("/v1/chat/completions", guarded(true));
  s.Post("/v1/completions", guarded(false));
  const OpenAIOptions o = options;
  s.Get("/v1/models", [o](const httplib::Request&, httplib::Response& res) {
    send_json(res, {{"object", "list"},
                    {"data",
                     {{{"id", o.limits.model_name},
                       {"object", "model"},
                       {"created", now_seconds()},
                       {"owned_by", "r1cpp"},
                       {"max_model_len", o.limits.context}}}}});
  });
  s.Get("/health", [&engine](const httplib::Request&, httplib::Response& res) {
    const auto load = engine.load();
    send_json(res, {{"status", "ok"},
                    {"running", load.running_jobs},
                    {"queued", load.queued_jobs},
                    {"aborted", load.aborted_samples}});
  });
  s.set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        send_error(res, res.status,
                   res.status == 404 ? "no route " + req.method + " " + req.path
                                     : cat("HTTP ", res.status));
        return httplib::Server::HandlerResponse::Handled;
      }));
  s.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "internal error";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        send_error(res, 500, what, "server_error");
      });
}

}  // namespace r1
