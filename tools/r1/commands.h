// Every r1 subcommand: one small file each (cmd_*.cpp), listed in main.cpp.
#pragma once

#include <string>
#include <vector>

namespace r1 {

using Args = std::vector<std::string>;

int cmd_init(const Args& args);
int cmd_info(const Args& args);
int cmd_score(const Args& args);
int cmd_tokenize(const Args& args);
int cmd_tokenizer(const Args& args);
int cmd_generate(const Args& args);
int cmd_train(const Args& args);
int cmd_sft(const Args& args);
int cmd_verify(const Args& args);
int cmd_data(const Args& args);
int cmd_eval(const Args& args);
int cmd_sample(const Args& args);
int cmd_pipeline(const Args& args);
int cmd_plot(const Args& args);
int cmd_serve(const Args& args);
int cmd_dashboard(const Args& args);
int cmd_launch(const Args& args);

}  // namespace r1
