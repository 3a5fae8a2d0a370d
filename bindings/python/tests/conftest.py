"""The binding's tests run against the source tree's package and the build's libami
(AMI_LIBRARY, or build/libami.so.0 found next to the package)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

pytest_plugins = ["ami.testing"]
