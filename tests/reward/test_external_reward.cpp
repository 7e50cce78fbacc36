// The external reward protocol against small sh/python3 scripts: scores come
// back in order, the process stays alive across batches, and a script that
// dies, hangs or answers garbage is a clear Error, never a silent 0.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "reward/external_reward.h"
#include "test_helpers.h"
#include "util/error.h"

namespace r1 {
namespace {

std::vector<RewardInput> batch_of(const std::vector<std::string>& completions) {
  std::vector<RewardInput> batch;
  for (const auto& c : completions) batch.push_back({"prompt", c, {{"answer", "42"}}});
  return batch;
}

std::string error_of(ExternalReward& reward, const std::vector<RewardInput>& batch) {
  try {
    reward.score(batch);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ExternalReward, ParsesScoreLines) {
  EXPECT_EQ(parse_external_score("0.5"), 0.5);
  EXPECT_EQ(parse_external_score(" -1e-3\r"), -1e-3);
  EXPECT_EQ(parse_external_score("{\"score\": 2}"), 2.0);
  EXPECT_THROW(parse_external_score("abc"), Error);
  EXPECT_THROW(parse_external_score("\"1\""), Error);
  EXPECT_THROW(parse_external_score("{\"value\": 1}"), Error);
  EXPECT_THROW(parse_external_score("NaN"), Error);
}

TEST(ExternalReward, ExampleLengthPenaltyScript) {
  RewardFn reward = make_external_reward(
      {{"command", cat("python3 ", R1_SOURCE_DIR,
                       "/examples/rewards/length_penalty.py --max-chars 100 --buffer 50")}});
  auto scores = reward(
      batch_of({"short", std::string(75, 'x'), std::string(100, 'x'), std::string(500, 'x')}));
  ASSERT_EQ(scores.size(), 4u);
  EXPECT_DOUBLE_EQ(scores[0], 0.0);
  EXPECT_DOUBLE_EQ(scores[1], -0.5);
  EXPECT_DOUBLE_EQ(scores[2], -1.0);
  EXPECT_DOUBLE_EQ(scores[3], -1.0);
}

TEST(ExternalReward, SeesRowFieldsAndStaysAliveAcrossBatches) {
  // Scores with a running counter: only one long-lived process continues it.
  test::TempDir dir;
  std::ofstream(dir.file("r.py"))
      << "import json, sys\n"
         "n = 0\n"
         "for line in sys.stdin:\n"
         "    row = json.loads(line)\n"
         "    n += 1\n"
         "    ok = row['completion'] == row['answer']\n"
         "    print(json.dumps({'score': n + (100 if ok else 0)}), flush=True)\n";
  ExternalReward reward({"python3 " + dir.file("r.py"), 10});
  EXPECT_EQ(reward.score(batch_of({"42", "7"})), (std::vector<double>{101, 2}));
  EXPECT_EQ(reward.score(batch_of({"1"})), (std::vector<double>{3}));
  EXPECT_TRUE(reward.score({}).empty());
}

TEST(ExternalReward, LargeBatchDoesNotDeadlock) {
  // Answers each line as it arrives, so its stdout fills while we still write.
  ExternalReward reward({"while read -r line; do echo 1; done", 30});
  std::vector<std::string> completions(3000, std::string(2000, 'y'));
  auto scores = reward.score(batch_of(completions));
  EXPECT_EQ(scores.size(), 3000u);
}

TEST(ExternalReward, DyingScriptIsAClearError) {
  ExternalReward reward({"read -r line; echo 0.5; exit 3", 10});
  std::string error = error_of(reward, batch_of({"a", "b"}));
  EXPECT_NE(error.find("exited with status 3 after 1 of 2 scores"), std::string::npos) << error;
  error = error_of(reward, batch_of({"a"}));
  EXPECT_NE(error.find("is stopped"), std::string::npos) << error;
}

TEST(ExternalReward, MalformedLineIsAClearError) {
  ExternalReward reward({"while read -r line; do echo 'score: high'; done", 10});
  std::string error = error_of(reward, batch_of({"a"}));
  EXPECT_NE(error.find("line 1 of its answer"), std::string::npos) << error;
  EXPECT_NE(error.find("score: high"), std::string::npos) << error;
}

TEST(ExternalReward, TooManyLinesIsAClearError) {
  // The extra line may arrive after the batch's answer is complete; it is
  // caught at the latest when the next batch starts.
  ExternalReward reward({"while read -r line; do echo 1; echo 2; done", 10});
  std::string error = error_of(reward, batch_of({"a"}));
  if (error == "(no error)") {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    error = error_of(reward, batch_of({"a"}));
  }
  EXPECT_NE(error.find("more lines than"), std::string::npos) << error;
}

TEST(ExternalReward, HangingScriptTimesOut) {
  ExternalReward reward({"sleep 1000", 0.5});
  std::string error = error_of(reward, batch_of({"a"}));
  EXPECT_NE(error.find("no answer within 0.5 s"), std::string::npos) << error;
}

TEST(ExternalReward, BadParamsAreErrors) {
  EXPECT_THROW(make_external_reward(nlohmann::json::object()), Error);
  EXPECT_THROW(make_external_reward({{"command", "true"}, {"timout", 1}}), Error);
}

}  // namespace
}  // namespace r1
