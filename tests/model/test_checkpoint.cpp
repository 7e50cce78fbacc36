// Loading and saving models in Hugging Face layout: round trips (single file,
// shards, bf16), and clear errors for missing/mismatched/unexpected tensors.
#include "model/checkpoint.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "../test_helpers.h"
#include "model/safetensors.h"
#include "model/train_checkpoint.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/io.h"

namespace r1 {
namespace {

using test::error_of;

std::string fixture(const std::string& name) {
  return std::string(R1_FIXTURES) + "/models/" + name;
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

TEST(Checkpoint, TheSameTensorInTwoShardsIsAnError) {
  // Was accepted, the last shard read winning.
  test::TempDir dir;
  std::filesystem::copy(fixture("llama3-rope"), dir.file("m"));
  const std::string first = dir.file("m/model-00001-of-00003.safetensors");
  const std::string second = dir.file("m/model-00002-of-00003.safetensors");
  auto a = load_safetensors(first);
  const auto b = load_safetensors(second);
  ASSERT_FALSE(b.empty());
  a[b.begin()->first] = b.begin()->second.clone();
  save_safetensors(first, a);
  const std::string msg = error_of([&] { load_model(dir.file("m"), at::kCPU); });
  EXPECT_NE(msg.find("tensor '" + b.begin()->first + "' is also in"), std::string::npos) << msg;
  EXPECT_NE(msg.find("model-0000"), std::string::npos) << msg;
}

TEST(Checkpoint, FifoWeightsAreAnErrorNotAHang) {
  test::TempDir dir;
  std::filesystem::copy(fixture("qwen2-gqa"), dir.file("m"));
  std::filesystem::remove(dir.file("m/model.safetensors"));
  ASSERT_EQ(::mkfifo(dir.file("m/model.safetensors").c_str(), 0600), 0);
  const std::string msg = error_of([&] { load_model(dir.file("m"), at::kCPU); });
  EXPECT_NE(msg.find("model.safetensors: is not a regular file"), std::string::npos) << msg;
}

}  // namespace
}  // namespace r1

namespace r1 {
namespace {

// A training checkpoint: bf16 published weights with one dtype in config.json
// (transformers 4 and 5 read different keys), exact fp32 master weights to
// resume from, resume state only in the newest checkpoint, save_total_limit.
TEST(TrainCheckpoint, PublishesBf16ResumesFp32AndPrunes) {
  test::TempDir dir;
  Model model = init_model(default_config("qwen2"), 5);
  CheckpointPolicy policy;  // bfloat16, keep every checkpoint
  policy.save_total_limit = 2;
  for (int64_t step : {1, 2, 3}) {
    CheckpointContents contents;
    contents.trainer_state = {{"step", step}};
    contents.write_resume = [&](const std::string& resume) {
      write_file_atomic(resume + "/optimizer.pt", "state " + std::to_string(step));
    };
    save_checkpoint(model, dir.path, step, policy, contents);
  }
  const std::string newest = dir.file("checkpoints/step-3");
  EXPECT_FALSE(is_directory(dir.file("checkpoints/step-1"))) << "beyond save_total_limit";
  EXPECT_TRUE(file_exists(dir.file("checkpoints/step-2/model.safetensors")));
  EXPECT_FALSE(is_directory(dir.file("checkpoints/step-2/resume"))) << "older: no resume state";
  EXPECT_EQ(read_file(resume_file(newest, "optimizer.pt")), "state 3");
  EXPECT_NE(error_of([&] {
              resume_file(dir.file("checkpoints/step-2"), "optimizer.pt");
            }).find("keep_resume_state"),
            std::string::npos);

  auto config = nlohmann::json::parse(read_file(newest + "/config.json"));
  EXPECT_EQ(config["torch_dtype"], "bfloat16");
  EXPECT_EQ(config["dtype"], "bfloat16");
  EXPECT_EQ(SafetensorsFile(newest + "/model.safetensors").get("model.norm.weight").dtype,
            DType::BF16);
  Model published = load_model(newest, at::kCPU), resumed = load_resume_model(newest, at::kCPU);
  EXPECT_FALSE(published.embed_tokens.equal(model.embed_tokens)) << "published weights are rounded";
  EXPECT_TRUE(resumed.embed_tokens.equal(model.embed_tokens)) << "resume state is exact";
  EXPECT_TRUE(resumed.layers[0].down_proj.equal(model.layers[0].down_proj));

  policy.keep_resume_state = "all";
  policy.save_total_limit = 0;
  CheckpointContents contents;
  contents.trainer_state = {{"step", 4}};
  save_checkpoint(model, dir.path, 4, policy, contents);
  EXPECT_TRUE(file_exists(newest + "/resume/master.safetensors")) << "keep_resume_state = all";
  policy.save_dtype = "float64";
  EXPECT_NE(error_of([&] { policy.validate(); }).find("train.save_dtype"), std::string::npos);
}

// A kill inside publish_dir_atomic leaves a staging directory (removed on the
// next start) or the previous copy moved aside (moved back if it is the only one).
TEST(TrainCheckpoint, StaleStagingIsCleanedUpOnStart) {
  test::TempDir dir;
  make_dirs(dir.file("c/step-4.tmp-123"));
  make_dirs(dir.file("c/step-2.old-77"));
  write_file_atomic(dir.file("c/step-2.old-77/trainer_state.json"), "{}");
  make_dirs(dir.file("c/step-3"));
  make_dirs(dir.file("c/step-3.old-9"));
  make_dirs(dir.file("c/step-5.tmp-x"));  // not ours: left alone
  remove_stale_staging(dir.file("c"));
  EXPECT_FALSE(is_directory(dir.file("c/step-4.tmp-123")));
  EXPECT_TRUE(file_exists(dir.file("c/step-2/trainer_state.json")));
  EXPECT_FALSE(is_directory(dir.file("c/step-3.old-9")));
  EXPECT_TRUE(is_directory(dir.file("c/step-3")));
  EXPECT_TRUE(is_directory(dir.file("c/step-5.tmp-x")));
}

}  // namespace
}  // namespace r1
