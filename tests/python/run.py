"""The test suite "python": pytest over tests/python with the package built in place
(its directory in the build tree is the first argument). Skipped (exit 77) with the
Debian packages to install when a module it needs is missing."""
import importlib
import os
import sys

missing = [pkg for mod, pkg in (("numpy", "python3-numpy"), ("sklearn", "python3-sklearn"),
                                ("pytest", "python3-pytest"))
           if importlib.util.find_spec(mod) is None]
if missing:
    print(f"skipped: the Python package's tests need {', '.join(missing)} "
          f"(apt-get install {' '.join(missing)})")
    sys.exit(77)

build = os.path.abspath(sys.argv[1])
here = os.path.dirname(os.path.abspath(__file__))
os.environ["PYTHONPATH"] = build + os.pathsep + os.environ.get("PYTHONPATH", "")
sys.path.insert(0, build)
import pytest  # noqa: E402

sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", here] + sys.argv[2:]))
