"""The build steps pyproject.toml does not declare: the extractor's compiled parts.

- ``services/extractor/_split.c``: the C sentence splitter (the rules it walks by are in
  ``sentences.py``).
- ``services/extractor/_scan.c``: the C walk of the word scanner's automaton (built in
  ``scanner.py``).
- The extractor's pure rule modules, compiled to C by mypyc (it ships with mypy).  The Python
  source stays the definition: the compiled modules are the same code with its type annotations
  enforced.  Python imports a compiled module in place of the source beside it, so ``make``
  reinstalls after an edit to any extractor module, and ``tests/extractor/test_compiled.py``
  fails on a compiled module older than its source and holds the compiled facts to the
  source's.  mypyc reads the project's mypy configuration (``[tool.mypy]`` in pyproject.toml),
  so it builds exactly the code ``mypy --strict`` checks.
"""

from mypyc.build import mypycify
from setuptools import Extension, setup

COMPILED = [
    "services/extractor/entities.py",
    "services/extractor/extract.py",
    "services/extractor/lexicon.py",
    "services/extractor/numbers.py",
    "services/extractor/patterns.py",
    "services/extractor/rules.py",
    "services/extractor/scanner.py",
    "services/extractor/sentences.py",
    "services/extractor/timeframes.py",
]

setup(
    ext_modules=[
        *(
            Extension(
                f"services.extractor.{name}",
                [f"services/extractor/{name}.c"],
                extra_compile_args=["-O2", "-Wall", "-Wextra", "-Werror"],
            )
            for name in ("_split", "_scan")
        ),
        *mypycify(COMPILED, opt_level="3"),
    ]
)
