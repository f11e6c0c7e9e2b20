"""The compiled extractor is its source, compiled: the same facts, built after the last edit.

``setup.py`` compiles the extractor's rule modules with mypyc, and Python imports a compiled
module in place of the source beside it.  So: every module setup.py lists runs compiled, none
is older than its source (``make setup`` rebuilds after an edit), and the compiled extractor
gives byte-for-byte the facts its Python source gives — run from source in a subprocess — on
the labelled set, the seed, generated news articles and hostile text.
"""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from services.extractor.evaluate import load_items
from services.extractor.extract import extract
from services.testing import corpus

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "seeds" / "000_579068ff91aef37f.txt"

# Runs the extractor from its .py files: a finder ahead of the standard ones that answers every
# extractor module with a .py source, and the word scanner it uses, by that source (the C
# sentence splitter and the C walk of the scanner have none).
_FROM_SOURCE = """
import importlib.util, json, sys
from pathlib import Path

class FromSource:
    def find_spec(self, name, path=None, target=None):
        compiled = name.startswith("services.extractor.") or name == "services.core.scanner"
        if not compiled or not path:
            return None
        for folder in path:
            source = Path(folder) / (name.rpartition(".")[2] + ".py")
            if source.exists():
                return importlib.util.spec_from_file_location(name, source)
        return None

sys.meta_path.insert(0, FromSource())
from services.extractor.extract import extract

texts = json.load(sys.stdin)
for module in (sys.modules["services.extractor.rules"], sys.modules["services.core.scanner"]):
    assert module.__file__.endswith(".py"), module.__file__
json.dump([[f.model_dump(mode="json") for f in extract(t, title=h)] for h, t in texts], sys.stdout)
"""


def _compiled_sources() -> list[Path]:
    for node in ast.parse((ROOT / "setup.py").read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "COMPILED" for target in node.targets
        ):
            return [ROOT / path for path in ast.literal_eval(node.value)]
    raise AssertionError("setup.py lists no COMPILED modules")


COMPILED = _compiled_sources()


def _texts() -> list[tuple[str, str]]:
    labelled = load_items(ROOT / "tests" / "extractor" / "labelled", ROOT)
    generated = corpus.generate(400, seed=11)
    hostile = [
        "",
        "\x00\x01\x02\ufffd" * 500,
        "엔비디아와 삼성전자는 GPU 26만장을 " * 2_000,
        "Samsung, SK and Hyundai will each install up to 50,000 GPUs, " * 300,
        "삼성전자는 GPU 5만장을 도입한다. 양사는 1조 2000억원을 투자한다. 최대 " * 200,
    ]
    return (
        [("", item.text) for item in labelled]
        + [("", SEED.read_text(encoding="utf-8"))]
        + [(g.article.title, g.article.text) for g in generated]
        + [("", text) for text in hostile]
    )


@pytest.mark.parametrize("source", COMPILED, ids=lambda path: path.stem)
def test_each_listed_module_runs_compiled_and_newer_than_its_source(source: Path) -> None:
    module = importlib.import_module(".".join(source.relative_to(ROOT).with_suffix("").parts))
    built = Path(module.__file__ or "")
    assert built.suffix == ".so", f"{module.__name__} runs from {built.name}: run `make setup`"
    assert built.stat().st_mtime >= source.stat().st_mtime, (
        f"{source.name} changed after it was compiled: run `make setup`"
    )


def test_the_compiled_extractor_gives_the_facts_of_its_source() -> None:
    texts = _texts()
    compiled = [[f.model_dump(mode="json") for f in extract(t, title=h)] for h, t in texts]
    run = subprocess.run(
        [sys.executable, "-c", _FROM_SOURCE],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
        timeout=240,
    )
    from_source = json.loads(run.stdout)
    assert sum(map(len, compiled)) > 800

    def written(facts: list[dict[str, object]]) -> str:  # as JSON: 5 and 5.0 differ
        return json.dumps(facts, ensure_ascii=False, sort_keys=True)

    pairs = zip(compiled, from_source, strict=True)
    mismatched = [i for i, (a, b) in enumerate(pairs) if written(a) != written(b)]
    assert not mismatched, f"{len(mismatched)} texts differ, first: {texts[mismatched[0]]!r:.300}"
