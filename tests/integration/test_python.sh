#!/usr/bin/env bash
# Claim: the Python binding's pytest suite (bindings/python/tests) passes against this build's
# libami.so.0 and amid (Debian's python3-pytest; scripts/deps.sh installs it).
set -u
B=$(realpath "${AMI_BUILD:-build}")
py=
for c in python3 /usr/bin/python3; do
  if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import pytest' 2>/dev/null; then py=$c; break; fi
done
[ -n "$py" ] || { echo "FAILED: no python3 with pytest (apt-get install python3-pytest)"; exit 1; }
export AMI_LIBRARY="$B/libami.so.0" AMI_AMID="$B/amid" PYTHONDONTWRITEBYTECODE=1
cd bindings/python
"$py" -m pytest -p no:cacheprovider -q tests "$@"
rc=$?
# 5: pytest collected no tests — the suite is missing, which is a failure, not a pass
[ $rc -eq 5 ] && echo "FAILED: pytest collected no tests in bindings/python/tests"
exit $rc
