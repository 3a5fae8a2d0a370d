#!/usr/bin/env python3
"""Tiny jq stand-in for shell tests: `jq.py EXPR [ARG…] < json`.
EXPR is a Python expression over `j` (the parsed JSON) and `a` (the ARGs);
prints str() of the result (JSON for dicts/lists); exits 1 when the result is False."""
import json, sys
j = json.load(sys.stdin)
a = sys.argv[2:]
r = eval(sys.argv[1], {"j": j, "a": a, "json": json})
if r is False:
    sys.exit(1)
if r is True:
    sys.exit(0)
print(json.dumps(r) if isinstance(r, (dict, list)) else r)
