#!/usr/bin/env python3
"""Reference fixtures for the tokenizer tests, made with Hugging Face
`tokenizers` and `transformers` (nobody here wrote either).

Writes into tests/fixtures/tokenizer/:
  qwen3_corpus.jsonl   ids of the real Qwen3 tokenizer (../shared/tokenizers/qwen3)
                       for every corpus string, with and without special tokens
                       (and with special tokens in the text split as plain text),
                       and its decodes (plain and skip_special_tokens)
  qwen3_decode.jsonl   decodes of random id runs (broken UTF-8 becomes U+FFFD)
  variants.json        other pipelines on the Qwen3 vocabulary (Llama 3 and
                       DeepSeek-V3 pre-tokenizers with BOS post-processing and
                       ignore_merges, GPT-2 ByteLevel regex with prefix space,
                       added tokens with lstrip/rstrip/single_word/normalized,
                       every Split behaviour and invert, NFKC + Lowercase),
                       each with the overrides applied and the expected ids
  chat_templates.json  transformers' apply_chat_template output for Qwen3,
                       Qwen2.5, Llama 3, Llama 3.2 and DeepSeek-R1-Distill conversations
  chat_tools.json      the same with tools and tool calls (OpenAI-style JSON)
  jinja_probes.json    small templates probing Jinja features, rendered by
                       transformers' Jinja environment
  tiny/expected.jsonl  ids HF gives with the tokenizer `r1 tokenizer train` made
                       (tiny/tokenizer.json; needs --r1 to regenerate it)

  .venv/bin/python tools/make_tokenizer_fixtures.py [--r1 build/tools/r1/r1]
"""
import argparse
import copy
import json
import os
import random
import subprocess
import sys

from tokenizers import Tokenizer

sys.path.insert(0, os.path.dirname(__file__))
from tokenizer_corpus import corpus  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "tests", "fixtures", "tokenizer")
QWEN3 = os.path.join(ROOT, "..", "shared", "tokenizers", "qwen3")

LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
                  r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
DEEPSEEK_V3_PATTERNS = [
    r"\p{N}{1,3}",
    "[一-龥\u3040-ゟ゠-ヿ]+",
    r"[!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+|"
    r" ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
]


def split(pattern, behavior="Isolated", invert=False, literal=False):
    return {"type": "Split", "pattern": {"String" if literal else "Regex": pattern},
            "behavior": behavior, "invert": invert}


def byte_level(add_prefix_space=False, use_regex=False):
    return {"type": "ByteLevel", "add_prefix_space": add_prefix_space, "trim_offsets": False,
            "use_regex": use_regex}


def bos_template(token, token_id):
    return {"type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": token, "type_id": 0}},
                       {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": token, "type_id": 0}},
                     {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": token, "type_id": 1}},
                     {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {token: {"id": token, "ids": [token_id], "tokens": [token]}}}


def added(i, content, special=True, lstrip=False, rstrip=False, single_word=False,
          normalized=False):
    return {"id": i, "content": content, "single_word": single_word, "lstrip": lstrip,
            "rstrip": rstrip, "normalized": normalized, "special": special}


def variants(base):
    """(name, overrides of top-level keys / "model.<key>") on the Qwen3 file."""
    extra_added = base["added_tokens"] + [
        added(151700, "[MASK]", lstrip=True),
        added(151701, "<sep>", rstrip=True),
        added(151702, "word", special=False, single_word=True, normalized=True),
        added(151703, "fix", special=False, normalized=True),
        added(151704, "<both>", lstrip=True, rstrip=True),
        # Decoding: a token with a character outside the byte alphabet decodes
        # to its own text; "é" is also a model token (HF gives it the model's
        # id, whose byte 0xE9 alone decodes to U+FFFD); "ĠĠword" goes through
        # the ByteLevel decoder like a model token.
        added(151705, "<｜User｜>"),
        added(151706, "é", special=False),
        added(151707, "ĠĠword", special=False),
    ]
    return [
        ("llama3_style", {
            "normalizer": None,
            "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                split(LLAMA3_PATTERN), byte_level()]},
            "post_processor": {"type": "Sequence", "processors": [
                byte_level(), bos_template("<|endoftext|>", 151643)]},
            "decoder": {"type": "Sequence", "decoders": [byte_level()]},
            "model.ignore_merges": True,
        }),
        ("deepseek_v3_style", {
            "normalizer": None,
            "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                split(p) for p in DEEPSEEK_V3_PATTERNS] + [byte_level()]},
            "post_processor": bos_template("<|im_start|>", 151644),
        }),
        ("gpt2_style", {
            "normalizer": None,
            "pre_tokenizer": byte_level(add_prefix_space=True, use_regex=True),
            "post_processor": byte_level(),
        }),
        ("added_tokens", {
            "normalizer": {"type": "NFKC"},
            "added_tokens": extra_added,
            "post_processor": {"type": "RobertaProcessing", "sep": ["<|im_end|>", 151645],
                               "cls": ["<|im_start|>", 151644], "trim_offsets": False,
                               "add_prefix_space": False},
        }),
        ("split_behaviours", {
            "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFD"}]},
            "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                split(r"\s+", "MergedWithNext"),
                split("-", "MergedWithPrevious", literal=True),
                split(r"[\u3040-\u30ff]+"),
                split(r"\p{N}", "Contiguous"),
                split(r"[^xyz]+", "Removed", invert=True),
                split(r"[.,;:!?]", "Removed"),
                {"type": "Digits", "individual_digits": True},
                byte_level()]},
        }),
        ("replace_prepend_bert", {
            "normalizer": {"type": "Sequence", "normalizers": [
                {"type": "Replace", "pattern": {"String": "  "}, "content": " "},
                {"type": "Replace", "pattern": {"Regex": r"\d{3,}"}, "content": "#"},
                {"type": "Prepend", "prepend": "▁"}]},
            "post_processor": {"type": "BertProcessing", "sep": ["<|im_end|>", 151645],
                               "cls": ["<|im_start|>", 151644]},
        }),
        ("nfkc_lowercase", {
            "normalizer": {"type": "Sequence", "normalizers": [
                {"type": "NFKC"}, {"type": "Lowercase"}]},
        }),
    ]


def apply_overrides(base, overrides):
    j = copy.deepcopy(base)
    for k, v in overrides.items():
        if k.startswith("model."):
            j["model"][k[len("model."):]] = v
        else:
            j[k] = v
    return j


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def make_qwen3(texts):
    tok = Tokenizer.from_file(os.path.join(QWEN3, "tokenizer.json"))
    split = Tokenizer.from_file(os.path.join(QWEN3, "tokenizer.json"))
    split.encode_special_tokens = True
    rows = []
    for t in texts:
        ids = tok.encode(t, add_special_tokens=False).ids
        rows.append({"text": t, "ids": ids,
                     "ids_special": tok.encode(t, add_special_tokens=True).ids,
                     "ids_split_special": split.encode(t, add_special_tokens=False).ids,
                     "decoded": tok.decode(ids, skip_special_tokens=False),
                     "decoded_skip": tok.decode(ids, skip_special_tokens=True)})
    write_jsonl(os.path.join(OUT, "qwen3_corpus.jsonl"), rows)

    rng = random.Random(7)
    n = tok.get_vocab_size(with_added_tokens=True)
    dec = []
    for _ in range(200):
        ids = [rng.randrange(n) for _ in range(rng.randint(1, 12))]
        dec.append({"ids": ids, "text": tok.decode(ids, skip_special_tokens=False),
                    "text_skip": tok.decode(ids, skip_special_tokens=True)})
    write_jsonl(os.path.join(OUT, "qwen3_decode.jsonl"), dec)
    print(f"qwen3: {len(rows)} strings, {sum(len(r['ids']) for r in rows)} ids")


def make_variants(texts):
    with open(os.path.join(QWEN3, "tokenizer.json"), encoding="utf-8") as f:
        base = json.load(f)
    out = []
    texts = [t for t in texts if len(t) <= 2000]  # the 20k-letter word stays in qwen3_corpus
    for name, overrides in variants(base):
        tok = Tokenizer.from_str(json.dumps(apply_overrides(base, overrides)))
        split = Tokenizer.from_str(json.dumps(apply_overrides(base, overrides)))
        split.encode_special_tokens = True
        cases = []
        for t in texts:
            ids = tok.encode(t, add_special_tokens=False).ids
            cases.append({"text": t, "ids": ids,
                          "ids_special": tok.encode(t, add_special_tokens=True).ids,
                          "ids_split_special": split.encode(t, add_special_tokens=False).ids,
                          "decoded": tok.decode(ids, skip_special_tokens=False),
                          "decoded_skip": tok.decode(ids, skip_special_tokens=True)})
        out.append({"name": name, "overrides": overrides, "cases": cases})
        print(f"variant {name}: {len(cases)} strings")
    with open(os.path.join(OUT, "variants.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False)


# Published chat templates, written out here (no hub access when fixtures are
# made): Qwen2.5-Instruct, Meta-Llama-3-Instruct, DeepSeek-R1-Distill-Qwen.
# Qwen3's comes from its real tokenizer_config.json.
QWEN25_TEMPLATE = (
    "{%- if tools %}\n    {{- '<|im_start|>system\\n' }}\n    {%- if messages[0]['role'] == 'system' %}\n"
    "        {{- messages[0]['content'] }}\n    {%- else %}\n"
    "        {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}\n"
    "    {%- endif %}\n"
    "    {{- \"\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\n"
    "You are provided with function signatures within <tools></tools> XML tags:\\n<tools>\" }}\n"
    "    {%- for tool in tools %}\n        {{- \"\\n\" }}\n        {{- tool | tojson }}\n    {%- endfor %}\n"
    "    {{- \"\\n</tools>\\n\\nFor each function call, return a json object with function name and "
    "arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\\"name\\\": <function-name>, "
    "\\\"arguments\\\": <args-json-object>}\\n</tool_call><|im_end|>\\n\" }}\n"
    "{%- else %}\n    {%- if messages[0]['role'] == 'system' %}\n"
    "        {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}\n"
    "    {%- else %}\n"
    "        {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful "
    "assistant.<|im_end|>\\n' }}\n    {%- endif %}\n{%- endif %}\n"
    "{%- for message in messages %}\n"
    "    {%- if (message.role == \"user\") or (message.role == \"system\" and not loop.first) or "
    "(message.role == \"assistant\" and not message.tool_calls) %}\n"
    "        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}\n"
    "    {%- elif message.role == \"assistant\" %}\n        {{- '<|im_start|>' + message.role }}\n"
    "        {%- if message.content %}\n            {{- '\\n' + message.content }}\n        {%- endif %}\n"
    "        {%- for tool_call in message.tool_calls %}\n            {%- if tool_call.function is defined %}\n"
    "                {%- set tool_call = tool_call.function %}\n            {%- endif %}\n"
    "            {{- '\\n<tool_call>\\n{\"name\": \"' }}\n            {{- tool_call.name }}\n"
    "            {{- '\", \"arguments\": ' }}\n            {{- tool_call.arguments | tojson }}\n"
    "            {{- '}\\n</tool_call>' }}\n        {%- endfor %}\n        {{- '<|im_end|>\\n' }}\n"
    "    {%- elif message.role == \"tool\" %}\n"
    "        {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != \"tool\") %}\n"
    "            {{- '<|im_start|>user' }}\n        {%- endif %}\n"
    "        {{- '\\n<tool_response>\\n' }}\n        {{- message.content }}\n"
    "        {{- '\\n</tool_response>' }}\n"
    "        {%- if loop.last or (messages[loop.index0 + 1].role != \"tool\") %}\n"
    "            {{- '<|im_end|>\\n' }}\n        {%- endif %}\n    {%- endif %}\n{%- endfor %}\n"
    "{%- if add_generation_prompt %}\n    {{- '<|im_start|>assistant\\n' }}\n{%- endif %}\n")

LLAMA3_TEMPLATE = (
    "{% set loop_messages = messages %}{% for message in loop_messages %}"
    "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'"
    "+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}"
    "{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}"
    "{% endif %}")

DEEPSEEK_R1_DISTILL_TEMPLATE = (
    "{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}"
    "{% set ns = namespace(is_first=false, is_tool=false, is_output_first=true, system_prompt='') %}"
    "{%- for message in messages %}{%- if message['role'] == 'system' %}"
    "{% set ns.system_prompt = message['content'] %}{%- endif %}{%- endfor %}"
    "{{bos_token}}{{ns.system_prompt}}{%- for message in messages %}"
    "{%- if message['role'] == 'user' %}{%- set ns.is_tool = false -%}"
    "{{'<｜User｜>' + message['content']}}{%- endif %}"
    "{%- if message['role'] == 'assistant' and message['content'] is none %}"
    "{%- set ns.is_tool = false -%}{%- for tool in message['tool_calls']%}"
    "{%- if not ns.is_first %}{{'<｜Assistant｜><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>' + "
    "tool['type'] + '<｜tool▁sep｜>' + tool['function']['name'] + '\\n' + '```json' + '\\n' + "
    "tool['function']['arguments'] + '\\n' + '```' + '<｜tool▁call▁end｜>'}}"
    "{%- set ns.is_first = true -%}{%- else %}{{'\\n' + '<｜tool▁call▁begin｜>' + tool['type'] + "
    "'<｜tool▁sep｜>' + tool['function']['name'] + '\\n' + '```json' + '\\n' + "
    "tool['function']['arguments'] + '\\n' + '```' + '<｜tool▁call▁end｜>'}}"
    "{{'<｜tool▁calls▁end｜><｜end▁of▁sentence｜>'}}{%- endif %}{%- endfor %}{%- endif %}"
    "{%- if message['role'] == 'assistant' and message['content'] is not none %}"
    "{%- if ns.is_tool %}{{'<｜tool▁outputs▁end｜>' + message['content'] + '<｜end▁of▁sentence｜>'}}"
    "{%- set ns.is_tool = false -%}{%- else %}{% set content = message['content'] %}"
    "{% if '</think>' in content %}{% set content = content.split('</think>')[-1] %}{% endif %}"
    "{{'<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>'}}{%- endif %}{%- endif %}"
    "{%- if message['role'] == 'tool' %}{%- set ns.is_tool = true -%}{%- if ns.is_output_first %}"
    "{{'<｜tool▁outputs▁begin｜><｜tool▁output▁begin｜>' + message['content'] + '<｜tool▁output▁end｜>'}}"
    "{%- set ns.is_output_first = false %}{%- else %}"
    "{{'\\n<｜tool▁output▁begin｜>' + message['content'] + '<｜tool▁output▁end｜>'}}{%- endif %}"
    "{%- endif %}{%- endfor -%}{% if ns.is_tool %}{{'<｜tool▁outputs▁end｜>'}}{% endif %}"
    "{% if add_generation_prompt and not ns.is_tool %}{{'<｜Assistant｜><think>\\n'}}{% endif %}")

LLAMA32_TEMPLATE = (
    "{{- bos_token }}\n{%- if custom_tools is defined %}\n    {%- set tools = custom_tools %}\n{%- endif %}\n"
    "{%- if not tools_in_user_message is defined %}\n    {%- set tools_in_user_message = true %}\n{%- endif %}\n"
    "{%- if not date_string is defined %}\n    {%- if strftime_now is defined %}\n"
    "        {%- set date_string = strftime_now(\"%d %b %Y\") %}\n    {%- else %}\n"
    "        {%- set date_string = \"26 Jul 2024\" %}\n    {%- endif %}\n{%- endif %}\n"
    "{%- if not tools is defined %}\n    {%- set tools = none %}\n{%- endif %}\n\n"
    "{#- This block extracts the system message, so we can slot it into the right place. #}\n"
    "{%- if messages[0]['role'] == 'system' %}\n    {%- set system_message = messages[0]['content']|trim %}\n"
    "    {%- set messages = messages[1:] %}\n{%- else %}\n    {%- set system_message = \"\" %}\n{%- endif %}\n\n"
    "{#- System message #}\n{{- \"<|start_header_id|>system<|end_header_id|>\\n\\n\" }}\n"
    "{%- if tools is not none %}\n    {{- \"Environment: ipython\\n\" }}\n{%- endif %}\n"
    "{{- \"Cutting Knowledge Date: December 2023\\n\" }}\n{{- \"Today Date: \" + date_string + \"\\n\\n\" }}\n"
    "{%- if tools is not none and not tools_in_user_message %}\n"
    "    {{- \"You have access to the following functions. To call a function, please respond with JSON for a function call.\" }}\n"
    "    {{- 'Respond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its value}.' }}\n"
    "    {{- \"Do not use variables.\\n\\n\" }}\n    {%- for t in tools %}\n        {{- t | tojson(indent=4) }}\n"
    "        {{- \"\\n\\n\" }}\n    {%- endfor %}\n{%- endif %}\n{{- system_message }}\n{{- \"<|eot_id|>\" }}\n\n"
    "{#- Custom tools are passed in a user message with some extra guidance #}\n"
    "{%- if tools_in_user_message and not tools is none %}\n"
    "    {#- Extract the first user message so we can plug it in here #}\n"
    "    {%- if messages | length != 0 %}\n        {%- set first_user_message = messages[0]['content']|trim %}\n"
    "        {%- set messages = messages[1:] %}\n    {%- else %}\n"
    "        {{- raise_exception(\"Cannot put tools in the first user message when there's no first user message!\") }}\n"
    "{%- endif %}\n    {{- '<|start_header_id|>user<|end_header_id|>\\n\\n' -}}\n"
    "    {{- \"Given the following functions, please respond with a JSON for a function call \" }}\n"
    "    {{- \"with its proper arguments that best answers the given prompt.\\n\\n\" }}\n"
    "    {{- 'Respond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its value}.' }}\n"
    "    {{- \"Do not use variables.\\n\\n\" }}\n    {%- for t in tools %}\n        {{- t | tojson(indent=4) }}\n"
    "        {{- \"\\n\\n\" }}\n    {%- endfor %}\n    {{- first_user_message + \"<|eot_id|>\"}}\n{%- endif %}\n\n"
    "{%- for message in messages %}\n"
    "    {%- if not (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}\n"
    "        {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' }}\n"
    "    {%- elif 'tool_calls' in message %}\n        {%- if not message.tool_calls|length == 1 %}\n"
    "            {{- raise_exception(\"This model only supports single tool-calls at once!\") }}\n        {%- endif %}\n"
    "        {%- set tool_call = message.tool_calls[0].function %}\n"
    "        {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' -}}\n"
    "        {{- '{\"name\": \"' + tool_call.name + '\", ' }}\n        {{- '\"parameters\": ' }}\n"
    "        {{- tool_call.arguments | tojson }}\n        {{- \"}\" }}\n        {{- \"<|eot_id|>\" }}\n"
    "    {%- elif message.role == \"tool\" or message.role == \"ipython\" %}\n"
    "        {{- \"<|start_header_id|>ipython<|end_header_id|>\\n\\n\" }}\n"
    "        {%- if message.content is mapping or message.content is iterable %}\n"
    "            {{- message.content | tojson }}\n        {%- else %}\n            {{- message.content }}\n"
    "        {%- endif %}\n        {{- \"<|eot_id|>\" }}\n    {%- endif %}\n{%- endfor %}\n"
    "{%- if add_generation_prompt %}\n    {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}\n{%- endif %}\n")

# Small templates probing the Jinja features chat templates use, rendered by
# transformers' own Jinja environment (trim_blocks, lstrip_blocks, loopcontrols).
JINJA_PROBES = [
    ("a\n  {% if true %}\n    b\n  {% endif %}\nc\n", {}),
    ("{%- for m in l -%}\n  [{{ loop.index }}/{{ loop.length }} {{ m }}{{ ',' if not loop.last }}]\n{%- endfor %}",
     {"l": ["x", "y", "z"]}),
    ("{{ 'Hello  World '.split() }} {{ 'a,b,,c'.split(',') }} {{ 'a b c'.split(' ', 1) }} "
     "{{ ' x '.strip() }}|{{ 'xxhixx'.strip('x') }}|{{ '\\n\\nt\\n'.lstrip('\\n') }}|{{ 'abc'.upper() }} "
     "{{ 'Hello'.startswith('He') }} {{ 'Hello'.endswith(('x', 'lo')) }} {{ 'hi' ~ 3 ~ none }} "
     "{{ 'a-b-c'.replace('-', '+') }} {{ 'hello world'.title() }} {{ 'ab'.find('b') }}", {}),
    ("{{ [1,2,3,4,5][1:3] }} {{ [1,2,3,4,5][::-1] }} {{ 'héllo'[1:] }} {{ [1,2,3][-1] }} "
     "{{ 'abc'[::-1] }} {{ [1,2,3,4,5][::2] }} {{ [1,2,3,4,5][-2:] }} {{ [1,2,3][5] is defined }}", {}),
    ("{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 2 ** 10 }} {{ 1 + 2 * 3 }} "
     "{{ (1 + 2) * 3 }} {{ 0.1 + 0.2 }} {{ 1.0 }} {{ 3.0 * 2 }} {{ 10 - 2 - 3 }} {{ -3 + 1 }} {{ 'ab' * 3 }}", {}),
    ("{{ x is defined }} {{ y is defined }} {{ x is string }} {{ n is number }} {{ none is none }} "
     "{{ d is mapping }} {{ l is iterable }} {{ 3 is odd }} {{ f is false }} {{ x.foo is defined }} "
     "{{ d.k is defined }} {{ n is not string }} {{ n is integer }} {{ 4 is divisibleby 2 }} "
     "{{ not y is defined }}",
     {"x": "s", "n": 3, "d": {"k": 1}, "l": [], "f": False}),
    ("{% set ns = namespace(c=0, s='') %}{% set v = 1 %}{% for i in range(3) %}"
     "{% set ns.c = ns.c + i %}{% set ns.s = ns.s ~ i %}{% set v = 10 %}{% endfor %}"
     "{{ ns.c }} {{ ns.s }} {{ v }} {{ range(2, 8, 3) | list }}", {}),
    ("{{ d | tojson }}|{{ d | tojson(indent=4) }}|{{ 'a\"b\\n\\u00e9\\t/<>&' | tojson }}|"
     "{{ [] | tojson }}|{{ 1.5 | tojson }}|{{ {} | tojson(indent=2) }}|{{ none | tojson }}",
     {"d": {"b": 1, "a": [True, None, "x", 2.5], "c": {}, "e": "ü"}}),
    ("{{ l | length }} {{ l | join('-') }} {{ l | first }} {{ l | last }} [{{ ' a ' | trim }}] "
     "{{ none | string }} {{ u | default('dflt') }} {{ '' | default('e', true) }} {{ l | reverse | list }} "
     "{{ l | select('odd') | list }} {{ l | reject('equalto', 2) | list }} {{ '42' | int + 1 }} "
     "{{ 'abc' | length }} {{ ms | map(attribute='role') | join(',') }} "
     "{{ ms | selectattr('role', 'equalto', 'user') | list | length }} {{ 'x' | upper }}",
     {"l": [1, 2, 3], "ms": [{"role": "user"}, {"role": "assistant"}, {"role": "user"}]}),
    ("{{ d.get('a') }} {{ d.get('z', 'no') }} {{ d.get('z') }} {{ 'a' in d }} {{ 'z' not in d }} "
     "{{ 2 in [1,2] }} {{ 'ell' in 'hello' }}{% for k, v in d.items() %} {{k}}={{v}}{% endfor %}"
     "{% for k in d %} {{ k }}{% endfor %}{% for k, v in d | items %} {{ v }}{% endfor %}",
     {"d": {"a": 1, "b": "two"}}),
    ("{% for i in range(10) %}{% if i == 2 %}{% continue %}{% endif %}{% if i > 4 %}{% break %}{% endif %}"
     "{{ i }}{% endfor %}|{% for i in [] %}x{% else %}empty{% endfor %}|"
     "{% for i in range(6) if i is even %}{{ i }}{{ loop.index }}{% endfor %}", {}),
    ("{{ true }} {{ none }} {{ [1, 'a', none, true] }} {{ {'a': 1, 'b': [2]} }} {{ 2.50 }} {{ \"it's\" }}", {}),
    ("{# comment #}\nline1\n{#- c2 -#}\n  line2\n    {%- if true %}\nX\n    {% endif %}\nend\n"
     "  {% for i in [1, 2] %}\n  item{{ i }}\n  {% endfor %}\n", {}),
    ("{{ 'a' if x else 'b' }} {{ x and 'y' }} {{ '' or 'z' }} {{ not x }} {{ 'q' if not x }}|"
     "{{ x == 1 and (2 > 1 or false) }} {{ 1 < 2 <= 2 }} {{ 'b' > 'a' }}", {"x": 1}),
    ("{{ 'tab\\there' }}{{ \"q'uote\" }}{{ '\\u00e9' }}{{ 'a' 'b' }}", {}),
    ("{{ messages[0]['content'] | trim }}{{ messages[1:] | length }}{{ messages[0].role }}"
     "{% set m = messages[-1] %}{{ m['role'] }}{{ messages | length - 1 }}",
     {"messages": [{"role": "system", "content": "  sys  "}, {"role": "user", "content": "u"}]}),
    ("{% generation %}gen {{ 1 }}{% endgeneration %}|{%- if x -%}  yes  {%- endif -%}  |", {"x": True}),
    ("{% macro item(name, tag='p', sep=': ') %}<{{ tag }}>{{ name }}{{ sep }}{{ g }}</{{ tag }}>{% endmacro %}"
     "{{ item('a') }}|{{ item('b', 'q') }}|{{ item('c', sep='=') }}|{{ item(name='d', tag='t') }}|"
     "{% set block %}\n  x={{ g }}\n{% endset %}[{{ block }}]{{ block | length }}",
     {"g": "G"}),
    ("{{ 'straße'.upper() }} {{ 'ÉCOLE ΟΔΟΣ'.lower() }} {{ s | upper }} {{ s | lower }}",
     {"s": "Füße Ñandú"}),
]


TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Current weather for a city, in °C.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                   "required": ["city"]}}}]

TOOL_CONVERSATIONS = [
    [{"role": "system", "content": "You can call tools."},
     {"role": "user", "content": "What's the weather in Paris?"}],
    [{"role": "user", "content": "Weather in Zürich?"},
     {"role": "assistant", "content": "",
      "tool_calls": [{"type": "function",
                      "function": {"name": "get_weather", "arguments": {"city": "Zürich"}}}]},
     {"role": "tool", "content": "{\"temp\": 21}"}],
]


def make_chat_tools():
    """OpenAI-style messages with tools and tool calls (render_json)."""
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(QWEN3)
    families = [("qwen3", tok.chat_template, "", "<|im_end|>", {}),
                ("qwen2.5", QWEN25_TEMPLATE, "", "<|im_end|>", {}),
                ("llama3.2", LLAMA32_TEMPLATE, "<|begin_of_text|>", "<|eot_id|>",
                 {"date_string": "26 Jul 2024"})]
    out = []
    for name, template, bos, eos, variables in families:
        cases = []
        for messages in TOOL_CONVERSATIONS:
            for gen in (True, False):
                text = tok.apply_chat_template(messages, tools=TOOLS, chat_template=template,
                                               tokenize=False, add_generation_prompt=gen,
                                               bos_token=bos, eos_token=eos, **variables)
                cases.append({"messages": messages, "tools": TOOLS, "add_generation_prompt": gen,
                              "expected": text})
        out.append({"name": name, "template": template, "bos_token": bos, "eos_token": eos,
                    "variables": variables, "cases": cases})
    with open(os.path.join(OUT, "chat_tools.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
    print(f"chat tools: {sum(len(f['cases']) for f in out)} renders")


def make_jinja_probes():
    from transformers.utils.chat_template_utils import _compile_jinja_template
    out = []
    for template, context in JINJA_PROBES:
        out.append({"template": template, "context": context,
                    "expected": _compile_jinja_template(template).render(**context)})
    with open(os.path.join(OUT, "jinja_probes.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
    print(f"jinja probes: {len(out)}")


# SentencePiece-era templates, as their model cards publish them (Llama 2
# chat, Mistral 7B Instruct v0.2, Zephyr / TinyLlama chat, Gemma): they
# raise_exception on conversations they do not accept, and so must r1.
LLAMA2_TEMPLATE = (
    "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
    "{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}"
    "{% set system_message = false %}{% endif %}{% for message in loop_messages %}"
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
    "{% endif %}{% if loop.index0 == 0 and system_message != false %}"
    "{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
    "{% else %}{% set content = message['content'] %}{% endif %}"
    "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
    "{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}"
    "{% endif %}{% endfor %}")
MISTRAL_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
    "{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
    "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}"
    "{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}"
    "{% endif %}{% endfor %}")
ZEPHYR_TEMPLATE = (
    "{% for message in messages %}\n{% if message['role'] == 'user' %}\n"
    "{{ '<|user|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n"
    "{{ '<|system|>\n' + message['content'] + eos_token }}\n"
    "{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n"
    "{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n"
    "{% endfor %}")
GEMMA_TEMPLATE = (
    "{{ bos_token }}{% if messages[0]['role'] == 'system' %}"
    "{{ raise_exception('System role not supported') }}{% endif %}{% for message in messages %}"
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
    "{% endif %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}"
    "{% else %}{% set role = message['role'] %}{% endif %}"
    "{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}")

CONVERSATIONS = [
    [{"role": "user", "content": "What is 2+2?"}],
    [{"role": "system", "content": "You are a helpful assistant."},
     {"role": "user", "content": "Hi"}],
    [{"role": "system", "content": "Be brief."},
     {"role": "user", "content": "What is 2+2?"},
     {"role": "assistant", "content": "4"},
     {"role": "user", "content": "And 3+3?"}],
    [{"role": "user", "content": "Solve x+1=3."},
     {"role": "assistant", "content": "<think>\nSubtract 1.\n</think>\n\nx = 2"},
     {"role": "user", "content": "Now x+2=5."},
     {"role": "assistant", "content": "<think>Subtract 2.</think>x = 3"}],
    [{"role": "user", "content": "  padded question with spaces \n\n"},
     {"role": "assistant", "content": "\n answer with newlines \n"}],
    [{"role": "system", "content": "First system."},
     {"role": "user", "content": "Q1"},
     {"role": "system", "content": "Second system."},
     {"role": "user", "content": "Q2"}],
    [{"role": "user", "content": "你好！请用中文回答。"},
     {"role": "assistant", "content": "好的 🙂"},
     {"role": "user", "content": "Écris en français: ça va?"}],
    [{"role": "user", "content": "Think about it."},
     {"role": "assistant", "content": "The result.", "reasoning_content": "\nI reasoned.\n"}],
    [{"role": "user", "content": "Multi\nline\n\nquestion\twith tab"},
     {"role": "assistant", "content": "<think>\n\n</think>\n\nshort"},
     {"role": "user", "content": "ok"}],
]


def make_chat_templates():
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(QWEN3)
    families = [
        ("qwen3", tok.chat_template, "", "<|im_end|>"),
        ("qwen2.5", QWEN25_TEMPLATE, "", "<|im_end|>"),
        ("llama3", LLAMA3_TEMPLATE, "<|begin_of_text|>", "<|eot_id|>"),
        ("deepseek_r1_distill", DEEPSEEK_R1_DISTILL_TEMPLATE, "<｜begin▁of▁sentence｜>",
         "<｜end▁of▁sentence｜>"),
        ("llama3.2", LLAMA32_TEMPLATE, "<|begin_of_text|>", "<|eot_id|>"),
        ("llama2", LLAMA2_TEMPLATE, "<s>", "</s>"),
        ("mistral", MISTRAL_TEMPLATE, "<s>", "</s>"),
        ("zephyr", ZEPHYR_TEMPLATE, "<s>", "</s>"),
        ("gemma", GEMMA_TEMPLATE, "<bos>", "<eos>"),
    ]
    # Llama 3.2 prints today's date unless date_string is given.
    variables = {"llama3.2": {"date_string": "26 Jul 2024"}}
    out = []
    for name, template, bos, eos in families:
        cases = []
        for messages in CONVERSATIONS:
            for gen in (True, False):
                for thinking in ([None, False] if name == "qwen3" else [None]):
                    kwargs = {} if thinking is None else {"enable_thinking": thinking}
                    kwargs.update(variables.get(name, {}))
                    case = {"messages": messages, "add_generation_prompt": gen,
                            "enable_thinking": thinking}
                    try:
                        case["expected"] = tok.apply_chat_template(
                            messages, chat_template=template, tokenize=False,
                            add_generation_prompt=gen, bos_token=bos, eos_token=eos, **kwargs)
                    except Exception as e:  # the template's raise_exception
                        case["error"] = str(e)
                    cases.append(case)
        out.append({"name": name, "template": template, "bos_token": bos, "eos_token": eos,
                    "variables": variables.get(name, {}), "cases": cases})
        print(f"chat template {name}: {len(cases)} renders")
    with open(os.path.join(OUT, "chat_templates.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)


def tiny_corpus():
    """Arithmetic problems in the R1-Zero format plus some plain English: the
    kind of text the embedded demo's tiny models see."""
    rng = random.Random(99)
    words = ("the a number answer is of and to we add subtract multiply so first then result "
             "check sum product difference wait let me think step total equals").split()
    rows = []
    for _ in range(400):
        a, b = rng.randint(0, 999), rng.randint(0, 99)
        op = rng.choice(["+", "-", "*"])
        val = a + b if op == "+" else a - b if op == "-" else a * b
        chatter = " ".join(rng.choice(words) for _ in range(rng.randint(3, 12)))
        rows.append({"text": f"User: What is {a} {op} {b}? Assistant: <think>\n{chatter}. "
                             f"{a} {op} {b} = {val}.\n</think> <answer>{val}</answer><|endoftext|>"})
    for t in corpus()[:120]:
        rows.append({"text": t})
    return rows


def make_tiny(r1):
    tiny = os.path.join(OUT, "tiny")
    os.makedirs(tiny, exist_ok=True)
    rows = tiny_corpus()
    write_jsonl(os.path.join(tiny, "corpus.jsonl"), rows)
    if r1:
        subprocess.run([r1, "tokenizer", "train", "--in", os.path.join(tiny, "corpus.jsonl"),
                        "--out", tiny, "--vocab-size", "600"], check=True)
    tok = Tokenizer.from_file(os.path.join(tiny, "tokenizer.json"))
    texts = [r["text"] for r in rows[:200]] + corpus()
    out = []
    for t in texts:
        ids = tok.encode(t, add_special_tokens=False).ids
        out.append({"text": t, "ids": ids, "decoded": tok.decode(ids, skip_special_tokens=False),
                    "decoded_skip": tok.decode(ids, skip_special_tokens=True)})
    write_jsonl(os.path.join(tiny, "expected.jsonl"), out)
    print(f"tiny: vocab {tok.get_vocab_size()}, {len(out)} strings checked with HF")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--r1", help="r1 binary: retrain tiny/tokenizer.json with `r1 tokenizer train`")
    parts = ["qwen3", "variants", "chat_templates", "jinja_probes", "chat_tools", "tiny"]
    ap.add_argument("--only", nargs="+", choices=parts, default=parts, help="write only these")
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    texts = corpus()
    make = {"qwen3": lambda: make_qwen3(texts), "variants": lambda: make_variants(texts),
            "chat_templates": make_chat_templates, "jinja_probes": make_jinja_probes,
            "chat_tools": make_chat_tools, "tiny": lambda: make_tiny(args.r1)}
    for part in args.only:
        make[part]()


if __name__ == "__main__":
    main()
