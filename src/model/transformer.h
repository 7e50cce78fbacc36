// The decoder-only transformer shared by Qwen2/2.5, Qwen3 and Llama 3: token
// embedding, N x [RMSNorm -> GQA attention with RoPE -> residual, RMSNorm ->
// SwiGLU MLP -> residual], final RMSNorm, LM head. Weights are a plain struct of
// tensors named after the Hugging Face checkpoint keys, so loading is a lookup.
// The model holds weights and shapes only: no sampling, no optimiser, no RL.
//
// B = batch, T = new tokens, S = keys attended (past + new), C = hidden,
// H = query heads, K = KV heads, G = H / K, D = head dim, F = FFN, V = vocab.
#pragma once

#include <ATen/core/Tensor.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "model/config.h"
#include "model/decode_attention.h"

namespace r1 {

struct LayerWeights {
  at::Tensor input_layernorm;           // (C)
  at::Tensor q_proj, q_bias;            // (H*D, C), (H*D) if attention_bias
  at::Tensor k_proj, k_bias;            // (K*D, C), (K*D)
  at::Tensor v_proj, v_bias;            // (K*D, C), (K*D)
  at::Tensor o_proj;                    // (C, H*D)
  at::Tensor q_norm, k_norm;            // (D) each, Qwen3 only
  at::Tensor post_attention_layernorm;  // (C)
  at::Tensor gate_proj, up_proj;        // (F, C)
  at::Tensor down_proj;                 // (C, F)
};

struct Model {
  ModelConfig config;
  at::Tensor embed_tokens;  // (V, C)
  std::vector<LayerWeights> layers;
  at::Tensor norm;           // (C)
  at::Tensor lm_head;        // (V, C); the same tensor as embed_tokens when tied
  at::Tensor rope_inv_freq;  // (D/2) fp32, a buffer derived from the config
  double rope_scale = 1.0;   // YaRN's factor on cos and sin (1 for other RoPE types)

  // Every trainable tensor with its Hugging Face key. A tied lm_head is not
  // listed (it is embed_tokens), exactly as transformers saves it.
  std::vector<std::pair<std::string, at::Tensor*>> named_parameters();
  std::vector<at::Tensor> parameters();
};

enum class ParamKind { kWeight, kBias, kNorm };
using TensorFactory = std::function<at::Tensor(std::vector<int64_t> shape, ParamKind kind)>;

// Builds the weight layout the config implies, each slot made by `make`
// (random init, or shape-only placeholders the loader fills).
Model allocate_model(const ModelConfig& config, const TensorFactory& make);

// Allocates a model with N(0, initializer_range) weights, zero biases and unit
// norms, reproducibly from `seed` (Hugging Face's init scheme).
Model init_model(const ModelConfig& config, uint64_t seed);

// Recomputes derived buffers (RoPE frequencies) and re-ties lm_head; call after
// filling the weight slots by hand (the loader does).
void finalize_model(Model& model);

void model_to_device(Model& model, const at::Device& device);

// The dtype of the residual stream, the KV cache and every op that is not a
// matrix product with a weight: fp32 (fp64 for a fp64 model, as gradient
// checks use). bf16 weights keep fp32 activations (train_ops.h plain_linear).
at::ScalarType activation_dtype(const Model& model);

// RoPE positions for a (B, T) 0/1 attention mask: left padding does not shift
// positions, so a padded row sees the same positions as the unpadded sequence.
at::Tensor positions_from_mask(const at::Tensor& mask);  // (B, T) int64

// Keys and values of tokens already processed, one (B, K, capacity, D) tensor
// per layer; forward_hidden appends the new tokens' at column `length`. The
// rollout engine allocates, shares and compacts it; the model only reads and
// writes it. Used without autograd (generation), never for training.
struct KVCache {
  std::vector<at::Tensor> keys, values;
  int64_t length = 0;  // columns filled (the same for every row; padding is masked)
  // Empty, or one per row: leading columns that hold the same keys and values
  // as another row's (model/decode_attention.h), for a decode step to read there.
  std::vector<SharedColumns> shared;
};

// Allocates an empty cache for `batch` rows and `capacity` tokens.
KVCache make_kv_cache(const Model& model, int64_t batch, int64_t capacity);

// Hidden states after the final norm, (B, T, C). `key_mask` marks real tokens
// (1) and padding (0) over every key the new tokens attend to: (B, T) without a
// cache, (B, cache->length + T) with one; undefined means no padding.
at::Tensor forward_hidden(const Model& model, const at::Tensor& ids, const at::Tensor& positions,
                          const at::Tensor& key_mask, KVCache* cache = nullptr);

// Full logits (B, T, V).
at::Tensor lm_logits(const Model& model, const at::Tensor& hidden);

// log p(targets[b, t] | ...) from hidden states (B, T, C) -> (B, T), computed in
// row chunks so the (B, T, V) logits are never all alive at once. If `entropy`
// is given it receives the entropy of each position's distribution, (B, T).
at::Tensor token_logprobs(const Model& model, const at::Tensor& hidden, const at::Tensor& targets,
                          at::Tensor* entropy = nullptr);

}  // namespace r1
