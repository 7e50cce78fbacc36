// The math answer verifier (docs/design.md §1.2, issue 5): find the final answer in
// a model response, normalise it, and decide mathematical equivalence with a
// reference. Used by the "math" reward, `r1 verify` and evaluation (pass@k,
// cons@k). All functions are pure, thread-safe, never throw, and are bounded
// in time and memory on any input.
#pragma once

#include <string>

namespace r1 {

// The final answer in a model response: the last \boxed{...} / \fbox{...}
// (balanced braces; a truncated one yields ""), and where boxes are listed
// just before it with only separators between them ("\boxed{1}, \boxed{2}",
// "x=\boxed{2} or x=\boxed{3}") the whole list as written, boxes included
// (equivalence reads it as a list, or as its last box against one value);
// else the last <answer>...</answer>. With `fallbacks` (evaluation, `r1
// verify`), else the math on a final "answer is" / "answer:" line ("the
// answer is 5 apples" -> "5"), else the last $...$ / \(...\) / \[...\]
// math, else the last run of math written in prose ("so n is 34." -> "34",
// "is \frac{10}{9}" -> "\frac{10}{9}"; digits inside words are no number).
// "" if none. Text escaped twice ("\\frac") is read as escaped once. The
// "math" reward passes fallbacks = false: R1's accuracy reward wants the
// answer in a fixed place. docs/verifier.md has examples of every case.
std::string extract_answer(const std::string& response, bool fallbacks = true);

// The answer in a reference, as datasets write them: what follows a GSM8K
// "####"; else its \boxed{} answer(s) (a MATH `solution`) or <answer>
// content; else the math of an "answer is" line ("The answer is 12."); else,
// for a reference in prose (several plain words), what extract_answer finds
// in it; else the whole string (references are usually bare: "$\frac{3}{4}$",
// "x = 3", "Monday").
std::string extract_reference(const std::string& reference);

// The answer after normalisation (delimiters, \left/\right, \dfrac, spacing
// commands, degrees, units, thousands separators, trailing period); what
// `r1 verify` reports and what equivalence starts from.
std::string normalize_answer(const std::string& answer);

// True if the extracted answers `pred` and `gold` are mathematically
// equivalent. Both are raw answers (as returned by extract_*), not responses.
// A percentage reference ("50\%") also accepts its fraction (0.5); the reverse
// does not hold. An empty or unparseable prediction is never equivalent to a
// different reference.
bool answers_equivalent(const std::string& pred, const std::string& gold);

// A key such that equivalent answers (usually) share it, for grouping votes in
// cons@k: exact rationals print exactly, other numbers to 9 significant
// digits, expressions by their values at fixed points, sets sorted. Answers
// that do not parse key on their normalised text.
std::string canonical_answer_key(const std::string& answer);

}  // namespace r1
