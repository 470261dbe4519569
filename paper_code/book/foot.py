"""The foot of a results page: where every number on it comes from, and the files behind them to download.

The numbers of a page shown from the committed study are its findings record, downloadable beside them; a page
run with other parameters computed its record on the machine that built it, from the run it shows, whose files
are offered instead.
"""

from __future__ import annotations

from typing import Any

from paper_code.book.markdown import Markdown
from paper_code.book.numbers import seed_list
from paper_code.locations import DATA_DOWNLOADS, FINDINGS_DOWNLOADS, RUN_DOWNLOADS


def _files(run: dict[str, Any]) -> str:
    return ", ".join(f"{{download}}`{name} </{RUN_DOWNLOADS}/{run['key']}/{name}>`" for name in run["files"])


def data_archives(*parts: str) -> str:
    """Download links to the archives of the study parts a page reads (``grid`` → ``data/grid.zip``)."""
    links = [f"{{download}}`{part}.zip </{DATA_DOWNLOADS}/{part}.zip>`" for part in parts]
    return links[0] if len(links) == 1 else ", ".join(links[:-1]) + " and " + links[-1]


def page_foot(page: str, record: dict[str, Any], run: dict[str, Any]) -> Markdown:
    """Where the numbers of ``page`` come from (``record``: its findings; ``run``: the provenance of the run shown,
    :meth:`paper_code.studies.pages.ResultsPage.provenance`)."""
    seeds = seed_list(record.get("seeds", [run["seed"]]))
    if run["study"]:
        source = (f"Every number on this page is in its findings record {{download}}`{page}.json "
                  f"</{FINDINGS_DOWNLOADS}/{page}.json>`, computed by `python -m paper_code findings` from the "
                  f"committed trials of the paper's configuration (seeds {seeds}, in `study/grid`). The data "
                  f"behind it, every seed's tables included: {data_archives('grid')}.")
    else:
        origin = "the committed study trial" if run["committed"] else "computed on the machine that built this page"
        source = (f"Every number on this page was computed when the page was built, from the run it shows and the "
                  f"seeds of its configuration found (seeds {seeds}).")
        source += f" The run is {origin}."
    return Markdown(
        f"*Where these numbers come from.* {source} **Run shown:** `{run['key']}` ({run['summary']}), "
        f"`{run['folder']}`, numerics version {run['numerics']}, computed by paper_code {run['computed_by']} on "
        f"{run['date'][:10] or 'an unrecorded date'}; download its files: {_files(run)}."
    )


def runs_foot(run: dict[str, Any], studies: list[tuple[str, int]]) -> Markdown:
    """Where the runs of a page that offers many come from: the run it opens on (``run``: its provenance, as for
    :func:`page_foot`), with its files to download, and each folder of trials it offers with their number."""
    origin = "the committed study trial" if run["committed"] else "a run computed on the machine that built this page"
    folders = [f"`{folder}` ({count} trials)" for folder, count in studies]
    offered = folders[0] if len(folders) == 1 else ", ".join(folders[:-1]) + " and " + folders[-1]
    return Markdown(
        f"*Where these runs come from.* The explorer opens on run `{run['key']}` ({run['summary']}), {origin}, in "
        f"`{run['folder']}`: numerics version {run['numerics']}, computed by paper_code {run['computed_by']} on "
        f"{run['date'][:10] or 'an unrecorded date'}; download its files: {_files(run)}. Its menus also offer every "
        f"finished trial of {offered}."
    )

