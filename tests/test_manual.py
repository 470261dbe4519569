"""The manual in the book: its parameter tables are read from the command line's own parser, and README is a
front page that links it and types no result number."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from paper_code.__main__ import build_parser
from paper_code.book.options import command_options, options_table, subcommands

ROOT = Path(__file__).resolve().parents[1]


def small_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tool")
    commands = parser.add_subparsers(dest="command")
    run = commands.add_parser("run")
    run.add_argument("--out", required=True, help="results folder")
    run.add_argument("--lam", type=float, default=3.0, help="strength (default 3)")
    run.add_argument("--quiet", action="store_true", help="no output")
    sweep = commands.add_parser("sweep")
    sweep.add_argument("--out", required=True, help="sweep folder")
    sweep.add_argument("--quiet", action="store_true", help="no output")
    sweep.add_argument("--engine", default="auto", help="ray or sequential (100%% local)")
    return parser


def test_options_by_hand():
    parser = small_parser()
    run = subcommands(parser)["run"]
    assert command_options(run) == [("`--out OUT`", "**required**: results folder"),
                                    ("`--lam LAM`", "strength (default 3)"),
                                    ("`--quiet`", "no output")]
    text = options_table(parser, "sweep", besides="run").text.splitlines()
    # --quiet is run's too, with the same meaning: left out; --out means another folder: kept.
    assert text[2:] == ["| `--out OUT` | **required**: sweep folder |", "| `--engine ENGINE` | ray or sequential (100% local) |"]
    with pytest.raises(KeyError, match="no command 'prune'"):
        options_table(parser, "prune")


def test_every_option_of_the_real_parser_is_in_its_table():
    parser = build_parser()
    for command in ("run", "sweep", "prune", "findings", "data"):
        table = options_table(parser, command).text
        sub = subcommands(parser)[command]
        for action in sub._actions:
            for flag in action.option_strings:
                if flag not in ("-h", "--help"):
                    assert f"`{flag}" in table, (command, flag)


def test_the_manual_part_lists_its_pages():
    toc = (ROOT / "_toc.yml").read_text()
    pages = re.findall(r"file: (book/manual\w*)", toc)
    assert pages[0] == "book/manual" and "book/manual_parameters" in pages
    for page in pages:
        assert (ROOT / f"{page}.md").is_file() or (ROOT / f"{page}.ipynb").is_file(), page


def prose(markdown: str) -> str:
    """README without its code and addresses: fenced blocks and inline code hold commands and parameters, links
    and arXiv numbers hold addresses, and a Python version is not a result."""
    text = re.sub(r"```.*?```", "", markdown, flags=re.S)
    text = re.sub(r"`[^`]*`", "", text)
    text = re.sub(r"\(https?://[^)]*\)|arXiv:\d+\.\d+|Python \d+\.\d+", "", text)
    return text


def test_readme_is_a_front_page():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.encode()) < 12_000
    for link in re.findall(r"\]\((book/[^)]+)\)", readme):
        assert (ROOT / link).is_file(), link
    assert "make book" in readme and "make test" in readme


def test_readme_types_no_result_number():
    """Results live in study/findings and the book: README states none (a decimal, an interval, a share)."""
    text = prose((ROOT / "README.md").read_text())
    typed = re.findall(r"\d\.\d|±|\d\s?%", text)
    assert not typed, typed
    assert "0.9" not in prose("a `0.9` b\n```\n0.95 ± 1\n```\n") and "0.95" in prose("a 0.95 b")


@pytest.mark.parametrize("table", ["grid/sweep.csv", "controls/sweep.csv", "held_out/sweep.csv", "theory/theory.csv",
                                   "sensitivity/key_numbers.csv",
                                   "noise/members.csv", "noise/sampling.csv", "author_logs/final_accuracy.csv"])
def test_the_data_page_names_every_column_of_the_studys_tables(table):
    page = (ROOT / "book" / "manual_data.md").read_text()
    header = (ROOT / "study" / table).read_text().splitlines()[0].split(",")
    missing = [column for column in header if f"`{column}`" not in page]
    assert not missing, (table, missing)


def test_the_data_page_lists_an_archive_for_every_part_the_build_archives():
    from paper_code.locations import STUDY_PARTS

    page = (ROOT / "book" / "manual_data.md").read_text()
    assert all(f"{{download}}`{part}.zip </data/{part}.zip>`" in page for part in STUDY_PARTS)
