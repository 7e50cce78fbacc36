// Loading and saving models in Hugging Face layout: round trips (single file,
// shards, bf16), and clear errors for missing/mismatched/unexpected tensors.
#include "model/checkpoint.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "../test_helpers.h"
#include "model/safetensors.h"
#include "util/error.h"
#include "util/io.h"

namespace r1 {
namespace {

std::string fixture(const std::string& name) {
  return std::string(R1_FIXTURES) + "/models/" + name;
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

at::Tensor logits_of(const Model& m, const at::Tensor& ids) {
  at::NoGradGuard no_grad;
  auto pos = at::arange(ids.size(1), at::kLong).expand_as(ids);
  return lm_logits(m, forward_hidden(m, ids, pos, {}));
}

TEST(Checkpoint, SaveThenLoadGivesIdenticalLogits) {
  test::TempDir dir;
  Model model = load_model(fixture("qwen3-qknorm"), at::kCPU);
  SaveOptions opts;
  opts.copy_from_dir = fixture("qwen3-qknorm");
  save_model(model, dir.file("m"), opts);
  EXPECT_TRUE(file_exists(dir.file("m/config.json")));
  EXPECT_TRUE(file_exists(dir.file("m/generation_config.json")));
  EXPECT_FALSE(SafetensorsFile(dir.file("m/model.safetensors")).has("lm_head.weight"))
      << "tied lm_head is not saved, as transformers does";
  Model back = load_model(dir.file("m"), at::kCPU);
  auto ids = at::randint(model.config.vocab_size, {2, 7}, at::kLong);
  EXPECT_TRUE(logits_of(model, ids).equal(logits_of(back, ids)));
}

TEST(Checkpoint, ShardedSaveAndLoad) {
  test::TempDir dir;
  Model model = load_model(fixture("llama3-rope"), at::kCPU);  // itself sharded by transformers
  SaveOptions opts;
  opts.max_shard_bytes = 30000;
  save_model(model, dir.file("m"), opts);
  EXPECT_TRUE(file_exists(dir.file("m/model.safetensors.index.json")));
  EXPECT_FALSE(file_exists(dir.file("m/model.safetensors")));
  Model back = load_model(dir.file("m"), at::kCPU);
  auto ids = at::randint(model.config.vocab_size, {1, 9}, at::kLong);
  EXPECT_TRUE(logits_of(model, ids).equal(logits_of(back, ids)));
}

TEST(Checkpoint, Bfloat16SaveRoundsWeightsOnly) {
  test::TempDir dir;
  Model model = load_model(fixture("qwen2-gqa"), at::kCPU);
  SaveOptions opts;
  opts.dtype = "bfloat16";
  save_model(model, dir.file("m"), opts);
  EXPECT_EQ(SafetensorsFile(dir.file("m/model.safetensors")).get("model.norm.weight").dtype,
            DType::BF16);
  Model back = load_model(dir.file("m"), at::kCPU);
  EXPECT_EQ(back.config.torch_dtype, "bfloat16");
  EXPECT_TRUE(back.norm.allclose(model.norm, 0, 1e-2));
}

TEST(Checkpoint, OverwritingAModelIsAtomicAndLeavesNoTempFiles) {
  test::TempDir dir;
  Model a = init_model(default_config("qwen2"), 1), b = init_model(default_config("qwen2"), 2);
  save_model(a, dir.file("m"), {});
  save_model(b, dir.file("m"), {});
  Model back = load_model(dir.file("m"), at::kCPU);
  EXPECT_TRUE(back.embed_tokens.equal(b.embed_tokens));
  int entries = 0;
  for (auto& e : std::filesystem::directory_iterator(dir.path))
    entries += e.path().filename() != "m";
  EXPECT_EQ(entries, 0) << "staging or old directories left behind";
}

TEST(Checkpoint, MissingTensorIsNamed) {
  test::TempDir dir;
  std::filesystem::copy(fixture("qwen2-gqa"), dir.file("m"));
  auto tensors = load_safetensors(dir.file("m/model.safetensors"));
  tensors.erase("model.layers.1.mlp.up_proj.weight");
  save_safetensors(dir.file("m/model.safetensors"), tensors);
  std::string msg = error_of([&] { load_model(dir.file("m"), at::kCPU); });
  EXPECT_NE(msg.find("missing tensor 'model.layers.1.mlp.up_proj.weight'"), std::string::npos)
      << msg;
}

TEST(Checkpoint, WrongShapeAndUnexpectedTensorsAreNamed) {
  test::TempDir dir;
  std::filesystem::copy(fixture("qwen2-gqa"), dir.file("m"));
  auto tensors = load_safetensors(dir.file("m/model.safetensors"));
  tensors["model.norm.weight"] = at::ones({31});
  save_safetensors(dir.file("m/model.safetensors"), tensors);
  std::string msg = error_of([&] { load_model(dir.file("m"), at::kCPU); });
  EXPECT_NE(msg.find("'model.norm.weight' has shape [31]"), std::string::npos) << msg;

  tensors["model.norm.weight"] = at::ones({32});
  tensors["model.layers.0.mlp.experts.0.weight"] = at::ones({2});
  save_safetensors(dir.file("m/model.safetensors"), tensors);
  msg = error_of([&] { load_model(dir.file("m"), at::kCPU); });
  EXPECT_NE(msg.find("unexpected tensor 'model.layers.0.mlp.experts.0.weight'"), std::string::npos)
      << msg;
}

TEST(Checkpoint, TruncatedWeightsAndMissingFilesAreClearErrors) {
  test::TempDir dir;
  std::filesystem::copy(fixture("qwen2-gqa"), dir.file("m"));
  std::filesystem::resize_file(dir.file("m/model.safetensors"), 5000);
  std::string msg = error_of([&] { load_model(dir.file("m"), at::kCPU); });
  EXPECT_NE(msg.find("model.safetensors"), std::string::npos) << msg;

  std::filesystem::remove(dir.file("m/model.safetensors"));
  msg = error_of([&] { load_model(dir.file("m"), at::kCPU); });
  EXPECT_NE(msg.find("no model.safetensors"), std::string::npos) << msg;
  msg = error_of([&] { load_model(dir.file("nope"), at::kCPU); });
  EXPECT_NE(msg.find("not a model directory"), std::string::npos) << msg;
}

}  // namespace
}  // namespace r1
