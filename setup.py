"""The build steps pyproject.toml does not declare: the extractor's compiled parts.

- ``services/extractor/_split.c``: the C sentence splitter (the rules it walks by are in
  ``sentences.py``).
- The extractor's pure rule modules, compiled to C by mypyc (it ships with mypy).  The Python
  source stays the definition: the compiled modules are the same code with its type annotations
  enforced, ``tests/extractor/test_compiled.py`` holds their output to the source's, and
  ``services/extractor/__init__.py`` refuses a compiled module older than its source.  mypyc
  reads the project's mypy configuration (``[tool.mypy]`` in pyproject.toml), so it builds
  exactly the code ``mypy --strict`` checks.
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
        Extension(
            "services.extractor._split",
            ["services/extractor/_split.c"],
            extra_compile_args=["-O2", "-Wall", "-Wextra", "-Werror"],
        ),
        *mypycify(COMPILED, opt_level="3"),
    ]
)
