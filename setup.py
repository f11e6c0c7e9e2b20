"""The one build step pyproject.toml does not declare: the extractor's C sentence splitter
(``services/extractor/_split.c``; the rules it walks by are in ``sentences.py``)."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "services.extractor._split",
            ["services/extractor/_split.c"],
            extra_compile_args=["-O2", "-Wall", "-Wextra", "-Werror"],
        )
    ]
)
