"""The manual's tables of command-line options, read from the parser itself so that they cannot drift from it.

The command line (:func:`paper_code.__main__.build_parser`) is the one definition of every option, its default and
its meaning; the manual's page hands the parser in (this layer sits below the command line and never imports it).
"""

from __future__ import annotations

import argparse

from paper_code.book.markdown import Markdown, table


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The parser's commands (``run``, ``sweep``, ...) by name, in the order they were added."""
    for action in parser._actions:  # argparse keeps its subcommands in a private action; there is no public getter
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def command_options(parser: argparse.ArgumentParser) -> list[tuple[str, str]]:
    """``(option, meaning)`` for every option of one command, in the order ``--help`` lists them; ``--help`` itself
    is left out, and a required option says so."""
    rows = []
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction) or not action.option_strings:
            continue
        value = "" if action.nargs == 0 else f" {(action.metavar or action.dest).upper()}"
        flag = ", ".join(f"`{s}{value}`" for s in action.option_strings)
        meaning = (action.help or "").replace("%%", "%")
        if action.required:
            meaning = f"**required**: {meaning}"
        rows.append((flag, meaning))
    return rows


def options_table(parser: argparse.ArgumentParser, command: str, besides: str | None = None) -> Markdown:
    """The Markdown table of one command's options; with ``besides``, only those that another command does not
    already have with the same meaning (``sweep`` shares most of ``run``'s)."""
    found = subcommands(parser)
    for name in (command, besides):
        if name is not None and name not in found:
            raise KeyError(f"no command {name!r}: the parser has {', '.join(found)}")
    rows = command_options(found[command])
    if besides is not None:
        shared = set(command_options(found[besides]))
        rows = [row for row in rows if row not in shared]
    return table(["option", "meaning"], rows)
