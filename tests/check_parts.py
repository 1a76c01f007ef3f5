#!/usr/bin/python3
"""The house rules of lib/, read from what the compiler made (docs/design.md, Layout):

1. No two files call each other (or read each other's data).
2. A file calls only into its own part and the parts it builds on.
3. No source file of the library runs past 900 lines (a sign that it has one job).
4. Every global symbol carries the library's prefix: mlp_ (public) or mlp__ (private).

Usage: check_parts.py NM LIBMLP.a LIB_SOURCE_DIR
The archive's members are named PART_FILE.c.o by meson (core_status.c.o), and the
float32 builds of the typed sources meson-generated_.._PART_FILE_f32.c.o."""
import collections
import os
import subprocess
import sys

# Each part and the parts it may call (its own is always allowed).
BUILDS_ON = {
    'core': set(),
    'kernels': {'core'},
    'model': {'core', 'kernels'},
    'train': {'core', 'kernels', 'model'},
    'data': {'core', 'kernels', 'model'},
    'io': {'core', 'kernels', 'model', 'train'},
    # io: the one writer of files; data: the setters of names and labels, whose checks
    # the importer shares
    'export': {'core', 'kernels', 'model', 'train', 'io', 'data'},
}
MAX_LINES = 900


def members(nm, archive):
    """{member: (defined symbols, undefined symbols)} from `nm -A`."""
    out = subprocess.run([nm, '-A', archive], check=True, capture_output=True,
                         text=True).stdout
    defs, uses = collections.defaultdict(set), collections.defaultdict(set)
    for line in out.splitlines():
        where, _, rest = line.rpartition(':')
        member = where.rsplit(':', 1)[-1] if ':' in where else where
        # a typed source's float32 build, made in the build folder (lib/core/typed.h)
        member = member.replace('meson-generated_.._', '')
        fields = rest.split()
        if len(fields) == 3 and fields[1] in 'TDRBVW':
            defs[member].add(fields[2])
        elif len(fields) == 2 and fields[0] == 'U':
            uses[member].add(fields[1])
    return defs, uses


def main():
    nm, archive, src = sys.argv[1:4]
    defs, uses = members(nm, archive)
    owner = {s: m for m, ss in defs.items() for s in ss}
    calls = collections.defaultdict(dict)  # member -> {callee member: a symbol}
    for m, ss in uses.items():
        for s in sorted(ss):
            if s in owner and owner[s] != m:
                calls[m].setdefault(owner[s], s)
    bad = []
    parts = {m: m.split('_', 1)[0] for m in defs}
    if len(defs) < 20 or any(p not in BUILDS_ON for p in parts.values()):
        bad.append('unexpected members (or a part this check does not know): %s'
                   % sorted(set(parts.values())))
    for a in sorted(calls):
        for b, s in sorted(calls[a].items()):
            if a < b and a in calls.get(b, {}):
                bad.append('%s and %s call each other (%s; %s)' % (a, b, s, calls[b][a]))
            if parts[b] != parts[a] and parts[b] not in BUILDS_ON[parts[a]]:
                bad.append('%s (part %s) calls %s in %s, a part it does not build on'
                           % (a, parts[a], s, parts[b]))
    for m in sorted(defs):
        for s in sorted(defs[m]):
            # names from the compiler and sanitizers (__odr_asan.x) are reserved to them
            if not s.startswith('mlp_') and not s.startswith('__'):
                bad.append('%s defines %s, a global without the mlp_/mlp__ prefix' % (m, s))
    n_files = 0
    for d, _, files in os.walk(src):
        for f in files:
            if f.endswith(('.c', '.h')):
                n_files += 1
                path = os.path.join(d, f)
                with open(path, encoding='utf-8') as fh:
                    lines = sum(1 for _ in fh)
                if lines > MAX_LINES:
                    bad.append('%s has %d lines (at most %d)' % (path, lines, MAX_LINES))
    for b in bad:
        print('check_parts: ' + b)
    print('check_parts: %d objects, %d calls between files, %d sources: %s'
          % (len(defs), sum(len(c) for c in calls.values()), n_files,
             'the rules hold' if not bad else '%d broken' % len(bad)))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
