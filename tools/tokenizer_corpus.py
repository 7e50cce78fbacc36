"""The varied text the tokenizer fixtures and benchmark are built from.

Hand-written strings per category (the categories of issue 3) plus generated
ones (numbers of every length, whitespace runs, mixed scripts), deterministic.
Imported by make_tokenizer_fixtures.py and bench_tokenizer_hf.py.
"""
import random

ENGLISH = [
    "Hello world",
    "Hello, world!",
    "The quick brown fox jumps over the lazy dog.",
    "I'm sure you'll see they've gone, he'd said; we're late and it's Bob's.",
    "I'M SURE YOU'LL SEE THEY'VE GONE, HE'D SAID; WE'RE LATE AND IT'S BOB'S.",
    "don't DON'T Don'T dOn'T can't won't shan't y'all o'clock",
    "'s 't 're 've 'm 'll 'd 'S 'T 'RE 'VE 'M 'LL 'D",
    "The U.S.A. and the U.K. signed the treaty in 1947.",
    "CamelCaseIdentifier and snake_case_identifier and SCREAMING_CASE",
    "e.g. i.e. etc. vs. Mr. Mrs. Dr. St. Jr.",
    "   leading spaces",
    "trailing spaces   ",
    "What's the answer? It's 42 -- obviously!!!",
    "Please reason step by step, and put your final answer within \\boxed{}.",
    "She said, \"It's fine,\" and left.",
    "'quoted' \"double\" `back` «guillemets» „low‟ ‘curly’ “curly”",
    "a b c d e f g h i j k l m n o p q r s t u v w x y z",
    "A",
    "",
    " ",
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "Rock'n'roll isn't dead; it's sleepin'.",
    "email: someone@example.com, url: https://example.org/path?q=1&r=two#frag",
    "#hashtag @mention $100 50% 3*4=12 a^b ~tilde |pipe| \\backslash",
    "The year 2024 had 366 days; 2023 had 365.",
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.",
]

CODE = [
    "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n",
    "import numpy as np\nx = np.arange(10, dtype=np.float32)\nprint(x.mean())",
    "class Foo(Base):\n    \"\"\"Docstring.\"\"\"\n\n    def __init__(self, *args, **kwargs):\n        super().__init__(*args, **kwargs)\n",
    "for i in range(10):\n\tif i % 2 == 0:\n\t\tcontinue\n\tprint(f\"{i:03d}\")",
    "lambda x: x ** 2 if x >= 0 else -x  # comment with 'quotes'",
    "#include <vector>\n\nint main() {\n  std::vector<int> v{1, 2, 3};\n  for (auto& x : v) x *= 2;\n  return 0;\n}\n",
    "template <typename T>\nT max(const T& a, const T& b) { return a < b ? b : a; }",
    "auto p = std::make_unique<Foo>(/*size=*/42);  // owner\np->bar()->baz[3] <<= 1;",
    "if (x != nullptr && *x >= 0x7FFF'FFFF) { throw std::runtime_error(\"overflow\"); }",
    "std::cout << \"Hello\\n\" << std::endl;",
    "SELECT name, COUNT(*) FROM users WHERE age > 30 GROUP BY name ORDER BY 2 DESC;",
    "const f = async (a, b) => { await g(a?.b ?? 0); return [...a, b]; };",
    "<div class=\"main\"><p>Text &amp; more &lt;tags&gt;</p></div>",
    "{\"key\": [1, 2.5, null, true], \"nested\": {\"a\": \"b\"}}",
    "$ ls -la | grep '^d' > out.txt 2>&1 && echo done",
    "fn main() { let v: Vec<u8> = vec![0; 16]; println!(\"{:?}\", v); }",
    "    \n        \n\t\t\n",
    "x=1;y=2;z=x+y;w=x-y;q=x*y;r=x/y;s=x%y;t=x<<y;u=x>>y;",
    "// TODO(someone): fix this\n/* block\n   comment */",
    "0x1F 0b1010 0o777 1e-9 3.14159f 6.02e23 -0.0 +inf NaN",
]

MATH = [
    "$x^2 + y^2 = z^2$",
    "\\frac{1}{2} + \\frac{1}{3} = \\frac{5}{6}",
    "\\int_0^1 x^2 \\, dx = \\frac{1}{3}",
    "\\sum_{k=1}^{n} k = \\frac{n(n+1)}{2}",
    "\\begin{align} a &= b + c \\\\ d &= e - f \\end{align}",
    "The answer is \\boxed{\\dfrac{\\sqrt{3}}{2}}.",
    "$$\\lim_{x \\to \\infty} \\left(1 + \\frac{1}{x}\\right)^x = e$$",
    "Let $f: \\mathbb{R} \\to \\mathbb{R}$ with $f(x) = \\sin(\\pi x)$.",
    "∀ε>0 ∃δ>0: |x−a|<δ ⇒ |f(x)−f(a)|<ε",
    "√2 ≈ 1.41421356, π ≈ 3.14159, ∑ᵢ xᵢ², ∞, ∂f/∂x, ∇·F",
    "x₁ + x₂ = y³; a ≤ b ≥ c ≠ d ± e × f ÷ g",
    "<think>\nLet me compute 12 * 13 = 156.\n</think>\n<answer>156</answer>",
    "\\left[ \\begin{matrix} 1 & 0 \\\\ 0 & 1 \\end{matrix} \\right]",
    "P(A|B) = \\frac{P(B|A)P(A)}{P(B)}",
    "50\\% of 1,234,567.89 is 617,283.945",
]

NUMBERS = [
    "0", "7", "42", "123", "1234", "12345", "123456", "1234567", "12345678",
    "123456789", "1234567890", "12345678901234567890",
    "3.14", "-273.15", "1,000,000", "1.000.000,00", "1e10", "2^64 = 18446744073709551616",
    "phone: +1 (555) 123-4567", "Date: 2025-01-20T12:34:56Z", "v1.2.3-rc4",
    "١٢٣٤٥ ٦٧٨٩", "一二三 四五六", "１２３４５", "Ⅻ ⅷ ½ ¾ ⁴ ₅ ①②③",
    "00000000", "0.000001", "999999999999", "10:30pm", "3rd 21st 42nd 100th",
]

CJK = [
    "你好，世界！",
    "深度求索是一家人工智能公司。",
    "我爱北京天安门，天安门上太阳升。",
    "日本語のテキストです。ひらがなとカタカナと漢字。",
    "東京都渋谷区で会議があります。",
    "ｶﾀｶﾅ ﾊﾝｶｸ 半角カナ",
    "中文English混合text测试123",
    "「引用」『二重引用』【括弧】〔亀甲〕",
    "這是繁體中文的句子。",
    "机器学习和深度学习的区别是什么？",
    "𠀀𠀁𪚥 rare CJK extension characters",
    "〇一二三四五六七八九十百千万亿",
]

KOREAN = [
    "안녕하세요, 세계!",
    "대한민국의 수도는 서울입니다.",
    "한국어 형태소 분석은 어렵습니다.",
    "ㄱㄴㄷㄹ ㅏㅑㅓㅕ 한글 자모",
]

ARABIC_CYRILLIC_OTHER = [
    "مرحبا بالعالم",
    "اللغة العربية جميلة جدا.",
    "שלום עולם",
    "Привет, мир!",
    "Съешь же ещё этих мягких французских булок, да выпей чаю.",
    "ПРИВЕТ мир Ёжик ёлка",
    "Γειά σου Κόσμε! ΟΔΟΣ οδός",
    "नमस्ते दुनिया",
    "สวัสดีชาวโลก",
    "Xin chào thế giới",
    "Zażółć gęślą jaźń",
    "Straße, Größe, Übermaß, ÄÖÜ äöü ß ẞ",
    "Ꭰ Ꭱ Ꭲ Cherokee; ᚠᚢᚦᚨᚱᚲ runes; ⴰⵣⵓⵍ Tifinagh",
    "Ελληνικά και русский и עברית و العربية together",
]

EMOJI = [
    "I love 🍕 and 🍺!",
    "👨‍👩‍👧‍👦 family",
    "👩🏽‍💻 technologist, 🧑🏿‍🚀 astronaut",
    "🏳️‍🌈 🏴‍☠️ flags",
    "🇺🇸🇬🇧🇯🇵🇨🇳🇰🇷 flags in a row",
    "❤️ ❤ ♥️ 💯 ✅ ❌ ⚠️",
    "😀😃😄😁😆😅🤣😂🙂🙃😉😊😇",
    "👍🏻👍🏼👍🏽👍🏾👍🏿",
    "🤷‍♀️🤷‍♂️",
    "keycap: 1️⃣ #️⃣ *️⃣",
    "emoji🙂inside🙂words",
    "🏴󠁧󠁢󠁳󠁣󠁴󠁿 Scotland tag sequence",
]

COMBINING = [
    "café",                       # precomposed é
    "cafe\u0301",                 # e + combining acute (NFC composes it)
    "n\u0303o\u0308",             # ñ ö decomposed
    "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324\u031e\u0349\u035a\u032f\u031e\u0320\u034dalgo",
    "ệ ḍ ṃ ǖ ǘ a\u0323\u0302",
    "Å vs A\u030a vs \u212b (angstrom sign)",
    "ﬁ ﬂ ﬀ ligatures, ㎏ ㎞ ℃ compatibility",
    "\u1100\u1161\u11a8 conjoining jamo",
    "क्षत्रिय devanagari conjuncts",
    "e\u0301\u0301\u0301 stacked",
]

WHITESPACE = [
    "a  b   c    d     e",
    "tab\tseparated\tvalues\t\t\tend",
    "line1\nline2\n\nline4\n\n\n",
    "crlf\r\nline\r\n\r\nend\r\n",
    "cr\ronly\r\rend",
    "\n\n\n",
    "\t\t",
    "    ",
    " \n \n ",
    "mixed \t \n \r\n  \t  end",
    "non\u00a0breaking\u00a0space",
    "narrow\u202fno-break and figure\u2007space",
    "ideographic\u3000space\u3000here",
    "em\u2003space en\u2002space thin\u2009space hair\u200aspace",
    "zero\u200bwidth\u200cnon\u200djoiner\u2060word joiner\ufeffbom",
    "line\u2028separator\u2029paragraph",
    "vertical\u000btab and form\u000cfeed",
    "next\u0085line",
    "ogham\u1680space",
    "trailing newline\n",
    "   \n\n   indented\n      more\n",
    "a\n b\n  c\n   d",
    "end with spaces and newline  \n",
    "Hello\n\n\n\n\n\n\n\nWorld",
]

SPECIAL = [
    "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n",
    "<|endoftext|>",
    "text<|endoftext|>text",
    "<|im_start|><|im_end|><|im_start|>",
    "<think>\nreasoning here\n</think>\n\nThe answer.",
    "before<think>inside</think>after",
    "<|im_start|>system\nYou are helpful.<|im_end|>",
    "not special: <|im_start and im_end|> and <|foo|> and <think",
    "<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_call>",
    "  <|im_end|>  spaces around  <|im_end|>",
    "<|vision_start|><|image_pad|><|vision_end|>",
    "<|endoftext|><|endoftext|><|endoftext|>",
    "<|fim_prefix|>def f():<|fim_suffix|>\n<|fim_middle|>    pass",
    # Exercise lstrip/rstrip/single_word/normalized in the added_tokens variant.
    "Fill the [MASK] here and  [MASK]\t[MASK]",
    "a<sep>  b <sep>\n\nc<sep>",
    "x   <both>   y<both>z",
    "word words sword wordy _word word_ 'word' word. (word) word1 wordé",
    "ﬁx fix suffix FIX prefixed",
    "<｜User｜>hi<｜Assistant｜>",
    "xĠĠwordy ĠĠword",
]

EDGE = [
    "\u0000null\u0000byte",
    "\u0001\u0002\u0003\u001f control chars \u007f",
    "\ufffd replacement char",
    "\U0010ffff max code point \U000e0041 tag",
    "private use \ue000\uf8ff",
    "'ſ 'K (long s and kelvin sign)",
    "İstanbul ıi İI",
    "a'b'c 'tis ''double'' '",
    "...!!!???,,,;;;:::",
    "----====____****####",
    "ab" * 200,
    "x" * 1000,
    " " * 100 + "x",
    "9" * 100,
    "\n" * 50 + "end",
    "".join(chr(97 + (i * 7 + i // 13) % 26) for i in range(20000)),  # one 20k-letter word
]


def generated():
    rng = random.Random(1234)
    out = []
    # Numbers of every length, alone and in text.
    for n in range(1, 25):
        digits = "".join(rng.choice("0123456789") for _ in range(n))
        out.append(digits)
        out.append(f"total: {digits} units")
    # Whitespace runs of each kind and length before words and at the end.
    for ws in [" ", "  ", "\t", "\n", "\r\n", "\u00a0", " \n", "\n ", "\t\n"]:
        for k in (1, 2, 3, 5):
            out.append(f"word{ws * k}word")
            out.append(f"word{ws * k}")
            out.append(f"{ws * k}word")
    # Random mixes drawn from the hand-written strings.
    pool = (ENGLISH + CODE + MATH + CJK + KOREAN + ARABIC_CYRILLIC_OTHER + EMOJI + COMBINING
            + WHITESPACE + SPECIAL)
    pool = [p for p in pool if p]
    for _ in range(60):
        k = rng.randint(2, 4)
        sep = rng.choice([" ", "\n", "", "\t", "  ", "\n\n"])
        out.append(sep.join(rng.choice(pool) for _ in range(k)))
    # Random code points from many blocks.
    ranges = [(0x20, 0x7e), (0xa0, 0x24f), (0x370, 0x3ff), (0x400, 0x4ff), (0x590, 0x6ff),
              (0x900, 0x97f), (0x3040, 0x30ff), (0x4e00, 0x4fff), (0xac00, 0xad00),
              (0x1f300, 0x1f64f), (0x2000, 0x206f), (0x300, 0x36f)]
    for _ in range(30):
        s = []
        for _ in range(rng.randint(1, 30)):
            lo, hi = rng.choice(ranges)
            s.append(chr(rng.randint(lo, hi)))
        out.append("".join(s))
    return out


def corpus():
    hand = (ENGLISH + CODE + MATH + NUMBERS + CJK + KOREAN + ARABIC_CYRILLIC_OTHER + EMOJI
            + COMBINING + WHITESPACE + SPECIAL + EDGE)
    seen, out = set(), []
    for s in hand + generated():
        if s not in seen:
            seen.add(s)
            out.append(s)
    return out


if __name__ == "__main__":
    print(len(corpus()))
