#!/usr/bin/env bash
# Compile the bytecode of the project, its libraries and (where writable) the standard library, for plain python
# and for python -OO, the bot's interpreter (app.cli.run_optimised). Where the process cannot write __pycache__
# (the Docker image's user, PYTHONDONTWRITEBYTECODE) every start would otherwise compile every module again:
# seconds of CPU, and the bot idles about 6 MiB larger (benchmarks/bench_cli.py, README).
# Usage: scripts/compile_bytecode.sh [PYTHON]   (default: .venv/bin/python)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${1:-.venv/bin/python}
dirs=(app core bot flows storage reminders cases reports web)
for kind in purelib platlib stdlib; do
    dir=$("$PY" -c "import sysconfig; print(sysconfig.get_path('$kind'))")
    if [ -w "$dir" ]; then dirs+=("$dir"); fi
done
# Test folders are never imported, and some hold files that are invalid on purpose (the standard library's).
"$PY" -m compileall -q -j 0 -o 0 -o 2 -x '/(test|tests|idle_test)/' "${dirs[@]}"
