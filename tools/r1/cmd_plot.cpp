// r1 plot: the curves of a GRPO run (issue 8 item 4) as one PNG, drawn by
// gnuplot from the run's metrics.jsonl: reward, training and held-out
// accuracy, mean response length and the fraction of completions that think,
// each against the step. gnuplot reads the numbers from an inline data block,
// so nothing but the PNG is written.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "args.h"
#include "commands.h"
#include "util/error.h"
#include "util/io.h"

namespace r1 {
namespace {

// The columns of the data block, after the step.
enum Column { kReward, kAccuracy, kEvalAccuracy, kLength, kThink, kColumns };

struct Series {
  std::string data;              // "step v1 v2 ..." per line, NaN where a line lacks a value
  bool has[kColumns] = {false};  // a column with no value at all gets an empty panel
};

// One row per step. A value a line lacks (eval_accuracy between evaluations,
// metrics of older runs) is "NaN", which gnuplot skips; "set datafile missing"
// keeps the held-out curve connected across those gaps.
Series read_series(const std::string& metrics_path) {
  Series series;
  std::ostringstream out;
  auto in = open_input(metrics_path);
  int64_t rows = 0;
  for_each_line(*in, [&](int64_t number, const std::string& line) {
    nlohmann::json m;
    try {
      m = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception&) {
      fail(metrics_path, ":", number, ": not valid JSON");
    }
    if (!m.is_object() || !m.contains("step") || !m["step"].is_number())
      fail(metrics_path, ":", number, ": expected an object with a numeric \"step\"");
    const nlohmann::json none;
    const nlohmann::json values[kColumns] = {
        m.value("reward", none), m.value("accuracy", none), m.value("eval_accuracy", none),
        m.contains("completion_length") ? m["completion_length"].value("mean", none) : none,
        m.value("think_fraction", none)};
    out << m["step"].get<int64_t>();
    for (int c = 0; c < kColumns; ++c) {
      series.has[c] |= values[c].is_number();
      out << ' ' << (values[c].is_number() ? std::to_string(values[c].get<double>()) : "NaN");
    }
    out << '\n';
    ++rows;
  });
  if (rows == 0) fail(metrics_path, ": no metrics yet");
  series.data = out.str();
  return series;
}

// "plot ..." for a panel, or an empty panel saying so when the run has no
// such metric (gnuplot refuses to plot a column without a valid point).
std::string panel(const Series& s, Column c, const std::string& plot) {
  if (s.has[c]) return plot + "\n";
  return "set label 1 'not in metrics.jsonl' at graph 0.5,0.5 center\n"
         "plot [0:1] [0:1] -1 notitle\nunset label 1\n";
}

std::string gnuplot_script(const Series& data, const std::string& png, const std::string& title) {
  std::ostringstream s;
  s << "$m << EOD\n"
    << data.data << "EOD\n"
    << "set terminal pngcairo noenhanced size 1200,800 font 'sans,11'\n"
    << "set output '" << png << "'\n"
    << "set datafile missing 'NaN'\n"
    << "set key top left\nset grid\nset xlabel 'step'\n"
    << "set multiplot layout 2,2 title '" << title << "'\n"
    << "set title 'reward'\nset yrange [*:*]\n"
    << panel(data, kReward, "plot $m using 1:2 with lines lw 2 title 'mean reward'")
    << "set title 'accuracy'\nset yrange [0:1]\n"
    << panel(data, kAccuracy,
             std::string("plot $m using 1:3 with lines lw 1 title 'training samples'") +
                 (data.has[kEvalAccuracy]
                      ? ", $m using 1:4 with linespoints lw 2 pt 7 title 'held-out pass@1'"
                      : ""))
    << "set title 'mean response length (tokens)'\nset yrange [0:*]\n"
    << panel(data, kLength, "plot $m using 1:5 with lines lw 2 notitle")
    << "set title 'fraction of completions that think'\nset yrange [0:1]\n"
    << panel(data, kThink, "plot $m using 1:6 with lines lw 2 notitle") << "unset multiplot\n";
  return s.str();
}

// Gnuplot's single-quoted strings end at a quote; a path holding one would
// break the script, so it is refused with a clear error instead.
void check_quotable(const std::string& what, const std::string& s) {
  if (s.find('\'') != std::string::npos || s.find('\n') != std::string::npos)
    fail(what, " '", s, "' contains a quote or newline, which gnuplot cannot take");
}

}  // namespace

int cmd_plot(const Args& args) {
  ArgParser p("r1 plot RUN_DIR [--out FILE.png]",
              "Draw a GRPO run's curves from RUN_DIR/metrics.jsonl into one PNG (gnuplot):\n"
              "reward, training and held-out accuracy, mean response length, and the\n"
              "fraction of completions that think, against the step.");
  p.allow_positional("RUN_DIR", "run directory of r1 train");
  p.add("--out", "FILE", "PNG to write (default: RUN_DIR/curves.png)");
  p.add("--title", "TEXT", "figure title (default: the run directory)");
  if (!p.parse(args)) return 0;
  if (p.positional().size() != 1) fail("expected one RUN_DIR (r1 plot --help)");
  const std::string run = p.positional()[0];
  const std::string png = p.given("--out") ? p.str("--out") : run + "/curves.png";
  const std::string title = p.given("--title") ? p.str("--title") : run;
  check_quotable("output path", png);
  check_quotable("title", title);
  const std::string script = gnuplot_script(read_series(run + "/metrics.jsonl"), png, title);

  FILE* gnuplot = popen("gnuplot 2>&1", "w");
  if (!gnuplot) fail("cannot start gnuplot");
  std::fwrite(script.data(), 1, script.size(), gnuplot);
  int status = pclose(gnuplot);
  if (status != 0)
    fail("gnuplot failed (exit status ", status,
         "); is it installed? scripts/setup.sh installs gnuplot-nox");
  if (!file_exists(png)) fail("gnuplot wrote no ", png);
  std::cout << "wrote " << png << "\n";
  return 0;
}

}  // namespace r1
