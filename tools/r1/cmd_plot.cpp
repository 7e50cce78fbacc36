// r1 plot: whatever a run logged (GRPO or SFT), as one PNG drawn by gnuplot
// from the run's metrics.jsonl: every numeric field against the step, one
// panel per metric (the parts of a nested one together: completion_length's
// mean/min/max, each reward of rewards, the time split), related metrics
// sharing a panel (accuracy and held-out accuracy, loss and eval_loss, the
// clip fractions), one colour per series. --smooth draws TensorBoard's
// debiased moving average over the faint raw curve. gnuplot reads the
// numbers from an inline data block, so nothing but the PNG is written.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "args.h"
#include "commands.h"
#include "util/error.h"
#include "util/io.h"

namespace r1 {
namespace {

// Metrics drawn in one panel: its title, then its members.
struct SharedPanel {
  std::string title;
  std::vector<std::string> members;
};
const std::vector<SharedPanel> kSharedPanels = {
    {"reward", {"reward", "reward_std"}},
    {"accuracy", {"accuracy", "eval_accuracy"}},
    {"loss", {"loss", "eval_loss"}},
    {"clip fractions", {"clip_low", "clip_high"}},
};
// Panels in the order a reader looks for them (GRPO, then SFT); panels not
// listed follow alphabetically.
const std::vector<std::string> kPanelOrder = {"reward",
                                              "rewards",
                                              "accuracy",
                                              "loss",
                                              "completion_length",
                                              "think_fraction",
                                              "kl",
                                              "entropy",
                                              "clip fractions",
                                              "ratio_mean",
                                              "grad_norm",
                                              "lr",
                                              "zero_std_fraction",
                                              "truncated_fraction",
                                              "tokens_per_second",
                                              "time"};

struct Run {
  std::vector<int64_t> steps;                         // one per metrics line
  std::vector<std::string> names;                     // series, in first-seen order
  std::map<std::string, std::vector<double>> values;  // name -> per line (NaN where absent)
};

void flatten(const nlohmann::json& j, const std::string& prefix,
             std::vector<std::pair<std::string, double>>& out) {
  for (const auto& [k, v] : j.items()) {
    const std::string name = prefix.empty() ? k : prefix + "/" + k;
    if (v.is_object())
      flatten(v, name, out);
    else if (v.is_number() && name != "step")
      out.emplace_back(name, v.get<double>());
  }
}

Run read_run(const std::string& metrics_path) {
  Run run;
  auto in = open_input(metrics_path);
  for_each_line(*in, [&](int64_t number, const std::string& line) {
    nlohmann::json m;
    try {
      m = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception&) {
      fail(metrics_path, ":", number, ": not valid JSON");
    }
    if (!m.is_object() || !m.contains("step") || !m["step"].is_number())
      fail(metrics_path, ":", number, ": expected an object with a numeric \"step\"");
    const size_t row = run.steps.size();
    run.steps.push_back(m["step"].get<int64_t>());
    std::vector<std::pair<std::string, double>> fields;
    flatten(m, "", fields);
    for (const auto& [name, value] : fields) {
      auto& column = run.values[name];
      if (column.empty()) run.names.push_back(name);
      column.resize(row + 1, NAN);
      column[row] = value;
    }
  });
  if (run.steps.empty()) fail(metrics_path, ": no metrics yet");
  if (run.names.empty()) fail(metrics_path, ": no numeric metrics to draw (only steps)");
  for (auto& [name, column] : run.values) column.resize(run.steps.size(), NAN);
  return run;
}

// TensorBoard's smoothing: an exponential moving average, debiased so the
// first points are not pulled towards 0; NaN (a line without the metric)
// is skipped.
std::vector<double> smoothed(const std::vector<double>& v, double weight) {
  std::vector<double> out(v.size(), NAN);
  double last = 0;
  int64_t seen = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    if (std::isnan(v[i])) continue;
    last = last * weight + (1 - weight) * v[i];
    ++seen;
    out[i] = weight == 0 ? v[i] : last / (1 - std::pow(weight, static_cast<double>(seen)));
  }
  return out;
}

struct Panel {
  std::string title;
  std::vector<std::string> series;
};

// The panel of each series: a nested metric's parts go with their parent
// (time/rollout -> time), the kSharedPanels groups together.
std::vector<Panel> panels_of(const Run& run) {
  std::vector<Panel> panels;
  std::map<std::string, size_t> index;  // panel title -> position
  auto owner = [](const std::string& name) {
    const std::string top = name.substr(0, name.find('/'));
    for (const auto& group : kSharedPanels)
      for (const auto& member : group.members)
        if (member == top) return group.title;
    return top;
  };
  for (const auto& name : run.names) {
    const std::string title = owner(name);
    auto [it, added] = index.emplace(title, panels.size());
    if (added) panels.push_back({title, {}});
    panels[it->second].series.push_back(name);
  }
  auto rank = [](const Panel& p) {
    const auto at = std::find(kPanelOrder.begin(), kPanelOrder.end(), p.title);
    return std::make_pair(at - kPanelOrder.begin(), p.title);
  };
  std::stable_sort(panels.begin(), panels.end(),
                   [&](const Panel& a, const Panel& b) { return rank(a) < rank(b); });
  return panels;
}

// A colour per series, from a palette that stays apart in print and for
// the common colour-vision deficiencies (Okabe-Ito, then Tol's muted).
const char* colour(size_t i) {
  static const char* kPalette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00",
                                   "#56B4E9", "#332288", "#882255", "#117733", "#999933",
                                   "#AA4499", "#44AA99", "#DDCC77", "#000000"};
  return kPalette[i % (sizeof kPalette / sizeof kPalette[0])];
}

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  std::ostringstream s;
  s.precision(10);
  s << v;
  return s.str();
}

std::string gnuplot_script(const Run& run, const std::vector<Panel>& panels, double smooth,
                           const std::string& png, const std::string& title) {
  // Data block: step, then per series its raw column (and smoothed column).
  std::map<std::string, int> column;  // series -> its raw column (1-based; step is 1)
  std::ostringstream data;
  int next = 2;
  for (const auto& name : run.names) column[name] = next, next += smooth > 0 ? 2 : 1;
  std::map<std::string, std::vector<double>> smooth_values;
  if (smooth > 0)
    for (const auto& name : run.names) smooth_values[name] = smoothed(run.values.at(name), smooth);
  for (size_t row = 0; row < run.steps.size(); ++row) {
    data << run.steps[row];
    for (const auto& name : run.names) {
      data << ' ' << number(run.values.at(name)[row]);
      if (smooth > 0) data << ' ' << number(smooth_values[name][row]);
    }
    data << '\n';
  }

  const int cols = panels.size() <= 4 ? 2 : panels.size() <= 9 ? 3 : 4;
  const int rows = (static_cast<int>(panels.size()) + cols - 1) / cols;
  std::ostringstream s;
  s << "$m << EOD\n"
    << data.str() << "EOD\n"
    << "set terminal pngcairo noenhanced size " << 450 * cols << "," << 330 * rows + 40
    << " font 'sans,10'\n"
    << "set output '" << png << "'\n"
    << "set datafile missing 'NaN'\n"
    << "set key top left opaque box lc rgb '#cccccc' samplen 2 font ',8'\n"
    << "set grid\nset xlabel 'step'\n"
    << (run.steps.back() - run.steps.front() <= 10 ? "set xtics 1\n" : "")
    << "set multiplot layout " << rows << "," << cols << " title '" << title
    << (smooth > 0 ? cat(" (smoothing ", smooth, ")") : std::string()) << "'\n";
  size_t series_index = 0;
  for (const Panel& panel : panels) {
    s << "set title '" << panel.title << "'\n";
    s << (panel.series.size() > 1 ? "set key\n" : "unset key\n");
    std::string plot = "plot ";
    for (size_t k = 0; k < panel.series.size(); ++k) {
      const std::string& name = panel.series[k];
      const int c = column[name];
      const std::string rgb = colour(series_index++);
      // Points as well as lines: a metric logged on a few lines only
      // (eval_accuracy every N steps) stays visible.
      const std::string style = " with linespoints pt 7 ps 0.4 lw ";
      if (k) plot += ", ";
      if (smooth > 0) {
        plot += cat("$m using 1:", c, style, "1 lc rgb '", rgb, "' dt 3 notitle, ");
        plot += cat("$m using 1:", c + 1, style, "2 lc rgb '", rgb, "' title '", name, "'");
      } else {
        plot += cat("$m using 1:", c, style, "2 lc rgb '", rgb, "' title '", name, "'");
      }
    }
    s << plot << "\n";
  }
  s << "unset multiplot\n";
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
  ArgParser p("r1 plot RUN_DIR [--out FILE.png] [--smooth W]",
              "Draw everything a run logged (r1 train or r1 sft: RUN_DIR/metrics.jsonl) into\n"
              "one PNG with gnuplot: each metric against the step, one panel per metric\n"
              "(nested ones and related ones together), one colour per series.");
  p.allow_positional("RUN_DIR", "run directory of r1 train or r1 sft");
  p.add("--out", "FILE", "PNG to write (default: RUN_DIR/curves.png)");
  p.add("--title", "TEXT", "figure title (default: the run directory)");
  p.add("--smooth", "W", "moving-average weight in [0, 1) as in TensorBoard (0 = raw curves only)",
        "0");
  if (!p.parse(args)) return 0;
  if (p.positional().size() != 1) fail("expected one RUN_DIR (r1 plot --help)");
  const std::string run_dir = p.positional()[0];
  const std::string png = p.given("--out") ? p.str("--out") : run_dir + "/curves.png";
  const std::string title = p.given("--title") ? p.str("--title") : run_dir;
  const double smooth = p.f64("--smooth");
  if (!(smooth >= 0 && smooth < 1)) fail("--smooth must be in [0, 1), got ", smooth);
  check_quotable("output path", png);
  check_quotable("title", title);
  const Run run = read_run(run_dir + "/metrics.jsonl");
  const std::vector<Panel> panels = panels_of(run);
  const std::string script = gnuplot_script(run, panels, smooth, png, title);

  // gnuplot's messages (a flat curve's "empty y range" warnings) are shown
  // only if it fails.
  char log[] = "/tmp/r1-plot-XXXXXX";
  const int fd = mkstemp(log);
  if (fd < 0) fail("cannot create a temporary file for gnuplot's messages");
  close(fd);
  FILE* gnuplot = popen(cat("gnuplot 2> ", log).c_str(), "w");
  if (!gnuplot) fail("cannot start gnuplot");
  std::fwrite(script.data(), 1, script.size(), gnuplot);
  int status = pclose(gnuplot);
  const std::string messages = read_file(log);
  std::remove(log);
  if (status != 0)
    fail("gnuplot failed (exit status ", status,
         "); is it installed? scripts/setup.sh installs gnuplot-nox\n", messages);
  if (!file_exists(png)) fail("gnuplot wrote no ", png);
  std::cout << "wrote " << png << " (" << panels.size() << " panels, " << run.names.size()
            << " series)\n";
  return 0;
}

}  // namespace r1
