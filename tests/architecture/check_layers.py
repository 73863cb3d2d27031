#!/usr/bin/env python3
"""Checks the architecture of faultline against its one table, framework/layers.txt.

Two kinds of edges are checked, per part:
  - includes: every #include of every file of the part, resolved to the file it names (in
    the part's own folder, framework/src, framework/include or interpose, the include roots),
    and so to the part that owns that file;
  - symbols (with --archives): what each part's archive leaves undefined must be defined
    (strongly) by a part it may use;
  - link lines: the LINK_LIBRARIES and INTERFACE_LINK_LIBRARIES of the part's CMake targets,
    as framework/CMakeLists.txt writes them at configure time (build/layers/link_lines.txt).
Every edge must be one the table allows ("may use"), and the table itself must keep its
rules (`never`, `only`, on what a part reaches through the parts it uses), and
docs/how-it-works.md must quote the table as it is.

Usage: check_layers.py --source DIR --links FILE    (exit 0: the architecture holds)
       check_layers.py --source DIR --self-test     (proves the check catches bad edges)
"""
import argparse
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s*(["<])([^">]+)[">]', re.MULTILINE)
SOURCE_SUFFIXES = ('.h', '.hh', '.hpp', '.c', '.cc', '.cpp', '.def')
INCLUDE_ROOTS = ('framework/src', 'framework/include', 'interpose')


class Table:
    def __init__(self, text):
        self.uses = {}      # part -> set of parts it may use
        self.targets = {}   # CMake target -> part
        self.paths = []     # (path, part), most specific first
        self.rules = []     # (kind, part, set of parts)
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.split('#', 1)[0].strip()
            if not line:
                continue
            if line.startswith(('never ', 'only ')):
                m = re.fullmatch(r'(never|only)\s+(\S+)\s*->\s*(.*)', line)
                if not m:
                    raise ValueError(f'layers.txt:{number}: cannot read rule "{line}"')
                self.rules.append((m[1], m[2], set(m[3].split())))
                continue
            columns = [c.strip() for c in line.split('|')]
            if len(columns) < 4:
                raise ValueError(f'layers.txt:{number}: expected "part | uses | targets | files"')
            part = columns[0]
            self.uses[part] = set(columns[1].split())
            for target in columns[2].split():
                self.targets[target] = part
            for path in columns[3].split():
                self.paths.append((path.rstrip('/'), part))
        self.paths.sort(key=lambda p: -len(p[0]))
        for part, used in self.uses.items():
            for other in used:
                if other not in self.uses:
                    raise ValueError(f'layers.txt: {part} may use {other}, which has no row')

    def part_of(self, path):
        for prefix, part in self.paths:
            if path == prefix or path.startswith(prefix + '/'):
                return part
        return None

    def reach(self, part, uses=None):
        uses = uses if uses is not None else self.uses
        seen, todo = set(), list(uses.get(part, ()))
        while todo:
            p = todo.pop()
            if p not in seen:
                seen.add(p)
                todo.extend(uses.get(p, ()))
        return seen


def rule_violations(table, uses, what):
    """Rules broken by the graph `uses` (the table's own, or the edges found)."""
    out = []
    for kind, part, others in table.rules:
        reached = table.reach(part, uses)
        bad = reached & others if kind == 'never' else reached - others
        for other in sorted(bad):
            out.append((part, f'{what}: {part} reaches {other}, but the rule is '
                              f'"{kind} {part} -> {" ".join(sorted(others))}"'))
    return out


def resolve(source, include, quoted, exists):
    """The repository path of the file `include` names, or None (a system header)."""
    candidates = []
    if quoted:
        candidates.append(os.path.normpath(os.path.join(os.path.dirname(source), include)))
    candidates += [f'{root}/{include}' for root in INCLUDE_ROOTS]
    for c in candidates:
        if exists(c):
            return c
    return None


def include_edges(table, files, exists):
    """(part, used part, where) for every include of another part; unresolved includes too."""
    edges, problems = [], []
    for path, text in files:
        part = table.part_of(path)
        for m in INCLUDE.finditer(text):
            quoted, include = m[1] == '"', m[2]
            line = text.count('\n', 0, m.start()) + 1
            target = resolve(path, include, quoted, exists)
            if target is None:
                if quoted:
                    problems.append((part, f'{path}:{line}: "{include}" is no file of the '
                                           'source tree'))
                continue
            owner = table.part_of(target)
            if owner is None:
                problems.append((part, f'{path}:{line}: includes {target}, which belongs to no '
                                       'part of framework/layers.txt'))
            elif owner != part:
                edges.append((part, owner, f'{path}:{line}: #include "{include}"'))
    return edges, problems


def link_edges(table, link_lines):
    edges = []
    for row in link_lines.splitlines():
        if not row.strip():
            continue
        target, _, libraries = row.partition('\t')
        part = table.targets.get(target)
        if part is None:
            continue
        for library in libraries.split(';'):
            library = re.sub(r'^\$<LINK_ONLY:(.*)>$', r'\1', library.strip())
            used = table.targets.get(library)
            if used and used != part:
                edges.append((part, used, f'{target} links {library}'))
    return edges


def symbol_edges(table, symbols):
    """symbols: {target: (defined, undefined)} of each part's archive (mangled names). A
    part uses another when it calls what only that other part defines (strong definitions:
    inline functions and templates are defined weakly wherever they are used)."""
    definer = {}
    for target, (defined, _) in symbols.items():
        for name in defined:
            definer.setdefault(name, set()).add(table.targets[target])
    edges = set()
    for target, (_, undefined) in symbols.items():
        part = table.targets[target]
        for name in undefined:
            for used in definer.get(name, ()):
                if used != part:
                    edges.add((part, used, f'{target} calls {name}, defined in {used}'))
    # One message per pair of parts is enough to see the edge.
    first = {}
    for part, used, where in sorted(edges):
        first.setdefault((part, used), (part, used, where))
    return list(first.values())


def read_symbols(archives):
    import subprocess
    symbols = {}
    for row in archives.splitlines():
        if not row.strip():
            continue
        target, _, path = row.partition('\t')
        out = subprocess.run(['nm', '-g', '--no-sort', path], check=True, capture_output=True,
                             text=True).stdout
        defined, undefined = set(), set()
        for line in out.splitlines():
            fields = line.split()
            if len(fields) == 2 and fields[0] == 'U':
                undefined.add(fields[1])
            elif len(fields) == 3 and fields[1] in 'TDBR':
                defined.add(fields[2])
        symbols[target] = (defined, undefined)
    return symbols


def check(table, files, exists, link_lines, symbols=None):
    """Returns the violations: a list of (part, message)."""
    found_inc, problems = include_edges(table, files, exists)
    found = found_inc + link_edges(table, link_lines) + symbol_edges(table, symbols or {})
    violations = list(problems)
    for part, used, where in found:
        if used not in table.uses.get(part, ()):
            violations.append((part, f'{where}: {part} may not use {used} '
                                     f'(may use: {" ".join(sorted(table.uses[part])) or "nothing"})'))
    violations += rule_violations(table, table.uses, 'framework/layers.txt')
    actual = {}
    for part, used, _ in found:
        actual.setdefault(part, set()).add(used)
    violations += rule_violations(table, actual, 'the edges found')
    violations = list(dict.fromkeys(violations))  # a link edge shows in both link lists
    return violations


def table_rows(text):
    return [line.rstrip() for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith('#')]


def doc_violations(table_text, doc_text):
    """docs/how-it-works.md quotes the table between two markers: the copy must be exact."""
    m = re.search(r'<!-- layers.txt: begin -->\n```\n(.*?)```\n<!-- layers.txt: end -->',
                  doc_text, re.DOTALL)
    if not m:
        return [('docs', 'docs/how-it-works.md has no quote of framework/layers.txt')]
    if table_rows(m[1]) != table_rows(table_text):
        return [('docs', 'docs/how-it-works.md quotes framework/layers.txt, but not as it is '
                         'now: copy its rows (without the comments) between the markers')]
    return []


def source_files(root, table):
    files = []
    for prefix, _ in table.paths:
        full = os.path.join(root, prefix)
        walk = [(os.path.dirname(full), [], [os.path.basename(full)])] if os.path.isfile(full) \
            else os.walk(full)
        for folder, _, names in walk:
            for name in names:
                if name.endswith(SOURCE_SUFFIXES):
                    rel = os.path.relpath(os.path.join(folder, name), root)
                    files.append(rel)
    out = []
    for rel in sorted(set(files)):
        with open(os.path.join(root, rel), encoding='utf-8', errors='replace') as f:
            out.append((rel, f.read()))
    return out


def self_test(root, table_text):
    """Feeds the check forbidden edges and table changes; each must be caught."""
    failures, checks = [], []

    def expect(name, violations, needle):
        checks.append(name)
        if not any(needle in message for _, message in violations):
            failures.append(f'{name}: expected a violation mentioning "{needle}", got '
                            f'{[m for _, m in violations] or "none"}')

    table = Table(table_text)
    exists = lambda p: os.path.isfile(os.path.join(root, p))
    clean_links = '\n'.join([
        'faultline_dsl\tfaultline_model;$<LINK_ONLY:faultline_faults>;yaml-cpp',
        'faultline_channels\tfaultline_model;$<LINK_ONLY:faultline_faults>',
        'faultline_peer\tfaultline_util;fmt::fmt',
    ])
    # The clean case: a few allowed edges, no complaint.
    violations = check(table, [('framework/src/dsl/ok.cc', '#include "faults/call_table.h"\n'
                                   '#include "util/did_you_mean.h"\n#include <vector>\n')],
                          exists, clean_links)
    if violations:
        failures.append(f'allowed edges reported: {violations}')
    checks.append('allowed edges')

    cases = [
        ('dsl includes processes', [('framework/src/dsl/bad.cc', '#include "processes/spawn.h"\n')],
         '', 'dsl may not use processes'),
        ('report includes processes (angle brackets)',
         [('framework/src/report/bad.cc', '#include <processes/supervisor.h>\n')], '',
         'report may not use processes'),
        ('channels include the runner',
         [('framework/src/channels/bad.cc', '#include "runner/run_directory.h"\n')], '',
         'channels may not use runner'),
        ('interpose includes a C++ part',
         [('interpose/bad.c', '#include "faults/control_block.h"\n')], '',
         'interpose may not use faults'),
        ('util includes the public runner header',
         [('framework/src/util/bad.cc', '#include "faultline/runner.h"\n')], '',
         'util may not use runner'),
        ('an include of no file', [('framework/src/dsl/bad.cc', '#include "dsl/nowhere.h"\n')],
         '', 'is no file of the source tree'),
        ('dsl links processes', [], 'faultline_dsl\tfaultline_model;$<LINK_ONLY:faultline_processes>',
         'faultline_dsl links faultline_processes: dsl may not use processes'),
        ('channels link the runner', [], 'faultline_channels\tfaultline_runner',
         'channels may not use runner'),
        ('interpose links util', [], 'faultline_rules\tfaultline_util',
         'interpose may not use util'),
    ]
    for name, files, links, needle in cases:
        violations = check(table, files, exists, links)
        expect(name, violations, needle)

    # Symbols: channels calling what only the runner defines, with nothing in the includes.
    symbols = {'faultline_channels': ({'_ZN9faultline4pipeEv'}, {'_ZN9faultline3gcEv'}),
               'faultline_runner': ({'_ZN9faultline3gcEv'}, {'_ZN9faultline4pipeEv'})}
    violations = check(table, [], exists, '', symbols)
    expect('channels call the runner', violations,
           'faultline_channels calls _ZN9faultline3gcEv, defined in runner')

    # The peer: util and the model only.
    core = 'faultline_core\tfaultline_runner;faultline_util\nfaultline_runner\tfaultline_model'
    violations = check(table, [], exists, 'faultline_peer\tfaultline_core\n' + core)
    expect('peer links core', violations, 'peer may not use core')
    expect('peer reaches the runner', violations, 'peer reaches runner')
    violations = check(table, [('framework/peer/bad.cc', '#include "dsl/yaml_reader.h"\n')],
                          exists, '')
    expect('peer includes dsl', violations, 'peer may not use dsl')

    # The table keeps its own rules: allowing dsl to use processes, or channels to use
    # something that reaches the runner, is caught even with no edge in the code.
    for name, old, new, needle in [
            ('table lets dsl use processes', 'dsl         | model util faults ',
             'dsl         | model util faults processes ', 'dsl reaches processes'),
            ('table lets channels reach the runner through explore',
             'channels    | model util faults ', 'channels    | model util faults explore ',
             'channels reaches runner'),
    ]:
        if old not in table_text:
            failures.append(f'{name}: the self test no longer matches layers.txt ("{old}")')
            continue
        violations = check(Table(table_text.replace(old, new)), [], exists, '')
        expect(name, violations, needle)

    doc = f'<!-- layers.txt: begin -->\n```\n{table_text}```\n<!-- layers.txt: end -->\n'
    if doc_violations(table_text, doc):
        failures.append('an exact quote of the table was refused')
    checks.append('the quote of the table')
    expect('a stale quote of the table',
           doc_violations(table_text, doc.replace('never dsl -> processes', '')), 'not as it is')

    for f in failures:
        print('SELF TEST FAILED:', f)
    print(f'self test: {len(checks) - len(failures)} of {len(checks)} checks hold')
    return 1 if failures else 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--source', required=True, help='the repository root')
    parser.add_argument('--links', help='build/layers/link_lines.txt')
    parser.add_argument('--archives', help='build/layers/archives.txt (optional: symbols)')
    parser.add_argument('--self-test', action='store_true')
    args = parser.parse_args()
    with open(os.path.join(args.source, 'framework/layers.txt')) as f:
        table_text = f.read()
    if args.self_test:
        return self_test(args.source, table_text)
    table = Table(table_text)
    with open(args.links) as f:
        link_lines = f.read()
    files = source_files(args.source, table)
    exists = lambda p: os.path.isfile(os.path.join(args.source, p))
    symbols = None
    if args.archives:
        with open(args.archives) as f:
            symbols = read_symbols(f.read())
    violations = check(table, files, exists, link_lines, symbols)
    with open(os.path.join(args.source, 'docs/how-it-works.md')) as f:
        violations += doc_violations(table_text, f.read())
    for part, message in violations:
        print(f'VIOLATION ({part}): {message}')
    print(f'{len(files)} files, {len(symbols or {})} archives, {len(table.uses)} parts: {len(violations)} violations')
    return 1 if violations else 0


if __name__ == '__main__':
    sys.exit(main())
