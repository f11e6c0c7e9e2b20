"""The build steps pyproject.toml does not declare: the compiled parts.

- ``services/extractor/_split.c``: the C sentence splitter (the rules it walks by are in
  ``sentences.py``).
- ``services/core/_scan.c``: the C walk of the word scanner's automaton (built in
  ``services/core/scanner.py``; the extractor's lexicon and the crawler's relevance rules scan
  with it).
- ``services/crawler/_minhash.c``: the crawler's MinHash signatures (defined in
  ``services/crawler/fingerprint.py``), one BLAKE2b compression per shingle without a Python
  object for it.
- The extractor's pure rule modules and the scanner's builder, compiled to C by mypyc (it
  ships with mypy).  The Python source stays the definition: the compiled modules are the same
  code with its type annotations enforced.  Python imports a compiled module in place of the
  source beside it, so ``make`` reinstalls after an edit to any extractor module, and
  ``tests/extractor/test_compiled.py`` fails on a compiled module older than its source and
  holds the compiled facts to the source's.  mypyc reads the project's mypy configuration
  (``[tool.mypy]`` in pyproject.toml), so it builds exactly the code ``mypy --strict`` checks.
"""

from mypyc.build import mypycify
from setuptools import Extension, setup

COMPILED = [
    "services/core/scanner.py",
    "services/extractor/entities.py",
    "services/extractor/extract.py",
    "services/extractor/lexicon.py",
    "services/extractor/numbers.py",
    "services/extractor/patterns.py",
    "services/extractor/rules.py",
    "services/extractor/sentences.py",
    "services/extractor/timeframes.py",
]

setup(
    ext_modules=[
        *(
            Extension(
                f"services.{package}.{name}",
                [f"services/{package}/{name}.c"],
                extra_compile_args=["-O2", "-Wall", "-Wextra", "-Werror"],
            )
            for package, name in (
                ("extractor", "_split"),
                ("core", "_scan"),
                ("crawler", "_minhash"),
            )
        ),
        *mypycify(COMPILED, opt_level="3"),
    ]
)
