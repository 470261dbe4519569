"""Every page's data: the study, one archive per part, linked from the pages that read it; each section page's
archive holds the tables of every seed it grades."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from paper_code.book.foot import data_archives, page_foot
from paper_code.studies.findings import read_record
from test_book import build_module, build_small_book

ROOT = Path(__file__).resolve().parents[1]



def test_an_archive_holds_a_parts_tables_and_nothing_a_machine_keeps_beside_them(tmp_path):
    study = tmp_path / "study"
    (study / "grid" / "trials" / "abc" / "checkpoints").mkdir(parents=True)
    (study / "grid" / "sweep.csv").write_text("reg,lam\nmas,3\n")
    (study / "grid" / "trials" / "abc" / "correlations.csv").write_text("pair\nmas_fis\n")
    (study / "grid" / "trials" / "abc" / "checkpoints" / "task_01.pt").write_bytes(b"tensor")
    written = build_module().archive_study(study, tmp_path / "stage")
    assert [p.name for p in written] == ["grid.zip"]
    with zipfile.ZipFile(written[0]) as bundle:
        assert sorted(bundle.namelist()) == ["study/grid/sweep.csv", "study/grid/trials/abc/correlations.csv"]
        assert bundle.read("study/grid/sweep.csv") == b"reg,lam\nmas,3\n"
    # The same study gives the same archive, byte for byte.
    again = build_module().archive_study(study, tmp_path / "again")
    assert again[0].read_bytes() == written[0].read_bytes()


def test_the_grid_archive_holds_every_seed_a_section_page_grades(tmp_path):
    archive = build_module().archive_study(ROOT / "study", tmp_path)
    grid = next(p for p in archive if p.name == "grid.zip")
    record = read_record("s3_1")
    with zipfile.ZipFile(grid) as bundle:
        names = set(bundle.namelist())
        graded = set()
        for name in names:
            if name.endswith("/config.json"):
                config = json.loads(bundle.read(name))["config"]
                folder = name.rsplit("/", 1)[0]
                if (config["reg"], config["lam"], config["tasks"]) == (record["reg"], record["lam"], record["tasks"]) \
                        and f"{folder}/correlations.csv" in names:
                    graded.add(config["seed"])
    assert set(record["seeds"]) <= graded


def test_a_committed_page_links_its_records_and_the_grid_archive():
    run = dict(study=True, committed=True, seed=0, key="k", summary="s", folder="study/grid/trials/k", numerics=2,
               computed_by="0.2.0", date="2026-01-01", files=["correlations.csv"])
    text = page_foot("s3_1", {"seeds": [0, 1, 2, 3, 4]}, run).text
    assert "{download}`s3_1.json </findings/s3_1.json>`" in text and "{download}`grid.zip </data/grid.zip>`" in text
    assert data_archives("grid", "controls") == "{download}`grid.zip </data/grid.zip>` and {download}`controls.zip </data/controls.zip>`"


def test_the_built_book_offers_the_archives_its_pages_link(tmp_path_factory):
    built = build_small_book(tmp_path_factory)
    assert built.returncode == 0
    offered = {p.name for p in (built.html / "_downloads").rglob("*.zip")}
    linked = set()
    for page in (built.html / "book").glob("*.html"):
        linked |= {name for name in ("grid.zip", "controls.zip", "beyond.zip", "analysis.zip", "sensitivity.zip",
                                     "noise.zip", "optimizer_reset.zip", "author_logs.zip") if name in page.read_text()}
    assert {"grid.zip", "controls.zip", "analysis.zip", "noise.zip", "beyond.zip"} <= linked <= offered
