#!/usr/bin/python3
"""`faultline schema` against the scenario files, with a real validator (Debian's
python3-jsonschema, Draft7Validator) and YAML read as an editor reads it (YAML 1.2 core
schema, as yaml-language-server does).

- The schema is a valid draft-07 schema and every property has a description (hover text).
- Every scenario file faultline accepts validates: the showcase and test files (*.yaml under
  scenarios/ and tests/, except the bad set below; each checked in the copy the build made
  next to its programs when there is one) and the scenarios the C++ tests write
  from raw string literals. `faultline check` decides which files are accepted, so no list
  can rot; every showcase scenario must be among them.
- Every file of tests/schema/bad/ is structurally wrong: it must fail `faultline check` and
  the schema, and both must name the offending key given in its first line
  (`# offending: KEY`), so the two agree.
- Which files check rejects and the schema accepts (semantic errors: an unknown channel, an
  errno the call never returns) is printed for the record.
"""

import argparse
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile

try:
    import jsonschema
    import yaml
except ImportError as e:
    sys.exit(f"validate_scenarios: {e}; install Debian's python3-jsonschema and python3-yaml "
             "(ci/setup does)")


class Yaml12Loader(yaml.SafeLoader):
    """PyYAML reads YAML 1.1 (`yes` is a boolean, `2024-01-01` a date); editors and yaml-cpp
    read 1.2's core schema, where only true/false are booleans and there are no dates."""


_REPLACED = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
             "tag:yaml.org,2002:timestamp"}
Yaml12Loader.yaml_implicit_resolvers = {
    first: [r for r in resolvers if r[0] not in _REPLACED]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
               r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+.0123456789"))


def as_editor_sees(path):
    """The document as JSON (keys become strings, as in an editor's JSON view of YAML)."""
    with open(path, encoding="utf-8") as f:
        doc = yaml.load(f, Loader=Yaml12Loader)
    return json.loads(json.dumps(doc))


def all_errors(validator, doc):
    """Every error, with those inside anyOf/oneOf branches."""
    out = []
    stack = list(validator.iter_errors(doc))
    while stack:
        e = stack.pop()
        out.append(e)
        stack.extend(e.context or [])
    return out


def names_key(error, key):
    """Whether the error points at `key`: its path, the key it reports as unexpected or
    missing, the name propertyNames refused, or the spec text a pattern refused. (Not the
    instance an anyOf quotes whole: that names every key of the map.)"""
    if key in [str(p) for p in error.absolute_path] or error.instance == key:
        return True
    if error.validator in ("additionalProperties", "required"):
        return f"'{key}'" in error.message
    if error.validator == "pattern" and isinstance(error.instance, str):
        return key in error.instance
    return False


def error_line(error):
    where = "/".join(str(p) for p in error.absolute_path) or "(top)"
    return f"{where}: {error.message[:200]}"


def check(faultline, path):
    # The explore subjects pick their program by FAULTLINE_TWIN (tests/explore/README.md).
    env = dict(os.environ, FAULTLINE_TWIN="robust")
    r = subprocess.run([faultline, "check", str(path)], capture_output=True, text=True, env=env)
    if r.returncode not in (0, 2):
        sys.exit(f"faultline check {path}: exit {r.returncode}\n{r.stderr}")
    return r.returncode == 0, r.stderr


def undescribed(node, where="#"):
    """Property schemas without a description, anywhere in the schema."""
    missing = []
    if isinstance(node, dict):
        for name, sub in (node.get("properties") or {}).items():
            if not isinstance(sub, dict) or "description" not in sub:
                missing.append(f"{where}/properties/{name}")
        for k, v in node.items():
            if k != "if":  # a condition, not properties anyone writes
                missing += undescribed(v, f"{where}/{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            missing += undescribed(v, f"{where}/{i}")
    return missing


RAW_STRING = re.compile(r'R"([A-Za-z_]*)\((.*?)\)\1"', re.S)


def test_snippets(source, into):
    """The scenarios C++ tests write from raw string literals, one file each."""
    files = []
    for cc in sorted((source / "tests").rglob("*.cc")):
        for i, m in enumerate(RAW_STRING.finditer(cc.read_text(encoding="utf-8"))):
            text = m.group(2)
            if not re.search(r"^scenario:", text, re.M) or "{}" in text:
                continue  # not a scenario, or a fmt template whose holes make it no YAML yet
            f = into / f"{cc.relative_to(source).as_posix().replace('/', '_')}.{i}.yaml"
            f.write_text(text, encoding="utf-8")
            files.append(f)
    return files


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--faultline", required=True)
    ap.add_argument("--source", required=True, type=pathlib.Path)
    ap.add_argument("--build", required=True, type=pathlib.Path)
    args = ap.parse_args()
    source = args.source.resolve()
    build = args.build.resolve()
    bad_dir = source / "tests" / "schema" / "bad"
    print(f"jsonschema {getattr(jsonschema, '__file__', '?')}, PyYAML {yaml.__version__}")

    out = subprocess.run([args.faultline, "schema"], capture_output=True, text=True, check=True)
    schema = json.loads(out.stdout)
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    failures = []
    missing = undescribed(schema)
    if missing:
        failures.append("properties without a description: " + ", ".join(missing))

    with tempfile.TemporaryDirectory(prefix="scenario-schema-test-") as tmp:
        def built(path):
            copy = build / path.relative_to(source)
            return copy if copy.exists() else path

        showcase = [built(p) for p in sorted((source / "scenarios").rglob("*.yaml"))]
        candidates = list(showcase)
        candidates += [built(p) for p in sorted((source / "tests").rglob("*.yaml"))
                       if bad_dir not in p.parents]
        candidates += test_snippets(source, pathlib.Path(tmp))
        accepted, rejected = [], []
        for path in candidates:
            ok, _ = check(args.faultline, path)
            (accepted if ok else rejected).append(path)

        def shown(p):
            for root in (source, build):
                if root in p.parents:
                    return str(p.relative_to(root))
            return p.name

        for path in showcase:
            if path not in accepted:
                _, stderr = check(args.faultline, path)
                failures.append(f"{shown(path)}: a showcase scenario faultline check rejects "
                                f"(is the build complete?): {stderr.strip()}")

        for path in accepted:
            errors = all_errors(validator, as_editor_sees(path))
            if errors:
                failures.append(f"{shown(path)}: accepted by faultline check, rejected by the "
                                f"schema: {error_line(errors[0])}")
        print(f"{len(accepted)} files faultline check accepts: every one must validate")

        schema_accepts, not_yaml = [], 0
        for path in rejected:
            try:
                doc = as_editor_sees(path)
            except yaml.YAMLError:
                not_yaml += 1  # a template the test fills in: both reject it
                continue
            if not list(validator.iter_errors(doc)):
                schema_accepts.append(path)
        print(f"{len(rejected)} files faultline check rejects ({not_yaml} no YAML); the schema "
              f"rejects {len(rejected) - not_yaml - len(schema_accepts)} and accepts "
              f"{len(schema_accepts)} of them (semantic errors, check's job):")
        for path in schema_accepts:
            _, stderr = check(args.faultline, path)
            first = next((line for line in stderr.splitlines() if "error: " in line), "")
            print(f"  {shown(path)}: {first.split('error: ', 1)[-1]}")

    bad = sorted(bad_dir.glob("*.yaml"))
    if len(bad) < 10:
        failures.append(f"only {len(bad)} structurally bad files in {bad_dir}")
    for path in bad:
        m = re.match(r"# offending: (\S+)", path.read_text(encoding="utf-8"))
        if not m:
            failures.append(f"{path.name}: first line must be '# offending: KEY'")
            continue
        key = m.group(1)
        ok, stderr = check(args.faultline, path)
        if ok:
            failures.append(f"{path.name}: faultline check accepts it")
        elif key not in stderr:
            failures.append(f"{path.name}: faultline check does not name '{key}': {stderr}")
        errors = all_errors(validator, as_editor_sees(path))
        if not errors:
            failures.append(f"{path.name}: the schema accepts it")
        elif not any(names_key(e, key) for e in errors):
            failures.append(f"{path.name}: no schema error names '{key}': "
                            + "; ".join(error_line(e) for e in errors))
        else:
            named = next(e for e in errors if names_key(e, key))
            print(f"bad {path.name}: check and schema reject it; schema: {error_line(named)}")

    for f in failures:
        print("FAIL " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
