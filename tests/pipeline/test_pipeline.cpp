// r1 pipeline files: references resolve to earlier stages and inputs, and
// every kind of bad file (unknown kind, unknown reference, cycle, later
// stage, duplicate name, a typo in a stage's config) is an error naming the
// file and the stage before anything runs. The end-to-end run and the
// skip-on-rerun check are tests/pipeline/pipeline_cli_test.sh.
#include <gtest/gtest.h>

#include <fstream>

#include "../test_helpers.h"
#include "pipeline/pipeline.h"
#include "util/error.h"
#include "util/io.h"

namespace r1 {
namespace {

void expect_error(const std::function<void()>& fn, const std::string& needle) {
  try {
    fn();
    ADD_FAILURE() << "no error; expected one containing: " << needle;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

const char* kHead = R"(
[pipeline]
dir = "out"
[inputs]
base = "models/base"
data = "data/train.jsonl"
)";

// An sft stage NAME on model/data given as references.
std::string sft_stage(const std::string& name, const std::string& model, const std::string& data,
                      const std::string& kind = "sft") {
  return "[[stage]]\nname = \"" + name + "\"\nkind = \"" + kind +
         "\"\nset = [\"model.path=" + model + "\", \"data.path=" + data + "\"]\n";
}

struct PipelineFile {
  test::TempDir dir;
  std::string path;
  explicit PipelineFile(const std::string& body) : path(dir.file("p.toml")) {
    std::ofstream(path) << kHead << body;
  }
};

TEST(Pipeline, LoadsStagesReferencesAndOverrides) {
  PipelineFile f(sft_stage("cold", "@base", "@data") + sft_stage("rl", "@cold", "@data") +
                 "[[stage]]\nname = \"rs\"\nkind = \"sample\"\n"
                 "[stage.config.model]\npath = \"@rl\"\n[stage.config.data]\npath = \"@data\"\n"
                 "[[stage.config.rewards]]\nname = \"arithmetic\"\n" +
                 sft_stage("sft2", "@base", "@rs"));
  Pipeline p = load_pipeline(
      f.path, {"cold.train.epochs=3", "inputs.base=other/base", "pipeline.dir=elsewhere"});
  ASSERT_EQ(p.stages.size(), 4u);
  EXPECT_EQ(p.dir, "elsewhere");
  EXPECT_EQ(p.inputs.at("base"), "other/base");
  EXPECT_EQ(p.stages[0].overrides.back(), "train.epochs=3");
  EXPECT_TRUE(p.stages[0].uses.empty());
  EXPECT_EQ(p.stages[1].uses, std::vector<std::string>{"cold"});
  EXPECT_EQ(p.stages[2].uses, std::vector<std::string>{"rl"});
  EXPECT_EQ(p.stages[3].uses, std::vector<std::string>{"rs"});
}

TEST(Pipeline, BadFilesNameTheFileAndTheStage) {
  {
    PipelineFile f(sft_stage("a", "@base", "@data", "rlhf"));
    expect_error([&] { load_pipeline(f.path, {}); },
                 "p.toml: stage 'a': unknown kind 'rlhf' (known: sft, train, sample, eval)");
  }
  {
    PipelineFile f(sft_stage("a", "@base", "@data") + sft_stage("b", "@cold_start", "@data"));
    expect_error([&] { load_pipeline(f.path, {}); },
                 "p.toml: stage 'b': unknown reference '@cold_start' (stages and inputs: a, b, "
                 "base, data)");
  }
  {
    PipelineFile f(sft_stage("a", "@b", "@data") + sft_stage("b", "@a", "@data"));
    expect_error([&] { load_pipeline(f.path, {}); },
                 "p.toml: stage 'a': reference cycle a -> b -> a");
  }
  {
    PipelineFile f(sft_stage("a", "@a", "@data"));
    expect_error([&] { load_pipeline(f.path, {}); }, "stage 'a': reference cycle a -> a");
  }
  {
    PipelineFile f(sft_stage("a", "@b", "@data") + sft_stage("b", "@base", "@data"));
    expect_error([&] { load_pipeline(f.path, {}); },
                 "p.toml: stage 'a' uses '@b', which comes later; stages run in file order");
  }
  {
    PipelineFile f(sft_stage("a", "@base", "@data") + sft_stage("a", "@base", "@data"));
    expect_error([&] { load_pipeline(f.path, {}); }, "stage 'a': the name is used twice");
  }
  {
    // A typo in the last stage fails before the first one would run.
    PipelineFile f(sft_stage("a", "@base", "@data") +
                   "[[stage]]\nname = \"b\"\nkind = \"train\"\nset = [\"optim.lrr=1\"]\n");
    expect_error([&] { load_pipeline(f.path, {}); },
                 "p.toml: stage 'b' (train): --set: unknown key 'optim.lrr'");
  }
  {
    PipelineFile f(
        "[[stage]]\nname = \"e\"\nkind = \"eval\"\n"
        "[stage.config.model]\npath = \"@base\"\n");
    expect_error([&] { load_pipeline(f.path, {}); }, "stage 'e' (eval): data.path is required");
  }
  {
    PipelineFile f("[[stage]]\nname = \"s\"\nkind = \"sft\"\nconfig = \"missing.toml\"\n");
    expect_error([&] { load_pipeline(f.path, {}); },
                 "stage 's': config file 'missing.toml' not found");
  }
  {
    PipelineFile f(sft_stage("a", "@base", "@data"));
    expect_error([&] { load_pipeline(f.path, {"b.train.epochs=1"}); }, "has no stage 'b'");
  }
  {
    // An unknown reward in a later stage: found before anything runs.
    PipelineFile f(sft_stage("a", "@base", "@data") +
                   "[[stage]]\nname = \"rs\"\nkind = \"sample\"\nset = [\"model.path=@a\", "
                   "\"data.path=@data\"]\n[[stage.config.rewards]]\nname = \"acuracy\"\n");
    expect_error([&] { load_pipeline(f.path, {}); },
                 "p.toml: stage 'rs' (sample): unknown reward 'acuracy' (known: math");
  }
  {
    PipelineFile f("[[stage]]\nname = \"a\"\nkind = \"sft\"\nconfg = \"x.toml\"\n");
    expect_error([&] { load_pipeline(f.path, {}); }, "stage 'a': unknown key 'confg'");
  }
}

}  // namespace
}  // namespace r1
