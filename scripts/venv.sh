#!/usr/bin/env bash
# The Python packages the tests use as references, in a git-ignored venv at
# .venv/: the official openai client (r1 serve's tests) and tensorboard (its
# event-file reader checks r1's TensorBoard logs). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
PACKAGES=(openai==3.63.0 tensorboard==2.21.0)
[ -x .venv/bin/python ] || python3 -m venv .venv
if ! .venv/bin/python -c "import openai, tensorboard" 2>/dev/null; then
  echo "venv: installing ${PACKAGES[*]}"
  .venv/bin/pip install -q "${PACKAGES[@]}"
fi
