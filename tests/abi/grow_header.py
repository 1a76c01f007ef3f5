#!/usr/bin/env python3
"""Usage: grow_header.py MLP_H > FUTURE_MLP_H

MLP_H's parts (include/mlp/*.h, which it includes) are written into the result.

Writes the header of a simulated next minor release (1.N+1.0 of a 1.N header):
every struct that begins with struct_size gains one field at its end, the way a
minor release may grow it, and the minor version goes up by one.
tests/abi/check_growth.sh builds a library from the unchanged sources against this
header and runs a program built against the real header with it: a program built
against this release running on the next."""
import os
import re
import sys

text = open(sys.argv[1], encoding="utf-8").read()
# mlp.h includes its parts (include/mlp/NAME.h): the future header is one file with
# them written in, so that the unchanged sources find it alone
parts = os.path.join(os.path.dirname(sys.argv[1]), "mlp")
text = re.sub(r'#include "mlp/(\w+)\.h"',
              lambda m: open(os.path.join(parts, m.group(1) + ".h"), encoding="utf-8").read(),
              text)
grown = 0


def grow(match):
    global grown
    body, name = match.group(1), match.group(2)
    if not re.match(r"\s*(/\*\*.*?\*/\s*)?size_t struct_size;", body, re.S):
        return match.group(0)
    grown += 1
    return ("typedef struct %s {%s    /** a field added in the next release (the ABI-growth test) */\n"
            "    double growth_test_field;\n} %s;" % (name, body, name))


text = re.sub(r"typedef struct (?:\w+) \{(.*?)\} (\w+);",
              lambda m: grow(m), text, flags=re.S)
# the initializer macros give the new field its default, as a real release would
text = text.replace("(activation), (bias)}", "(activation), (bias), 0}")
text = text.replace("(x), (y), (n)}", "(x), (y), (n), 0}")
minor = re.search(r"#define MLP_VERSION_MINOR (\d+)\b", text)
major = re.search(r"#define MLP_VERSION_MAJOR (\d+)\b", text)
if minor is None or major is None:
    sys.exit("grow_header.py: no MLP_VERSION_MAJOR/MINOR in the header")
now = "%s.%s." % (major.group(1), minor.group(1))
nxt = "%s.%d.0" % (major.group(1), int(minor.group(1)) + 1)
text = text.replace(minor.group(0), "#define MLP_VERSION_MINOR %d" % (int(minor.group(1)) + 1))
text, n = re.subn(r'#define MLP_VERSION_STRING "%s\d+"' % re.escape(now),
                  '#define MLP_VERSION_STRING "%s"' % nxt, text)
if grown < 8 or n != 1:
    sys.exit("grow_header.py: found %d structs to grow, %d version strings; the header "
             "changed shape" % (grown, n))
sys.stdout.write(text)
