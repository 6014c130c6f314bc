"""Run mutmut over each rule module against the tests that exercise it (``make mutants``).

Each argument is ``module=tests[,tests...]``: the Makefile's one list,
``MUTANT_MODULES`` (one module again: ``python -m tests.mutants module=tests``). A module gets a working folder of its own under
``mutants/`` whose ``pyproject.toml`` is the project's with a ``[tool.mutmut]``
that mutates only that module and runs only its tests, so a mutant of the
sign-in rules does not run every page test that happens to sign someone in.
Within those tests mutmut runs, per mutant, only the ones that call the
mutated function. At the end every surviving mutant is listed with its
change; tests/MUTANTS.md says which test kills each, or why it cannot be.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "mutants"
MUTMUT = str(Path(sys.executable).with_name("mutmut"))
#: What the mutated copy needs besides the packages: mutmut copies these into it.
LINKED = ("lms", "catalog", "events", "lighthouse", "migrations", "content", "tests", "babel.cfg")
#: The live-server, browser and fuzz tests exercise no rule the unit and page tests miss and would make every
#: mutant take minutes; translations read the mutated copies' strings.
PYTEST_ARGS = ["-q", "-p", "no:cacheprovider", "-m", "not browser and not server and not db_independent"]


def _config(module: str, tests: list[str]) -> str:
    """Return the project's pyproject.toml with a [tool.mutmut] for one module and its tests."""
    text = (ROOT / "pyproject.toml").read_text()
    text = re.sub(r"(?ms)^\[tool\.mutmut\].*?(?=^\[|\Z)", "", text)

    def toml_list(values):
        return "[" + ", ".join(f'"{v}"' for v in values) + "]"
    return text + (
        "\n[tool.mutmut]\n"
        f'source_paths = {toml_list(["lms", "catalog", "events", "lighthouse"])}\n'
        f'also_copy = {toml_list(["migrations", "content", "babel.cfg"])}\n'
        f"only_mutate = {toml_list([module])}\n"
        f"pytest_add_cli_args_test_selection = {toml_list(tests)}\n"
        f"pytest_add_cli_args = {toml_list(PYTEST_ARGS)}\n")


def run_module(module: str, tests: list[str], env: dict[str, str]) -> list[str]:
    """Mutate one module in a folder of its own; return its surviving mutants' names."""
    here = WORK / module.removesuffix(".py").replace("/", ".")
    shutil.rmtree(here, ignore_errors=True)
    here.mkdir(parents=True)
    for name in LINKED:
        (here / name).symlink_to(ROOT / name)
    (here / "pyproject.toml").write_text(_config(module, tests))
    started = time.monotonic()
    subprocess.run([MUTMUT, "run"], cwd=here, env=env, check=True, stdout=subprocess.DEVNULL)
    results = subprocess.run([MUTMUT, "results"], cwd=here, env=env, check=True, capture_output=True, text=True)
    survivors = [line.split(":")[0].strip() for line in results.stdout.splitlines() if line.strip()]
    print(f"{module}: {len(survivors)} survived or untested, {time.monotonic() - started:.0f} s", flush=True)
    return [(here, name) for name in survivors]


def main(pairs: list[str]) -> int:
    # SQLite, and the developer's skips: the mutated copy has no node_modules.
    env = {key: value for key, value in os.environ.items() if key not in ("TEST_DATABASE_URL", "CI")}
    started = time.monotonic()
    survivors = []
    for pair in pairs:
        module, _, tests = pair.partition("=")
        survivors += run_module(module, tests.split(","), env)
    for here, name in survivors:
        shown = subprocess.run([MUTMUT, "show", name], cwd=here, env=env, capture_output=True, text=True).stdout
        print("\n" + shown.strip())
    print(f"\n{len(survivors)} mutants not killed; {time.monotonic() - started:.0f} s in all.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
