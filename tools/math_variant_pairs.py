#!/usr/bin/env python3
"""Writes seeded answer pairs: one value written the ways models write it
(integers with separators, units, percent and degrees; fractions, mixed
numbers and terminating decimals; roots, multiples of pi, intervals, lists and
sets in any order, polynomials factored or reordered, multiple-choice letters,
powers of ten and calculator E notation), each against a reference, with near
misses that must stay wrong. Run the file through both verifiers:

  python3 tools/math_variant_pairs.py --out /tmp/variants.jsonl
  .venv/bin/pip install math-verify
  python tools/compare_math_verify.py --pairs /tmp/variants.jsonl

"equal" is the value-level truth; docs/verifier.md has the last run's numbers."""
import argparse
import json
import math
import random
from fractions import Fraction


def boxed(answer):
    return "The answer is $\\boxed{" + answer + "}$."


def integers(r, add):
    for _ in range(150):
        n = r.randint(-2000, 20000)
        grouped = f"{n:,}"
        forms = [str(n), f"{n}.0", f"{n}.00", grouped, grouped.replace(",", "{,}"), f"{n}\\%",
                 f"{n}^\\circ", f"{n}^{{\\circ}}", f"\\text{{{n}}}", f"{n}\\text{{ dollars}}", f"\\${n}",
                 f"x = {n}", f"{n}\\,\\text{{cm}}"]
        gold = r.choice([str(n), grouped])
        for f in forms:
            shape = f.replace(grouped, "N,NNN") if "," in grouped else f
            add(boxed(f), gold, True, "integer " + shape.replace(str(n), "N"))
        add(boxed(str(n + r.choice([-1, 1, 10]))), gold, False, "integer: another")


def fractions(r, add):
    for _ in range(150):
        q, p = r.randint(2, 40), r.randint(-60, 60)
        if p == 0 or math.gcd(p, q) != 1:
            continue
        sign, a = ("-" if p < 0 else ""), abs(p)
        forms = [f"{sign}\\frac{{{a}}}{{{q}}}", f"{sign}\\dfrac{{{a}}}{{{q}}}", f"\\frac{{{p}}}{{{q}}}",
                 f"{p}/{q}", f"\\frac{{{2 * p}}}{{{2 * q}}}", f"{sign}\\tfrac{{{a}}}{{{q}}}",
                 f"{sign}\\left(\\frac{{{a}}}{{{q}}}\\right)"]
        if a < 10 and q < 10:
            forms.append(f"{sign}\\frac{a}{q}")
        rest = q
        for f in (2, 5):
            while rest % f == 0:
                rest //= f
        if rest == 1:
            forms.append(str(float(Fraction(p, q))))
        if a > q:
            whole, part = divmod(a, q)
            forms.append(f"{sign}{whole}\\frac{{{part}}}{{{q}}}")
        gold = r.choice([f"\\frac{{{p}}}{{{q}}}", f"{p}/{q}", f"{sign}\\frac{{{a}}}{{{q}}}"])
        for f in forms:
            add(boxed(f), gold, True, "fraction " + f.replace(str(a), "A").replace(str(q), "Q"))
        add(boxed(f"\\frac{{{p + 1}}}{{{q}}}"), gold, False, "fraction: another")
        if rest != 1:
            add(boxed(str(round(p / q, 2))), gold, False, "fraction: rounded")


def roots_and_pi(r, add):
    for _ in range(80):
        k, c = r.choice([2, 3, 5, 6, 7, 10, 11]), r.randint(1, 9)
        gold = f"{c}\\sqrt{{{k}}}" if c > 1 else f"\\sqrt{{{k}}}"
        forms = ([f"\\sqrt{{{k}}}", f"{k}^{{1/2}}", f"{k}^{{\\frac{{1}}{{2}}}}"] if c == 1 else
                 [f"{c}\\sqrt{{{k}}}", f"{c} \\sqrt{{{k}}}", f"\\sqrt{{{c * c * k}}}", f"{c}*\\sqrt{{{k}}}",
                  f"{c}\\cdot\\sqrt{{{k}}}", f"\\sqrt{{{k}}}\\cdot {c}", f"{c}\\cdot {k}^{{1/2}}"])
        if k < 10:
            forms.append(f"{c}\\sqrt{k}" if c > 1 else f"\\sqrt{k}")
        for f in forms:
            add(boxed(f), gold, True, "root " + f.replace(str(k), "K").replace(str(c), "C"))
        add(boxed(f"{c}\\sqrt{{{k + 1}}}"), gold, False, "root: another")
        add(boxed(f"\\frac{{{c}\\sqrt{{{k}}}}}{{2}}"), f"\\frac{{{c}}}{{2}}\\sqrt{{{k}}}", True, "root: over 2")
        add(boxed(f"\\frac{{{c}}}{{\\sqrt{{{k}}}}}"), f"\\frac{{{c}\\sqrt{{{k}}}}}{{{k}}}", True,
            "root: rationalised")
    for _ in range(60):
        c = r.randint(1, 12)
        gold = f"{c}\\pi" if c > 1 else "\\pi"
        forms = ["\\pi", "1\\pi"] if c == 1 else [f"{c}\\pi", f"{c} \\pi", f"{c}*\\pi",
                                                 f"\\frac{{{2 * c}\\pi}}{{2}}", f"{c}\\cdot\\pi"]
        for f in forms:
            add(boxed(f), gold, True, "pi " + f.replace(str(c), "C"))
        add(boxed(f"{c + 1}\\pi"), gold, False, "pi: another")
        add(boxed(f"\\frac{{{c}\\pi}}{{3}}"), f"\\frac{{{c}}}{{3}}\\pi", True, "pi: over 3")


def collections_(r, add):
    for _ in range(60):
        a, b = sorted(r.sample(range(-20, 30), 2))
        lo, hi = r.choice("[("), r.choice("])")
        gold = f"{lo}{a}, {b}{hi}"
        for f in [f"{lo}{a},{b}{hi}", f"\\left{lo}{a}, {b}\\right{hi}", f"{lo}{a},\\ {b}{hi}"]:
            add(boxed(f), gold, True, "interval " + f.replace(str(a), "A").replace(str(b), "B"))
        add(boxed(f"{'(' if lo == '[' else '['}{a}, {b}{hi}"), gold, False, "interval: other end")
    for _ in range(60):
        xs = r.sample(range(-9, 20), r.randint(2, 4))
        ys = xs[:]
        r.shuffle(ys)
        gold = ", ".join(map(str, xs))
        add(boxed(", ".join(map(str, ys))), gold, True, "list: shuffled")
        add(boxed("\\{" + ", ".join(map(str, ys)) + "\\}"), "\\{" + gold + "\\}", True, "set: shuffled")
        add(boxed(", ".join(map(str, xs[:-1]))), gold, False, "list: one missing")
        add(boxed(", ".join(f"x = {y}" for y in ys)), gold, True, "list: x = each")


def polynomials_and_choices(r, add):
    for _ in range(60):
        a, b = r.randint(1, 9), r.randint(1, 9)
        gold = f"x^2 + {a + b}x + {a * b}"
        add(boxed(f"(x+{a})(x+{b})"), gold, True, "polynomial: factored")
        add(boxed(f"x^2+{a + b}x+{a * b}"), gold, True, "polynomial: no spaces")
        add(boxed(f"{a * b} + {a + b}x + x^2"), gold, True, "polynomial: reordered")
        add(boxed(f"x^2 + {a + b}x + {a * b + 1}"), gold, False, "polynomial: another")
        add(boxed(f"y^2 + {a + b}y + {a * b}"), gold, False, "polynomial: another variable")
    for letter in "ABCDE":
        for f in [f"\\text{{({letter})}}", f"({letter})", f"\\textbf{{({letter})}}", letter,
                  f"\\text{{{letter}}}", f"\\mathrm{{{letter}}}"]:
            add(boxed(f), letter, True, "choice " + f.replace(letter, "L"))
            add(boxed(f), f"({letter})", True, "choice vs (L): " + f.replace(letter, "L"))
        add(boxed("B" if letter == "A" else "A"), letter, False, "choice: another")


def powers_of_ten(r, add):
    for _ in range(60):
        m, e = r.randint(1, 9), r.randint(2, 12)
        gold = str(m * 10**e)
        for f in [f"{m}\\times 10^{{{e}}}", f"{m}\\cdot 10^{{{e}}}", f"{m}E{e}", f"{m}E+{e}",
                  f"{m * 10**e:,}"]:
            add(boxed(f), gold, True, "power of ten " + f.replace(str(e), "E").replace(str(m), "M", 1))
        add(boxed(f"{m}\\times 10^{{{e + 1}}}"), gold, False, "power of ten: another")
        add(boxed(f"{m}e{e}"), gold, False, "power of ten: lowercase e is Euler's")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    r = random.Random(args.seed)
    rows = []

    def add(pred, gold, equal, rule):
        rows.append({"pred": pred, "gold": gold, "equal": equal, "rule": rule[:40]})

    for part in (integers, fractions, roots_and_pi, collections_, polynomials_and_choices, powers_of_ten):
        part(r, add)
    with open(args.out, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")
    print(f"wrote {len(rows)} pairs to {args.out}")


if __name__ == "__main__":
    main()
