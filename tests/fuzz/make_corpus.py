#!/usr/bin/env python3
"""Assembles the seed corpus and the dictionaries of the fuzz targets (tests/fuzz/).

  make_corpus.py OUT            OUT/<target>/ (one file per seed) and OUT/<target>.dict
  make_corpus.py --replay BIN   the same in a temporary folder, then BIN/<target>-replay over
                                each target's seeds and regressions (CTest: fuzz.replay.seeds)

Nothing here is checked in generated: the seeds come from the files they are taken from, so
they follow the showcase, the docs and the tests as those change.
  fuzz_scenario_loader  scenarios/**.yaml, the YAML blocks of docs/*.md and of README.md,
                        tests/schema/{good,bad}, the YAML of tests/explore and tests/ecosystem,
                        and the broken scenarios of tests/unit/dsl/scenario_diagnostics_test.cc
  fuzz_fault_spec       the specs of docs/*.md (SPEC blocks, `--fault SPEC`, inline specs) and
                        the string literals of tests/unit/faults/fault_spec_test.cc
  fuzz_result_json      tests/fuzz/seeds/fuzz_result_json/ (results of showcase runs)
  fuzz_substitution     every value with ${...} or $$ in the scenarios and docs, the string
                        literals of tests/unit/runner/substitution_test.cc, a few written here
The dictionaries are taken from the code: the scenario keys (dsl/scenario_keys.h), the
channel types, the fault keys (faults/fault_spec.cc), the calls and errnos of
interpose/calls.def, the result's JSON keys (report/json.cc).
"""
import argparse
import ast
import hashlib
import pathlib
import re
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
TARGETS = ["fuzz_scenario_loader", "fuzz_fault_spec", "fuzz_result_json", "fuzz_substitution"]


def read(path):
    return path.read_text(encoding="utf-8", errors="replace")


def cpp_string_literals(text):
    """The "..." literals of C++ source, unescaped (adjacent ones are joined)."""
    out = []
    for group in re.finditer(r'(?:"(?:[^"\\\n]|\\.)*"\s*)+', text):
        parts = re.findall(r'"((?:[^"\\\n]|\\.)*)"', group.group(0))
        try:
            out.append("".join(ast.literal_eval('"' + p + '"') for p in parts))
        except (ValueError, SyntaxError):
            continue
    return out


def markdown_blocks(text, languages):
    """The fenced blocks of a markdown text whose language is in `languages`."""
    blocks = []
    for m in re.finditer(r"^```(\w*)\n(.*?)^```", text, re.S | re.M):
        if m.group(1) in languages:
            blocks.append(m.group(2))
    return blocks


def docs():
    return sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"] + sorted(
        (ROOT / "scenarios").glob("**/*.md"))


def scenario_files():
    files = sorted((ROOT / "scenarios").glob("**/*.yaml"))
    for folder in ["tests/schema", "tests/explore", "tests/ecosystem"]:
        files += sorted((ROOT / folder).glob("**/*.yaml"))
    return files


def scenario_seeds():
    seeds = [read(f) for f in scenario_files()]
    for doc in docs():
        seeds += markdown_blocks(read(doc), {"yaml", "yml"})
    # The broken scenarios of the diagnostics tests: load_errors(kHead + "...") and the like.
    test = ROOT / "tests/unit/dsl/scenario_diagnostics_test.cc"
    for call in re.finditer(r"load_(?:errors|text)\(((?:kHead\s*\+\s*)?(?:\"(?:[^\"\\\n]|\\.)*\"\s*)+)",
                            read(test)):
        literals = cpp_string_literals(call.group(1))
        if literals:
            seeds.append(("scenario: t\n" if call.group(1).startswith("kHead") else "") +
                         literals[0])
    return seeds


SPEC = re.compile(r"^(?:[A-Za-z_][\w-]*/)?[A-Za-z_*][\w*]*(?:,[A-Za-z_*][\w*]*)*(?::[^\s:`|]+)+$")


def fault_spec_seeds():
    seeds = []
    for doc in docs():
        text = read(doc)
        seeds += re.findall(r"--fault[ =]'([^']+)'", text)
        seeds += re.findall(r"--fault[ =]\"([^\"]+)\"", text)
        seeds += re.findall(r"--fault[ =]([^\s'\"`]+)", text)
        for span in re.findall(r"`([^`\n]+)`", text):
            if SPEC.match(span):
                seeds.append(span)
        for block in markdown_blocks(text, {""}):
            seeds += [w for w in block.split() if SPEC.match(w)]
    test = ROOT / "tests/unit/faults/fault_spec_test.cc"
    seeds += [s for s in cpp_string_literals(read(test)) if ":" in s or "/" in s]
    return [s for s in seeds if s and s != "SPEC"]


def substitution_seeds():
    seeds = []
    texts = [read(f) for f in scenario_files()] + [read(d) for d in docs()]
    for text in texts:
        for line in text.splitlines():
            if "${" in line or "$$" in line:
                seeds.append(line.strip().lstrip("-").strip())
    test = ROOT / "tests/unit/runner/substitution_test.cc"
    seeds += [s for s in cpp_string_literals(read(test)) if "$" in s]
    seeds += [
        "${sock.path}", "${q.name}", "${port.port}", "${run_dir}/x ${scenario_dir}",
        "${env.FAULTLINE_FUZZ_SET}", "${env.FAULTLINE_FUZZ_UNSET:-default}",
        "${env.FAULTLINE_FUZZ_UNSET}", "$$${sock.path}$$", "${", "${}", "${.}", "${env.}",
        "${sock.pth}", "${sok.path}", "$", "$$", "${env.:-}",
    ]
    return seeds


def result_seeds():
    folder = ROOT / "tests/fuzz/seeds/fuzz_result_json"
    return [read(f) for f in sorted(folder.glob("*.json"))]


def quoted_words(path, pattern=r'"([A-Za-z_][\w.-]*)"'):
    return sorted(set(re.findall(pattern, read(path))))


def dictionary_scenario():
    words = set()
    for f in ["framework/src/dsl/scenario_keys.h", "framework/src/model/channel_type.cc",
              "framework/src/model/peer_contract.cc"]:
        words.update(quoted_words(ROOT / f))
    entries = {w for w in words} | {w + ":" for w in words}
    entries |= {": ", "- ", "{", "}", "[", "]", ", ", "&a ", "*a", "!!str ", "|\n", ">\n",
                "---\n", "\n  ", "\n    ", "${", "}", "10ms", "1s", "SIGTERM", "~", "null",
                "true", "false", "0x", "'", "\""}
    return entries


def dictionary_fault_spec():
    entries = set()
    text = read(ROOT / "framework/src/faults/fault_spec.cc")
    start = text.find("key_rules()")
    entries.update(re.findall(r'^\s+\{"([a-z_]+)",', text[start:], re.M))
    calls = read(ROOT / "interpose/calls.def")
    for m in re.finditer(r"^FL_CALL\((\w+), (\w+),", calls, re.M):
        entries.update(m.groups())
    entries.update(re.findall(r"\bE[A-Z0-9]{2,}\b", calls))
    entries = {e for e in entries} | {e + "=" for e in entries if e.islower()}
    entries |= {":", "=", ",", "/", "<", "..", "+0x", "SIGKILL", "SIGUSR1", "ms", "us", "s",
                "ipc", "file", "anon", "any", "force", "optional", "0.5"}
    return entries


def dictionary_result():
    words = quoted_words(ROOT / "framework/src/report/json.cc")
    words += quoted_words(ROOT / "framework/src/explore/json.cc")
    return {'"' + w + '":' for w in words} | {"{", "}", "[", "]", "null", "true", "false",
                                                "1e308", "-1", "\"\""}


def dictionary_substitution():
    return {"${", "}", "$$", "env.", ":-", "run_dir", "scenario_dir", "sock", "q", "port",
            "path", "name", "port", "host", "id", "key", "key_hex", "size", "count", "."}


def write_target(out, target, seeds, dictionary):
    folder = out / target
    folder.mkdir(parents=True, exist_ok=True)
    for seed in seeds:
        data = seed.encode("utf-8", errors="replace")
        (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)
    lines = []
    for entry in sorted(dictionary):
        escaped = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "\\x%02x" % ord(c)
                          for c in entry)
        lines.append('"%s"' % escaped)
    (out / (target + ".dict")).write_text("\n".join(lines) + "\n")
    return len(list(folder.iterdir()))


def assemble(out):
    counts = {}
    counts["fuzz_scenario_loader"] = write_target(out, "fuzz_scenario_loader", scenario_seeds(),
                                                  dictionary_scenario())
    counts["fuzz_fault_spec"] = write_target(out, "fuzz_fault_spec", fault_spec_seeds(),
                                             dictionary_fault_spec())
    counts["fuzz_result_json"] = write_target(out, "fuzz_result_json", result_seeds(),
                                              dictionary_result())
    counts["fuzz_substitution"] = write_target(out, "fuzz_substitution", substitution_seeds(),
                                               dictionary_substitution())
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=pathlib.Path)
    parser.add_argument("--replay", type=pathlib.Path, help="folder of the <target>-replay programs")
    args = parser.parse_args()
    if args.out:
        for target, n in assemble(args.out).items():
            print(f"{target}: {n} seeds")
        return 0
    if not args.replay:
        parser.error("give OUT or --replay BIN")
    failed = 0
    with tempfile.TemporaryDirectory(prefix="fuzz-corpus-") as tmp:
        counts = assemble(pathlib.Path(tmp))
        for target in TARGETS:
            if counts[target] == 0:
                print(f"{target}: no seeds found (a source moved?)")
                failed += 1
                continue
            r = subprocess.run([str(args.replay / (target + "-replay")), str(pathlib.Path(tmp) / target),
                                str(ROOT / "tests/fuzz/regressions" / target)])
            print(f"{target}: {counts[target]} seeds, exit {r.returncode}")
            failed += r.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
