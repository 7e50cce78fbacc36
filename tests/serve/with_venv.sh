#!/bin/sh
# Runs a Python test with the project's venv (scripts/venv.sh makes it).
# usage: with_venv.sh REPO_ROOT SCRIPT.py ARGS...
ROOT=$1
shift
if ! "$ROOT/.venv/bin/python" -c "import openai, tensorboard" 2>/dev/null; then
  echo "FAIL: $ROOT/.venv lacks the test packages: run scripts/venv.sh (scripts/test.sh does)" >&2
  exit 1
fi
exec "$ROOT/.venv/bin/python" "$@"
