#!/bin/sh
# The hooks .pre-commit-hooks.yaml offers run this from pre-commit's clone of this repository
# (language: script), in the repository being committed to:
#
#     tools/pre_commit_hook.sh validate.py [ARGS...]
#
# The first run sets the clone up (make setup: its own .venv, pinned and hash-checked; nothing
# system-wide), later runs find it done in well under a second.
set -eu
clone=$(cd "$(dirname "$0")/.." && pwd)
make -s -C "$clone" setup >&2 || { echo "error: make setup failed in $clone (see above)" >&2; exit 2; }
tool=$1
shift
exec "$clone/.venv/bin/python" "$clone/tools/$tool" "$@"
