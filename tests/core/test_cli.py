"""The ``infraledger`` command line imports only the module of the command it runs."""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys

import pytest

from services.cli import TOOLS, build_parser


def _subcommands(parser: argparse.ArgumentParser) -> set[str]:
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return set(sub.choices)


@pytest.mark.parametrize("module", sorted(TOOLS))
def test_each_tool_module_adds_exactly_the_commands_the_table_names(module: str) -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    importlib.import_module(module).add_commands(sub)
    assert _subcommands(parser) == set(TOOLS[module])


@pytest.mark.parametrize("command", [None, "--help", "no-such-command"])
def test_help_and_a_mistyped_command_list_every_command(command: str | None) -> None:
    every = _subcommands(build_parser(command))
    assert {name for names in TOOLS.values() for name in names} <= every
    assert {"up", "store", "broker", "db"} <= every


@pytest.mark.parametrize(
    "argv",
    [
        ["replay", "warc", "archive.warc.gz", "--rate", "50"],
        ["ledger"],
        ["history", "nvidia|gpu_commitment"],
        ["webhooks", "list"],
        ["dlq", "list"],
        ["compute", "--by", "vendor"],
        ["store"],
        ["db", "upgrade"],
        ["db", "downgrade", "0008"],
    ],
)
def test_a_command_parses_as_it_does_with_every_command_registered(argv: list[str]) -> None:
    assert build_parser(argv[0]).parse_args(argv) == build_parser().parse_args(argv)


@pytest.mark.parametrize(
    ("command", "own"), [("replay", {"services.replay.cli"}), ("store", set())]
)
def test_running_a_command_imports_no_other_tools_module(command: str, own: set[str]) -> None:
    probe = (
        "import sys; from services.cli import TOOLS, build_parser; "
        f"build_parser({command!r}); print(' '.join(m for m in TOOLS if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert set(result.stdout.split()) == own


def test_help_from_the_command_line_lists_every_tools_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from services.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    lines = capsys.readouterr().out.splitlines()
    listed = {line.split()[0] for line in lines if line.startswith("    ") and line.strip()}
    assert {name for names in TOOLS.values() for name in names} <= listed
