// Running one subcommand with r1's error convention, shared by the two r1
// binaries (main.cpp: r1, torch-free; main_torch.cpp: r1-torch).
#pragma once

#include "commands.h"

namespace r1 {

using CommandFn = int (*)(const Args&);

// Runs `run`; an r1::Error becomes one line "r1 NAME: error: ..." and exit
// code 1, any other exception "internal error" and 2.
int run_command(const char* name, CommandFn run, const Args& args);

}  // namespace r1
