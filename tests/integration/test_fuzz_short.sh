#!/usr/bin/env bash
# Claim: the libFuzzer targets (key decoder, WebFIX dispatcher, amid config
# parser, lowering; clang with ASan + UBSan) build and run 20 s each from
# their seed corpora without a crash or sanitizer report.  `make fuzz` runs
# them longer (FUZZ_SECONDS, default 600).
set -u
if ! command -v clang >/dev/null 2>&1 || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
    echo "  clang with libFuzzer is not installed (apt-get install clang libclang-rt-dev): not run"
    exit 0
fi
out=$(make --no-print-directory fuzz FUZZ_SECONDS=${AMI_FUZZ_SECONDS:-20} 2>&1); rc=$?
echo "$out" | tail -20
exit $rc
