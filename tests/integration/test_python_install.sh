#!/usr/bin/env bash
# Claim: `make install DESTDIR=… PREFIX=…` puts the Python package in PREFIX's site-packages,
# where it finds the installed libami.so.0 on its own; and `pip install bindings/python` into a
# fresh virtual environment works against that installed libami (found by the system loader).
set -u
B=${AMI_BUILD:-build}
PY=$([ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3)
root=$(mktemp -d /tmp/ami-pyinst-XXXXXX)
trap 'rm -rf "$root"' EXIT
fail=0
check() { if eval "$2"; then echo "  ok: $1"; else echo "  FAILED: $1"; fail=1; fi; }
make --no-print-directory -s install B="$B" DESTDIR="$root" PREFIX=/opt/ami PYTHON="$PY" >/dev/null || exit 1
site=$(ls -d "$root"/opt/ami/lib/python3*/*-packages 2>/dev/null | head -1)
check "the package is installed under PREFIX/lib/python3.X" '[ -f "$site/ami/__init__.py" ] && [ -f "$site/ami/testing.py" ]'
probe='import ami; print(ami.library_path); print(ami.run("return [1, 2].map(x => x * 21)[1];"))'
out=$(cd "$root" && env -u AMI_LIBRARY PYTHONPATH="$site" "$PY" -c "$probe" 2>&1)
echo "$out" | sed 's/^/    /'
check "the installed package loads the installed libami" \
  '[ "$(echo "$out" | head -1)" = "$root/opt/ami/lib/libami.so.0" ] && [ "$(echo "$out" | tail -1)" = 42 ]'
# pip into a fresh venv, offline (Debian's setuptools and wheel build it), from a copy of the source
cp -r bindings/python "$root/src"
rm -rf "$root/src/tests"
"$PY" -m venv --system-site-packages "$root/venv" >/dev/null 2>&1 || { echo "  FAILED: python3 -m venv"; exit 1; }
"$root/venv/bin/pip" install -q --no-index --no-build-isolation "$root/src" >"$root/pip.log" 2>&1
rc=$?
[ $rc -eq 0 ] || sed 's/^/    /' "$root/pip.log"
check "pip install bindings/python" '[ $rc -eq 0 ]'
out=$(cd "$root" && env -u AMI_LIBRARY LD_LIBRARY_PATH="$root/opt/ami/lib" "$root/venv/bin/python" -c "$probe" 2>&1)
echo "$out" | sed 's/^/    /'
check "the pip-installed package runs a script through the installed libami" \
  '[ "$(echo "$out" | head -1)" = "libami.so.0" ] && [ "$(echo "$out" | tail -1)" = 42 ]'
plug=$("$root/venv/bin/python" -c 'import importlib.metadata as m; print([e.value for e in m.entry_points(group="pytest11")])' 2>&1)
check "the pytest plugin is registered (pytest11 entry point)" '[ "$plug" = "['"'"'ami.testing'"'"']" ]'
exit $fail
