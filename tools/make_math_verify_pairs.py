#!/usr/bin/env python3
"""Writes tests/fixtures/reward/math_pairs.jsonl: the answer-equivalence table
(and math_hard_pairs.jsonl, the harder shapes of issue 21)
that tests/reward/test_math_verify.cpp checks and tools/compare_math_verify.py
runs through Hugging Face Math-Verify. Each line: {"pred": model response,
"gold": reference, "equal": expected verdict, "rule": what it tests}.
Edit the table here, then run: python3 tools/make_math_verify_pairs.py"""
import json
import os


def B(x):
    return "\\boxed{" + x + "}"


T, F = True, False
# (rule, [(pred answer or response, gold, equal), ...]). A pred without
# \boxed, <answer> or $ is wrapped in \boxed{} (the evaluation prompt's form);
# R(...) marks a full response used as is.
class R(str):
    pass


TABLE = [
    ("fraction/decimal", [
        ("0.5", "\\frac{1}{2}", T), ("\\dfrac12", "0.5", T), ("\\tfrac{1}{2}", "0.5", T),
        ("1/2", "\\frac{1}{2}", T), (".5", "\\frac12", T), ("0.50", "1/2", T), ("2/4", "0.5", T),
        ("\\frac{2}{4}", "\\frac{1}{2}", T), ("0.51", "\\frac{1}{2}", F), ("0.3333", "\\frac{1}{3}", F),
        ("0.333333333", "1/3", F), ("1/3", "\\frac{1}{3}", T), ("-\\frac{1}{2}", "-0.5", T),
        ("\\frac{-1}{2}", "-\\frac12", T), ("\\frac{1}{-2}", "-0.5", T), ("3/4", "0.75", T),
        ("\\frac34", "0.75", T), ("7/8", "0.875", T), ("1.25", "\\frac{5}{4}", T),
        ("\\frac{5}{4}", "1.2", F), ("0.\\overline{3}", "\\frac{1}{3}", T), ("0.1\\overline{6}", "\\frac{1}{6}", T),
        ("1.\\overline{09}", "\\frac{12}{11}", T), ("0.\\overline{3}", "0.3", F), ("0.1+0.2", "0.3", T), ("2.5", "5/2", T), ("1.0", "1", T),
        ("-0", "0", T), ("\\frac{1}{7}", "0.142857", F), ("\\frac{22}{7}", "\\pi", F),
        ("\\frac{10}{4}", "\\frac{5}{2}", T), ("\\frac{3}{4}", "\\frac{4}{3}", F),
        ("\\frac{1}{2}+\\frac{1}{3}", "\\frac{5}{6}", T), ("\\frac{1}{2}", "-\\frac{1}{2}", F),
    ]),
    ("integer", [
        ("42", "42", T), ("42.0", "42", T), ("043", "42", F), ("24", "42", F), ("-3", "3", F),
        ("+3", "3", T), ("0", "0", T), ("123456789012345678901234567890", "123456789012345678901234567890", T),
        ("123456789012345678901234567891", "123456789012345678901234567890", F),
        ("1000000007", "1000000007", T), ("1000000007", "1000000009", F), ("2", "2.0001", F),
    ]),
    ("thousands separator", [
        ("1,000", "1000", T), ("7,425,000", "7425000", T), ("1 000", "1000", T),
        ("1\\,000", "1000", T), ("1{,}000", "1000", T), ("12,345,678", "12345678", T),
        ("1,234", "1234", T), ("1,234.5", "1234.5", T), ("7,425,000", "7425", F),
        ("1,00", "100", F), ("1 000 000", "10^6", T), ("\\$1,500", "1500", T),
    ]),
    ("percent", [
        ("0.5", "50\\%", T), ("50", "50\\%", T), ("50\\%", "50\\%", T), ("\\frac{1}{2}", "50\\%", T),
        ("50\\%", "0.5", F), ("0.25", "25\\%", T), ("0.125", "12.5\\%", T), ("50\\%", "50", T),
        ("0.4", "40\\%", T), ("40 percent", "40\\%", T), ("0.04", "40\\%", F), ("40\\%", "40%", T),
        ("60\\%", "40\\%", F), ("25", "25%", T), ("\\frac{1}{4}", "25\\%", T),
    ]),
    ("sqrt", [
        ("2\\sqrt{3}", "\\sqrt{12}", T), ("\\sqrt{8}", "2\\sqrt2", T), ("\\sqrt{2}/2", "\\frac{1}{\\sqrt{2}}", T),
        ("\\frac{\\sqrt{3}}{3}", "\\frac{1}{\\sqrt3}", T), ("3\\sqrt{2}", "\\sqrt{18}", T),
        ("\\sqrt{3}", "1.732", F), ("\\sqrt[3]{8}", "2", T), ("\\sqrt[3]{-8}", "-2", T), ("\\sqrt{16}", "4", T),
        ("1.4142135623730951", "\\sqrt{2}", T), ("\\sqrt{50}", "5\\sqrt{2}", T), ("2\\sqrt{5}", "\\sqrt{20}", T),
        ("\\sqrt{5}", "5", F), ("4\\sqrt{3}", "2\\sqrt{12}", T), ("\\sqrt{2}+\\sqrt{3}", "\\sqrt{5}", F),
        ("\\frac{\\sqrt{6}}{2}", "\\sqrt{\\frac{3}{2}}", T), ("\\sqrt{-4}", "2i", T), ("\\sqrt 3", "\\sqrt{3}", T),
        ("\\sqrt{3}x", "x\\sqrt{3}", T), ("\\sqrt[4]{16}", "2", T), ("27^{1/3}", "3", T), ("\\sqrt{12}", "3\\sqrt{2}", F),
        ("5+2\\sqrt{6}", "(\\sqrt{2}+\\sqrt{3})^2", T), ("\\frac{1+\\sqrt{5}}{2}", "\\frac{1-\\sqrt5}{2}", F),
    ]),
    ("pi and degrees", [
        ("2\\pi", "2 \\pi", T), ("\\pi/2", "\\frac{\\pi}{2}", T), ("3.14", "\\pi", F), ("\\frac{\\pi}{3}", "60^\\circ", F),
        ("90^\\circ", "90", T), ("90°", "90", T), ("45^{\\circ}", "45", T), ("\\pi r^2", "r^2\\pi", T),
        ("\\frac{1}{2}\\pi", "\\frac{\\pi}{2}", T), ("\\pi^2/6", "\\frac{\\pi^2}{6}", T), ("120", "120^\\circ", T),
        ("2\\pi", "\\pi", F), ("\\frac{5\\pi}{6}", "\\frac{5}{6}\\pi", T), ("30", "30^{\\circ}", T),
    ]),
    ("equation", [
        ("x=3", "3", T), ("x = 3", "3", T), ("3", "x=3", T), ("y=2x+1", "y=1+2x", T), ("y = 2x+1", "2x+1", T),
        ("y=2x+1", "y=2x-1", F), ("x=3", "x=4", F), ("2x+4=0", "x+2=0", T), ("x^2+y^2=1", "y^2+x^2=1", T),
        ("x+y=1", "2x+2y=2", T), ("3=x", "3", T), ("a = 5", "5", T), ("k=-2", "-2", T), ("x=3", "-3", F),
        ("y=x^2", "y=x^3", F), ("x = \\frac{1}{2}", "0.5", T), ("2x+4=0", "x-2=0", F),
    ]),
    ("inequality", [
        ("x<1", "-x>-1", T), ("x < 1", "1 > x", T), ("x \\le 2", "2 \\ge x", T), ("x<1", "x>1", F),
        ("x \\leq 3", "x < 3", F), ("x > -2", "x+2>0", T), ("x \\geq 5", "x \\ge 5", T), ("2x<4", "x<2", T),
        ("x \\ne 1", "x \\neq 1", T), ("x>3", "x \\geq 3", F), ("-2x > 4", "x < -2", T), ("x<2", "x>-2", F),
        ("-2 < x \\le 3", "(-2, 3]", T), ("-2 < x < 3", "(-2, 3]", F), ("x \\ge 3", "[3, \\infty)", T),
        ("x > 3", "[3, \\infty)", F), ("(-\\infty, 5)", "x < 5", T), ("3 > x \\ge -1", "[-1, 3)", T),
        ("1 \\le x \\le 2", "1 \\leq x \\leq 2", T), ("0 < x < 1", "(0, 2)", F), ("5 > x", "(-\\infty, 5)", T),
    ]),
    ("tuple", [
        ("(1,2)", "(1, 2)", T), ("(1,2)", "(2,1)", F), ("(1,2,3)", "(1,2)", F), ("(\\frac12, 3)", "(0.5, 3)", T),
        ("\\left(1,2\\right)", "(1,2)", T), ("(-1, 2)", "(-1,2)", T), ("(3, -4)", "(3, 4)", F),
        ("(x, y) = (1, 2)", "(1,2)", T), ("(2, \\sqrt{2})", "(2, \\sqrt 2)", T), ("(1, 2)", "1, 2", F),
        ("\\langle 1, 2 \\rangle", "(1,2)", T), ("(0, 0, 1)", "(0,0,1)", T),
    ]),
    ("interval", [
        ("[0,1)", "[0, 1)", T), ("[0,1)", "[0,1]", F), ("(0,1]", "(0, 1]", T), ("(-\\infty, 2]", "(-\\infty,2]", T),
        ("(-\\infty, 2)", "(-\\infty, 2]", F), ("[1,\\infty)", "[1, \\infty)", T), ("(0,1) \\cup (2,3)", "(2,3) \\cup (0,1)", T),
        ("[2,5]", "[2,5)", F), ("x \\in [0,1]", "[0,1]", T), ("[0, \\frac12]", "[0, 0.5]", T),
        ("(-\\infty, 0) \\cup (0, \\infty)", "(-\\infty,0)\\cup(0,\\infty)", T), ("(-\\infty, 1)", "(1, \\infty)", F),
        ("[-1, 1]", "[-1,1]", T), ("(0, \\infty)", "(0, -\\infty)", F), ("[1, 3] \\cup [5, 7]", "[1,3]", F),
    ]),
    ("set and list", [
        ("\\{1,2\\}", "\\{2,1\\}", T), ("\\{1,2,3\\}", "\\{1,2\\}", F), ("\\{1,2\\}", "1, 2", T), ("1, 2", "2, 1", T),
        ("1,2,3", "3,2,1", T), ("\\{3\\}", "3", T), ("\\emptyset", "\\varnothing", T), ("\\emptyset", "\\{\\}", T),
        ("\\{-1, 1\\}", "\\pm 1", T), ("1+\\sqrt2, 1-\\sqrt2", "1 \\pm \\sqrt{2}", T),
        (R("so $x=1$ or $x=2$, i.e. \\boxed{x=1 \\text{ or } x=2}"), "1, 2", T), ("x = 1, x = 2", "2, 1", T),
        ("1, 2, 2", "1, 2", F), ("\\{\\frac{1}{2}, 2\\}", "\\{2, 0.5\\}", T), ("-3, 3", "\\pm 3", T),
        ("2, 3", "2, 4", F), ("\\{1, 2\\}", "\\{1, 3\\}", F), ("\\{(1,2), (3,4)\\}", "\\{(3,4), (1,2)\\}", T),
        ("1; 2", "1, 2", T), ("\\emptyset", "0", F),
    ]),
    ("units and currency", [
        ("5\\text{ cm}", "5", T), ("5 cm", "5", T), ("12 \\text{ square feet}", "12", T), ("10\\text{ dollars}", "10", T),
        ("\\$10", "10", T), ("10 dollars", "10", T), ("€5", "5", T), ("5\\text{ cm}^2", "5", T), ("3 \\text{ meters}", "4", F),
        ("20 \\mbox{ km}", "20", T), ("45 mph", "45", T), ("8 hours", "8", T), ("5\\text{ cm}", "5\\text{ m}", T),
        ("7 \\text{ apples}", "7", T), ("\\$ 2.50", "2.5", T), ("15\\,\\mathrm{kg}", "15", T), ("6\\text{ units}", "6", T),
        ("\\text{5 cm}", "5", T), ("4 \\text{ ft}", "5", F),
    ]),
    ("latex noise", [
        ("\\left( \\frac{1}{2} \\right)", "1/2", T), ("\\displaystyle\\frac{1}{2}", "0.5", T), ("\\!\\frac{1}{2}", "0.5", T),
        ("3.", "3", T), ("$3$", "3", T), ("$$3$$", "3", T), ("\\(3\\)", "3", T), ("\\[3\\]", "3", T),
        ("\\frac{1}{2}.", "0.5", T), ("\\quad 7", "7", T), ("{7}", "7", T), ("\\mathbf{7}", "7", T),
        ("2\\times 3", "6", T), ("12 \\div 4", "3", T), ("2 \\cdot 3", "6", T), ("2*3", "6", T), ("3\\cdot 10^{2}", "300", T),
        ("\\frac{1}{2}", "$\\frac{1}{2}$", T), ("x\\,=\\,3", "3", T), ("−5", "-5", T), ("5 × 3", "15", T),
    ]),
    ("symbolic", [
        ("x^2-1", "(x-1)(x+1)", T), ("(x+1)^2", "x^2+2x+1", T), ("(x+1)^2", "x^2+1", F), ("2x", "x+x", T),
        ("x y", "yx", T), ("2(x+1)", "2x+2", T), ("\\frac{x}{2}", "0.5x", T), ("\\sin^2 x + \\cos^2 x", "1", T),
        ("\\sin(2x)", "2\\sin x\\cos x", T), ("e^{i\\pi}", "-1", T), ("i^2", "-1", T), ("\\ln(e^2)", "2", T),
        ("\\log_2 8", "3", T), ("\\log_{10} 100", "2", T), ("e^{\\ln 5}", "5", T), ("2^{10}", "1024", T),
        ("10!", "3628800", T), ("\\binom{5}{2}", "10", T), ("\\binom{10}{3}", "120", T), ("5!", "120", T),
        ("|-3|", "3", T), ("a^2+b^2", "b^2+a^2", T), ("a+b", "a-b", F), ("\\frac{a}{b}", "a/b", T),
        ("\\frac{1}{x}", "x^{-1}", T), ("x^{1/2}", "\\sqrt{x}", T), ("\\sqrt{x}", "x", F), ("3+2i", "2i+3", T),
        ("3+2i", "3-2i", F), ("\\frac{3}{2}x", "1.5x", T), ("2^{x+1}", "2\\cdot 2^x", T), ("\\alpha + \\beta", "\\beta+\\alpha", T),
        ("x_1 + x_2", "x_2 + x_1", T), ("\\tan(\\pi/4)", "1", T), ("\\cos 0", "1", T), ("x^2", "x^3", F),
        ("\\frac{x+1}{x-1}", "\\frac{x-1}{x+1}", F), ("\\frac{x^2-1}{x-1}", "x+1", T), ("n(n+1)/2", "\\frac{n^2+n}{2}", T),
        ("2^n", "n^2", F), ("\\sin x", "\\cos x", F), ("a", "b", F), ("3x", "3y", F), ("\\frac{\\pi}{4}", "\\arctan 1", T),
        ("\\sqrt{x^2+2x+1}", "x+1", T), ("e^x e^y", "e^{x+y}", T), ("\\log(xy)", "\\log x + \\log y", T),
        ("(a+b)^3", "a^3+3a^2b+3ab^2+b^3", T), ("(a+b)^3", "a^3+b^3", F), ("\\dbinom{6}{3}", "20", T),
        ("\\theta", "\\theta", T), ("2\\theta", "\\theta+\\theta", T), ("\\cos^2\\theta - \\sin^2\\theta", "\\cos 2\\theta", T),
    ]),
    ("text and multiple choice", [
        ("(A)", "A", T), ("\\text{(B)}", "B", T), ("B", "C", F), ("\\text{Monday}", "Monday", T), ("monday", "Monday", T),
        ("\\text{yes}", "yes", T), ("No", "Yes", F), ("\\textbf{(C)}", "C", T), ("\\text{even}", "\\text{odd}", F),
        ("(D)", "(D)", T), ("E", "(E)", T), ("\\text{Tuesday}", "Monday", F),
    ]),
    ("decimal comma", [
        ("3,5", "3.5", T), ("0,25", "0.25", T), ("1,2", "1, 2", T), ("3,5", "35", F), ("2,75", "2.75", T),
    ]),
    ("matrix", [
        ("\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", "\\begin{bmatrix}1 & 2 \\\\ 3 & 4\\end{bmatrix}", T),
        ("\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", "\\begin{pmatrix}1&2\\\\4&3\\end{pmatrix}", F),
        ("\\begin{pmatrix} \\frac12 \\\\ 1 \\end{pmatrix}", "\\begin{pmatrix} 0.5 \\\\ 1 \\end{pmatrix}", T),
        ("\\begin{pmatrix}1&0\\\\0&1\\end{pmatrix}", "\\begin{pmatrix}1&0&0\\\\0&1&0\\end{pmatrix}", F),
        ("\\begin{pmatrix} 2 \\\\ -1 \\end{pmatrix}", "\\begin{pmatrix} 2 \\\\ -1 \\end{pmatrix}", T),
    ]),
    ("mixed number and function", [
        ("2\\frac{1}{4}", "\\frac{9}{4}", T), ("2\\frac{1}{4}", "2.25", T), ("-2\\frac{1}{4}", "-2.25", T),
        ("2\\frac{x}{4}", "\\frac{x}{2}", T), ("3\\frac12", "3.5", T), ("2\\frac{1}{4}", "\\frac{1}{2}", F),
        ("f(x) = 2x+1", "2x+1", T), ("f(x) = 2x", "2x+1", F), ("g(t)=t^2", "t^2", T),
        ("\\frac{\\sqrt{3}}{2}", "\\frac{1}{2}\\sqrt{3}", T), ("\\dfrac{9\\pi}{4}", "\\frac{9}{4}\\pi", T),
        ("5\\sqrt{2}\\text{ cm}", "5\\sqrt2", T),
    ]),
    ("extraction", [
        (R("So she sold \\boxed{72} clips."), "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n#### 72", T),
        (R("So she sold \\boxed{24} clips."), "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n#### 72", F),
        (R("The answer is \\boxed{5}."), "5", T), (R("First \\boxed{3}, but wait, final \\boxed{4}"), "4", T),
        (R("First \\boxed{3}, but wait, final \\boxed{4}"), "3", F), (R("<answer>7</answer>"), "7", T),
        (R("<think>1/2 of 1</think> <answer>\\frac{1}{2}</answer>"), "0.5", T), (R("So the answer is $12$."), "12", T),
        (R("Therefore, the answer is 42."), "42", T), (R("Adding them up we get 17"), "17", T), (R("\\fbox{9}"), "9", T),
        (R("\\boxed{\\frac{1}{2}}"), "\\frac12", T), (R("\\boxed{\\{1,2\\}}"), "\\{1,2\\}", T), (R("so \\boxed 5"), "5", T),
        (R("**Answer:** 8"), "8", T), (R("We get \\( \\frac{3}{4} \\)"), "0.75", T), (R("Hence \\[x = 2\\]"), "2", T),
        (R("\\boxed{3}"), "$\\frac{6}{2}$", T), (R("\\boxed{3}"), "\\boxed{3}", T), (R("\\boxed{3}"), "x = 3", T),
        (R("\\boxed{0.75}"), "$\\frac{3}{4}$", T), (R("The final answer is $\\boxed{2\\sqrt{2}}$."), "\\sqrt{8}", T),
        (R("<answer>The answer is 6</answer>"), "6", T), (R("1 + 1 = 2, so 2 + 2 = 4"), "4", T),
        (R("\\boxed{\\left[0, 1\\right)}"), "[0,1)", T), (R("$x = 5$ and so $y = 7$"), "7", T),
        (R("Final: \\boxed{\\dfrac{7}{2}} units"), "3.5", T), (R("\\boxed{2}\\boxed{3}"), "3", T),
    ]),
    ("adversarial", [
        (R("\\boxed{}"), "0", F), (R(""), "0", F), (R("\\boxed{1, 2, 3, 4, 5}"), "3", F), (R("\\boxed{3 \\text{ or } 4}"), "3", F),
        (R("\\boxed{1,2,3,4,5,6,7,8,9,10}"), "5", F), (R("\\boxed{\\frac{1}{2}"), "1/2", F), (R("\\boxed{5"), "5", F),
        (R("\\boxed{" + "(" * 5000 + "5" + ")" * 5000 + "}"), "5", F), (R("\\boxed{" + "(" * 500 + "5" + ")" * 500 + "}"), "5", F),
        (R("\\boxed{" + "{" * 3000 + "5"), "5", F), (R("\\boxed{\\frac{1}{0}}"), "0", F), (R("\\boxed{0/0}"), "0", F),
        (R("\\boxed{10^{10^{10}}}"), "1", F), (R("\\boxed{99999!}"), "1", F), (R("\\boxed{x}"), "5", F),
        (R("\\boxed{\\infty}"), "\\infty", T), (R("\\boxed{-\\infty}"), "\\infty", F), (R("\\boxed{0.5}"), "50", F),
        (R("\\boxed{3, 4, 5}"), "3", F), (R("\\boxed{2 \\pm 1}"), "3", F), (R("\\boxed{\\text{all}}"), "5", F),
        (R("\\boxed{" + "1+" * 2000 + "1}"), "2001", F), (R("\\boxed{\\sqrt{\\sqrt{\\sqrt{\\sqrt{\\sqrt{\\sqrt{2}}}}}}}"), "2", F),
        (R("\\boxed{" + "x" * 5000 + "}"), "x", F), (R("\\boxed{\\begin{pmatrix}1&2\\end{pmatrix}"), "(1,2)", F),
        (R("\\boxed{\\left(}"), "(", T), (R("\\boxed{a \\le b \\le c}"), "a", F), (R("\\boxed{2^{-1000000}}"), "0", F),
        (R("\\boxed{\\frac{\\frac{\\frac{1}{2}}{2}}{2}}"), "0.125", T), (R("\\boxed{1/3}"), "0.33", F),
    ]),
]


# Harder shapes (issue 21): several boxes, prose finals, double escapes, named
# quantities, chains, matrices to evaluate, ... Written here from scratch, one
# rule per row of the table, each with near misses that must stay
# wrong. Written to math_hard_pairs.jsonl; tests/reward/test_math_verify.cpp
# checks each rule as its own test. Where Math-Verify 0.9 answers otherwise on
# purpose, docs/verifier.md says why.
MATRIX8 = "\\begin{pmatrix}" + "\\\\".join(["&".join(["1"] * 8)] * 8) + "\\end{pmatrix}"
HARD_TABLE = [
    ("several boxes", [
        (R("\\boxed{1}\\boxed{2}"), "\\boxed{1,2}", T), (R("\\boxed{1}, \\boxed{2}"), "1, 2", T),
        (R("\\boxed{1} and \\boxed{2}"), "\\{1,2\\}", T), (R("x=\\boxed{2} or x=\\boxed{3}"), "3, 2", T),
        (R("The solutions are $\\boxed{(2, 2)} \\quad\\text{and}\\quad \\boxed{(6, 2)}$."), "(6,2), (2,2)", T),
        (R("\\boxed{1,2}"), "\\boxed{1}\\boxed{2}", T), (R("\\boxed{a=3}, \\boxed{b=4}"), "3, 4", T),
        (R("\\boxed{1}\\boxed{3}"), "1, 2", F), (R("\\boxed{1}\\boxed{2}"), "1, 2, 3", F),
        (R("The solutions are \\boxed{(2, 2)} and \\boxed{(6, 2)}"), "(2,2), (2,6)", F),
        (R("\\boxed{1}\\boxed{2}"), "1", F), (R("\\boxed{1}\\boxed{2}"), "[1,2]", F),
        (R("First \\boxed{5}, then after checking, \\boxed{7}"), "7", T),
        (R("First \\boxed{5}, then after checking, \\boxed{7}"), "5, 7", F),
        (R("\\boxed{3} \\boxed{4}"), "(3,4)", F),
    ]),
    ("prose final", [
        (R("Adding these, so the largest n is 34."), "34", T), (R("Adding these, so the largest n is 34."), "35", F),
        (R("Final Answer: The final answer is $7.78$. I hope it is correct."), "7.78", T),
        (R("Final Answer: The final answer is $7.78$. I hope it is correct."), "7.79", F),
        (R("Therefore, the answer is 5 apples."), "5", T), (R("Therefore, the answer is 5 apples."), "6", F),
        (R("We tried 3 and 4, and the total is 17"), "17", T), (R("We tried 3 and 4, and the total is 17"), "4", F),
        (R("So there are 2 ways in 2022."), "2022", T), (R("The answer is 12 because 3 times 4 is 12."), "12", T),
        (R("So $a = 5$. The answer is 12."), "12", T), (R("So $a = 5$. The answer is 12."), "5", F),
        (R("Thus x = 3."), "3", T), (R("Thus x = 3."), "4", F),
        (R("The final answer is 1 000 people."), "1000", T),
    ]),
    ("bare latex", [
        (R("the probability is \\frac{10}{9}"), "\\frac{10}{9}", T), (R("the probability is \\frac{10}{9}"), "9", F),
        (R("\\frac{10}{9}"), "\\frac{20}{18}", T), (R("we get x^2+1"), "1+x^2", T), (R("we get x^2+1"), "1", F),
        (R("so it is \\sqrt{2}/2"), "\\frac{\\sqrt2}{2}", T), (R("so it is \\sqrt{2}/2"), "2", F),
    ]),
    ("digits in words", [
        (R("AZYUK2A"), "2", F), (R("The code is AZYUK2A"), "2", F), (R("It is the 2nd one"), "2", F),
        (R("The code is AZYUK2A, so 7"), "7", T),
    ]),
    ("escaped dollar", [
        (R("$\\$4.50$"), "4.5", T), (R("The total is $\\$4.50$."), "4.50", T), (R("The cost is \\$4.50."), "4.5", T),
        (R("$\\$4.50$"), "4.05", F), (R("It costs $\\$12$ in total"), "12", T), (R("It costs $\\$12$ in total"), "21", F),
    ]),
    ("double escape", [
        (R("\\\\left(\\\\frac{1}{5}, 2\\\\right)"), "\\left(\\frac{1}{5}, 2\\right)", T),
        (R("\\\\left(\\\\frac{1}{5}, 2\\\\right)"), "\\left(\\frac{1}{5}, 3\\right)", F),
        (R("\\boxed{\\\\frac{1}{5}}"), "\\frac{1}{5}", T), (R("$\\\\sqrt{3}$"), "\\sqrt{3}", T),
        (R("$\\\\sqrt{3}$"), "\\sqrt{2}", F), (R("\\boxed{\\\\pi/2}"), "\\frac{\\pi}{2}", T),
        (R("\\boxed{\\frac{1}{5}}"), "\\\\frac{1}{5}", T),
        (R("\\\\begin{pmatrix} 1 & 2 \\\\\\\\ 3 & 4 \\\\end{pmatrix}"), "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}", T),
        (R("\\\\begin{pmatrix} 1 & 2 \\\\\\\\ 3 & 4 \\\\end{pmatrix}"), "\\begin{pmatrix} 1 & 2 & 3 & 4 \\end{pmatrix}", F),
    ]),
    ("number format", [
        ("1 000", "1000", T), (R("The total is 1 000"), "1000", T), (".4", "0.4", T), (".4", "\\frac{2}{5}", T),
        (".4", "4", F), ("0,111", "0.111", T), ("0,111", "111", F), ("11,\\! 111,\\! 100", "11111100", T),
        ("11,\\!111,\\!100", "11111100", T), ("11,\\!111,\\!100", "1111110", F), ("12 345", "12345", T),
        ("1,00", "100", F),
        # Calculator E notation (Math-Verify reads it too); a lowercase e is Euler's number.
        ("2E5", "200000", T), ("1.5E-3", "0.0015", T), ("3E+2", "300", T), ("7E12", "7\\times 10^{12}", T),
        ("3E2", "30", F), ("2e5", "200000", F),
    ]),
    ("equality chain", [
        ("x = 5+5+1 = 7 = 11", "11", T), ("x = 5+5+1 = 7 = 11", "7", F), ("x = 2+3 = 5", "5", T),
        ("a = b = 5", "5", T), ("2+3=5", "5", T), ("5 = 2+3", "5", T), ("x = 2+3 = 5", "6", F),
        ("x = 2+3 = 5", "x = 5", T), ("x+1=5", "5", F), ("2x=6", "6", F),
    ]),
    ("named quantity", [
        ("AB=4,CD=5", "4, 5", T), ("AB=4,CD=5", "5, 4", T), ("AB=4,CD=6", "4, 5", F), ("|AB|=1", "1", T),
        ("|AB|=2", "1", F), ("BC = 7", "7", T), ("m\\angle A = 30^\\circ", "30", T), ("m\\angle A = 30^\\circ", "60", F),
        ("f(2)=7", "7", T), ("f(2)=7", "2", F), ("S_{10}=55", "55", T), ("3 = x", "3", T), ("x = 2", "y = 2", F),
        ("AB = 4", "CD = 4", F),
    ]),
    ("ratio", [
        ("V_1:V_2=11:21", "11:21", T), ("V_1:V_2=11:21", "\\frac{11}{21}", T), ("V_1:V_2=11:21", "21:11", F),
        ("11:21", "\\frac{11}{21}", T), ("2:4", "1:2", T), ("3:4", "4:3", F), ("AB:BC = 3:4", "3:4", T),
    ]),
    ("set and tuple", [
        ("(11,7)or(7,11)", "(7,11), (11,7)", T), ("(11,7)or(7,12)", "(7,11), (11,7)", F), ("(11,7)", "(7,11)", F),
        ("1;2;3", "1,2,3", T), ("\\{1,2,2\\}", "\\{1,2\\}", T), ("\\{1,2,3\\}", "\\{1,2\\}", F), ("(1,2,2)", "(1,2)", F),
        ("1, 2, 2", "1, 2", F), ("(1; 2)", "(1, 2)", T), ("(1; 2)", "(2, 1)", F),
    ]),
    ("percent and unit word", [
        ("28 pct", "28\\%", T), ("28 pct", "28", T), ("28 percentage", "28", T), ("28 percentage points", "28\\%", T),
        ("28 pct", "29", F), ("125\\textnormal{ miles}", "125", T), ("125\\textnormal{ miles}", "126", F),
        ("5 apples", "5", T), ("5 apples", "6", F), ("12 \\text{ sq ft}", "12", T),
    ]),
    ("approx", [
        ("x\\approx11", "11", T), ("\\approx 11", "11", T), ("x\\approx12", "11", F), ("\\pi \\approx 3.14", "\\pi", T),
        ("x \\approx 3.14", "\\pi", F), ("\\frac{1}{3} \\approx 0.33", "\\frac{1}{3}", T),
    ]),
    ("matrix", [
        ("\\left[\\begin{array}{cc} 1 & 2 \\\\ 3 & 4 \\end{array}\\right]", "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}", T),
        ("\\left[\\begin{array}{cc} 1 & 2 \\\\ 3 & 5 \\end{array}\\right]", "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}", F),
        ("\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}+\\begin{pmatrix} 1 & 0 \\\\ 0 & 1 \\end{pmatrix}",
         "\\begin{pmatrix} 2 & 2 \\\\ 3 & 5 \\end{pmatrix}", T),
        ("\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}+\\begin{pmatrix} 1 & 0 \\\\ 0 & 1 \\end{pmatrix}",
         "\\begin{pmatrix} 2 & 2 \\\\ 3 & 4 \\end{pmatrix}", F),
        ("2\\begin{pmatrix} 1 & 2 \\end{pmatrix}", "\\begin{pmatrix} 2 & 4 \\end{pmatrix}", T),
        ("\\frac{1}{2}\\begin{pmatrix} 2 & 4 \\end{pmatrix}", "\\begin{pmatrix} 1 & 2 \\end{pmatrix}", T),
        ("\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}\\begin{pmatrix} 0 & 1 \\\\ 1 & 0 \\end{pmatrix}",
         "\\begin{pmatrix} 2 & 1 \\\\ 4 & 3 \\end{pmatrix}", T),
        ("\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}\\begin{pmatrix} 0 & 1 \\\\ 1 & 0 \\end{pmatrix}",
         "\\begin{pmatrix} 3 & 4 \\\\ 1 & 2 \\end{pmatrix}", F),
        ("\\begin{pmatrix} 1 & 2 \\end{pmatrix} + \\begin{pmatrix} 1 \\\\ 1 \\end{pmatrix}", "\\begin{pmatrix} 2 & 3 \\end{pmatrix}", F),
    ]),
    ("sum and product", [
        ("\\sum_{k=1}^{3} k", "6", T), ("\\sum_{k=1}^{4} k", "11", F), ("\\prod_{k=1}^{4} k", "24", T),
        ("\\sum_{k=1}^{n} k^2", "\\frac{n(n+1)(2n+1)}{6}", T), ("\\sum_{k=1}^{n} k", "\\frac{n(n-1)}{2}", F),
        ("\\sum_{i=1}^{n} 2 i", "\\sum_{i=1}^{n} i \\cdot 2", T), ("\\sum_{i=1}^{n} 2 i", "\\sum_{i=1}^{n} i", F),
        ("\\sum_{k=0}^{n} 2^k", "2^{n+1}-1", T), ("\\sum_{k=1}^{1000000000} k", "1", F),
    ]),
    ("full-precision decimal", [
        ("0.0833333333333333", "\\frac{1}{12}", T), ("0.333333333333333", "\\frac{1}{3}", T),
        ("0.3333333333333333", "\\frac{1}{3}", T), ("-0.0833333333333333", "-\\frac{1}{12}", T),
        ("0.142857142857143", "\\frac{1}{7}", T), ("0.0833333333333334", "\\frac{1}{12}", T),
        ("0.0833333333333343", "\\frac{1}{12}", F), ("0.0833333333333333", "\\frac{1}{11}", F),
        ("0.333333", "\\frac{1}{3}", F), ("0.333333333", "\\frac{1}{3}", F),
    ]),
    ("interval and inequality", [
        ("0<f(x)<1", "(0,1)", T), ("0<f(x)\\le 1", "(0,1)", F), ("-2 \\le x \\le 7", "x \\in [-2,7]", T),
        ("-2 \\le x < 7", "x \\in [-2,7]", F), ("x>3", "(3,\\infty)", T), ("x \\ge 3", "(3,\\infty)", F),
        ("-2 \\le y \\le 7", "[-2,7]", T),
    ]),
    ("plus-minus", [
        ("\\pm 2021", "\\{-2021, 2021\\}", T), ("\\pm 2021", "-2021, 2021", T), ("x = \\pm 2021", "2021, -2021", T),
        ("\\pm 2021", "2021", F), ("\\pm 2", "\\{-2021, 2021\\}", F),
        ("\\pm 2021", "{-2021, 2021}", T), ("{-2021, 2022}", "\\pm 2021", F), ("1\\pm\\sqrt2", "1+\\sqrt2, 1-\\sqrt2", T),
    ]),
    ("mathematically distinct", [
        ("1 - 1/e", "1 + 1/e", F), ("1 - \\frac{1}{e}", "1 + \\frac{1}{e}", F), ("1 - \\frac{1}{e}", "\\frac{e-1}{e}", T),
    ]),
    ("prose gold", [
        (R("\\boxed{72}"), "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nNatalia sold 48+24 = <<48+24=72>>72 clips altogether.\n#### 72", T),
        (R("\\boxed{24}"), "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n#### 72", F),
        (R("The answer is 12"), "The answer is 12", T), (R("\\boxed{12}"), "The answer is 12.", T),
        (R("\\boxed{13}"), "The answer is 12.", F), (R("\\boxed{12}"), "The answer is $12$.", T),
        (R("\\boxed{\\frac{1}{2}}"), "We have $x = 2y$, so $\\frac{y}{x} = \\boxed{\\frac{1}{2}}$.", T),
        (R("\\boxed{2}"), "We have $x = 2y$, so $\\frac{y}{x} = \\boxed{\\frac{1}{2}}$.", F),
        (R("\\boxed{(2,2)}\\boxed{(6,2)}"), "So the pairs are $\\boxed{(2,2)}$ and $\\boxed{(6,2)}$.", T),
        (R("\\boxed{12}"), "Janet has 3 baskets of 4 eggs, so she has 12 eggs.", T),
        (R("\\boxed{4}"), "Janet has 3 baskets of 4 eggs, so she has 12 eggs.", F),
        (R("\\boxed{Monday}"), "Monday", T), (R("\\boxed{x = 3}"), "x = 3", T),
    ]),
    # Bounded work on hostile input (EveryPairIsFast times these).
    ("adversarial shapes", [
        (R("\\boxed{" + MATRIX8 * 8 + "}"), "1", F),
        (R("\\boxed{" + "|" * 900 + "x" + "|" * 900 + "=1}"), "1", F),
        (R("\\boxed{" + "a:" * 900 + "b=1}"), "2", F),
        (R("\\boxed{\\sum_{a=1}^{20000}\\sum_{b=1}^{20000} ab}"), "1", F),
        (R("the answer is " * 2000 + "5"), "5", T),
        (R("\\boxed{1}, " * 2000 + "\\boxed{2}"), "2", T),
        (R("x " * 5000 + "= 3"), "4", F),
        (R("\\\\" * 5000), "1", F),
    ]),
]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    for name, table in (("math_pairs.jsonl", TABLE), ("math_hard_pairs.jsonl", HARD_TABLE)):
        write(os.path.join(here, "..", "tests", "fixtures", "reward", name), table)


def write(path, table):
    n = 0
    with open(path, "w", encoding="utf-8") as out:
        for rule, pairs in table:
            for pred, gold, equal in pairs:
                response = pred if isinstance(pred, R) or "$" in pred else B(pred)
                out.write(json.dumps({"pred": str(response), "gold": gold, "equal": equal, "rule": rule},
                                     ensure_ascii=False) + "\n")
                n += 1
    print(f"wrote {n} pairs to {os.path.normpath(path)}")


if __name__ == "__main__":
    main()
