// r1 score: per-token log-probs of given token ids, so anyone can compare r1cpp
// with another implementation from the shell. In: {"ids": [..]} per line.
// Out: {"logprobs": [..]} with log p(ids[t] | ids[<t]) for t = 1..n-1 (fp32).
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "args.h"
#include "commands.h"
#include "compute_flags.h"
#include "jsonl_filter.h"
#include "model/checkpoint.h"
#include "util/error.h"
#include "util/io.h"

namespace r1 {

namespace {

std::vector<int64_t> parse_ids(const nlohmann::json& j, const ModelConfig& c) {
  if (!j.contains("ids") || !j["ids"].is_array()) fail("expected an object with an \"ids\" array");
  std::vector<int64_t> ids;
  for (const auto& v : j["ids"]) {
    if (!v.is_number_integer()) fail("\"ids\" must hold integers");
    int64_t id = v.get<int64_t>();
    if (id < 0 || id >= c.vocab_size)
      fail("token id ", id, " is outside the vocabulary [0, ", c.vocab_size, ")");
    ids.push_back(id);
  }
  if (ids.size() < 2) fail("need at least 2 ids to score");
  if (static_cast<int64_t>(ids.size()) > c.max_position_embeddings)
    fail(ids.size(), " ids exceed the model context of ", c.max_position_embeddings);
  return ids;
}

nlohmann::json score_line(const Model& model, const std::vector<int64_t>& ids) {
  const int64_t T = static_cast<int64_t>(ids.size());
  const at::Device device = model.embed_tokens.device();
  auto input = at::tensor(ids, at::kLong).view({1, T}).to(device);
  auto positions = at::arange(T, at::TensorOptions(at::kLong).device(device)).view({1, T});
  auto hidden = forward_hidden(model, input, positions, at::Tensor());
  auto lp = token_logprobs(model, hidden.narrow(1, 0, T - 1), input.narrow(1, 1, T - 1));
  auto flat = lp.contiguous().view({-1}).to(at::kCPU, at::kFloat);
  return {{"logprobs", std::vector<float>(flat.data_ptr<float>(), flat.data_ptr<float>() + T - 1)}};
}

}  // namespace

int cmd_score(const Args& args) {
  ArgParser p(
      "r1 score --model DIR --in F.jsonl [--out F]",
      "For each input line {\"ids\": [...]}, write {\"logprobs\": [...]}: the log-probability\n"
      "of token t given the tokens before it, t = 1..n-1. A bad line gets\n"
      "{\"error\": ...} and processing continues (exit code 1 at the end).");
  p.add("--model", "DIR", "model directory", "", true);
  p.add("--in", "FILE", "input JSONL, - for stdin", "-");
  p.add("--out", "FILE", "output JSONL, - for stdout", "-");
  add_compute_flags(p);
  if (!p.parse(args)) return 0;

  at::NoGradGuard no_grad;
  Model model = load_model_with_flags(p.str("--model"), p);
  return filter_jsonl("score", p.str("--in"), p.str("--out"),
                      [&](const nlohmann::json& row, const std::string&) {
                        return score_line(model, parse_ids(row, model.config));
                      });
}

}  // namespace r1
