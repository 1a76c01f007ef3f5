#!/usr/bin/env python3
"""Usage: grow_header.py MLP_H > FUTURE_MLP_H

Writes the header of a simulated libmlp 1.1: every struct that begins with
struct_size gains one field at its end, the way a minor release may grow it, and
the version becomes 1.1.0. tests/abi/check_growth.sh builds a library from the
unchanged sources against this header and runs a program built against the real
header with it: a program built against 1.0 running on 1.1."""
import re
import sys

text = open(sys.argv[1], encoding="utf-8").read()
grown = 0


def grow(match):
    global grown
    body, name = match.group(1), match.group(2)
    if not re.match(r"\s*(/\*\*.*?\*/\s*)?size_t struct_size;", body, re.S):
        return match.group(0)
    grown += 1
    return ("typedef struct %s {%s    /** a field added in 1.1 (the ABI-growth test) */\n"
            "    double growth_test_field;\n} %s;" % (name, body, name))


text = re.sub(r"typedef struct (?:\w+) \{(.*?)\} (\w+);",
              lambda m: grow(m), text, flags=re.S)
# the initializer macros give the new field its default, as a real 1.1 would
text = text.replace("(activation), (bias)}", "(activation), (bias), 0}")
text = text.replace("(x), (y), (n)}", "(x), (y), (n), 0}")
text = re.sub(r"#define MLP_VERSION_MINOR 0\b", "#define MLP_VERSION_MINOR 1", text)
text = text.replace('#define MLP_VERSION_STRING "1.0.0"', '#define MLP_VERSION_STRING "1.1.0"')
if grown < 8 or "1.1.0" not in text:
    sys.exit("grow_header.py: found %d structs to grow; the header changed shape" % grown)
sys.stdout.write(text)
