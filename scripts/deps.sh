#!/usr/bin/env bash
# Installs the Debian packages libami builds against, only when something is missing.
# Needs root (or sudo) to install; otherwise says exactly what to install.
set -eu
need=()
have_pc() { pkg-config --exists "$1" 2>/dev/null; }
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
command -v patch >/dev/null 2>&1 || need+=(patch)                  # applies scripts/duk_lean.patch to Duktape's source
[ -f /usr/share/duktape/duktape.c ] || need+=(duktape-dev)
have_pc sqlite3 || need+=(libsqlite3-dev)
have_pc jansson || need+=(libjansson-dev)
have_pc libcurl || need+=(libcurl4-openssl-dev)
have_pc openssl || need+=(libssl-dev)
have_pc libmicrohttpd || need+=(libmicrohttpd-dev)
have_pc libwebsockets || need+=(libwebsockets-dev)
have_pc libsystemd || need+=(libsystemd-dev)               # amid's sd_notify (Type=notify)
command -v python3 >/dev/null 2>&1 || need+=(python3)
# the Python binding's tests (tests/integration/test_python.sh) use Debian's pytest
python3 -c 'import pytest' 2>/dev/null || /usr/bin/python3 -c 'import pytest' 2>/dev/null || need+=(python3-pytest)
# `pip install bindings/python` offline in a venv (tests/integration/test_python_install.sh)
/usr/bin/python3 -c 'import ensurepip' 2>/dev/null || python3 -c 'import ensurepip' 2>/dev/null || need+=(python3-venv)
/usr/bin/python3 -c 'import wheel' 2>/dev/null || python3 -c 'import wheel' 2>/dev/null || need+=(python3-wheel)
command -v sqlite3 >/dev/null 2>&1 || need+=(sqlite3)
# make test also compiles the tree with clang at -Werror (make clang-check)
command -v clang >/dev/null 2>&1 || need+=(clang)
# libFuzzer and the sanitizer runtimes for clang (tests/fuzz, test_fuzz_short.sh): only recommended by clang
ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 || need+=(libclang-rt-dev)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
# the web console's editor (served by amid from its install location) and its browser tests
[ -f /usr/share/javascript/codemirror/lib/codemirror.js ] || need+=(libjs-codemirror)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
/usr/bin/python3 -c 'import selenium' >/dev/null 2>&1 || need+=(python3-selenium)
command -v etcd >/dev/null 2>&1 || need+=(etcd-server)       # the etcd backend's tests
command -v etcdctl >/dev/null 2>&1 || need+=(etcd-client)
if [ "${AMI_WANT_BENCH:-0}" = 1 ]; then command -v wrk >/dev/null 2>&1 || need+=(wrk); fi
[ ${#need[@]} -eq 0 ] && exit 0
echo "deps: missing Debian packages: ${need[*]}" >&2
sudo=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; else
    echo "deps: not root; install them with: sudo apt-get install -y ${need[*]}" >&2; exit 1; fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null || { echo "deps: apt-get update failed" >&2; exit 1; }
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || {
  echo "deps: apt-get install failed; install by hand: apt-get install ${need[*]}" >&2; exit 1; }
echo "deps: installed ${need[*]}" >&2
