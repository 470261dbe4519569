"""Build the book: run (or reuse) the experiment, execute every page with papermill, build offline HTML.

    .venv/bin/python book/build.py                         # the paper's setup, results in results/
    .venv/bin/python book/build.py -p n_tasks 3 -p epochs 1  # any page parameter, passed to every page
    .venv/bin/python book/build.py --vendor-only           # fetch the pinned JavaScript assets and stop
    .venv/bin/python book/build.py --only s3_1_mas_fis     # preview one page (and the root page)

Steps:

1. the JavaScript the pages load is put under ``assets/vendor/`` (gitignored): plotly.js copied from
   the installed plotly package (so the JS and Python versions match), MathJax 3, require.js and
   the ipywidgets HTML manager unpacked from npm tarballs whose sha512 integrity is pinned below;
2. the book sources (``_config.yml``, ``_toc.yml``, ``book/*.md``, ``book/*.ipynb``, ``assets/``) are
   copied to a staging folder, ``<out>/_build/src``, so the working tree is never written to;
3. the experiment of the given parameters is run once with ``cached_run`` (the pages show the committed study
   trial of the same configuration where the study holds one; this run is then the local reproduction that the
   page "Reproduce this" compares with it);
4. each notebook is executed with papermill into the staging folder (kernel cwd: the repository
   root), with ``PAPER_CODE_BOOK=1`` so figures are emitted as plain HTML for the static book, and
   the cell papermill injects is tagged ``remove-cell``;


6. ``jupyter-book build --all -W -n --keep-going`` writes ``<out>/_build/html``; any warning fails;
7. every number pasted into the prose is written as the book writes its own: a negative one with the typographic
   minus (Python formats it with a hyphen), a percentage with a no-break space before its sign.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
VENDOR = ROOT / "assets" / "vendor"

#: npm tarballs: (package spec, sha512 integrity as printed by `npm pack --json`).
NPM_PACKAGES = {
    "mathjax": ("mathjax@3.2.2", "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw=="),
    "html-manager": (
        "@jupyter-widgets/html-manager@1.0.6",
        "sha512-+Mn+Ra8wyIHrYaUpfmf9A3dsLkt/NuwzPQN8sthdxBD35VV5cOJbpmgMhNR27n/rmP3mKyEe0PWCJrtZrXTXDQ==",
    ),
    "requirejs": ("requirejs@2.3.7", "sha512-DouTG8T1WanGok6Qjg2SXuCMzszOo0eHeH9hDZ5Y4x8Je+9JB38HdTLT4/VA8OaUhBa0JPVHJ0pyBkM1z+pDsw=="),
}
#: Parts of MathJax's es5 build that tex-chtml.js loads (the SVG output and the combined bundles are left out).
MATHJAX_PARTS = ("tex-chtml.js", "input", "output/chtml.js", "output/chtml", "ui", "a11y", "adaptors", "sre")
FONT_SUFFIXES = (".eot", ".svg", ".ttf", ".woff", ".woff2")
VENDOR_STAMP = VENDOR / "vendor.json"

#: Page parameters and their types. Each page receives those its parameters cell declares.
PARAMETER_TYPES = {
    "results_dir": str, "n_tasks": int, "epochs": int, "lam": float, "reg": str, "seed": int,
    "correlation": str, "train_size": int, "test_size": int, "importance_samples": int, "study_dir": str,
    "analysis_dir": str, "analysis_key": str,
}


# --------------------------------------------------------------------------- vendored JavaScript
def _integrity(path: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def _npm_pack(spec: str, integrity: str, folder: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is needed once to fetch the book's JavaScript assets: apt-get install -y npm")
    result = subprocess.run([npm, "pack", "--json", "--silent", spec], cwd=folder, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"npm pack {spec} failed:\n{result.stderr.strip()}")
    tarball = folder / json.loads(result.stdout)[0]["filename"]
    if _integrity(tarball) != integrity:
        raise SystemExit(f"{tarball.name} does not have the pinned integrity {integrity}: refusing to use it")
    return tarball


def _extract(tarball: Path, folder: Path) -> Path:
    with tarfile.open(tarball) as archive:
        archive.extractall(folder, filter="data")
    return folder / "package"


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True)
    else:
        shutil.copy2(source, target)


def vendor_complete() -> bool:
    if not VENDOR_STAMP.is_file():
        return False
    recorded = json.loads(VENDOR_STAMP.read_text()).get("packages", {})
    return recorded == {name: spec for name, (spec, _) in NPM_PACKAGES.items()}


def ensure_vendor(quiet: bool = False) -> None:
    """Fetch the pinned npm packages into assets/vendor/ (once), and copy plotly.js (every build)."""
    import plotly

    plotly_js = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not vendor_complete():
        if not quiet:
            print("fetching MathJax, require.js and the ipywidgets HTML manager with npm pack ...", flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            tmp_path = Path(tmp)
            staged = tmp_path / "vendor"
            packages = {}
            for name, (spec, integrity) in NPM_PACKAGES.items():
                unpack = tmp_path / name
                unpack.mkdir()
                packages[name] = _extract(_npm_pack(spec, integrity, unpack), unpack)
            es5 = packages["mathjax"] / "es5"
            for part in MATHJAX_PARTS:
                _copy(es5 / part, staged / "mathjax" / part)
            dist = packages["html-manager"] / "dist"
            _copy(dist / "embed-amd.js", staged / "ipywidgets" / "embed-amd.js")
            for font in dist.iterdir():
                if font.suffix in FONT_SUFFIXES:
                    _copy(font, staged / "ipywidgets" / font.name)
            _copy(packages["requirejs"] / "require.js", staged / "ipywidgets" / "require.js")
            (staged / "vendor.json").write_text(
                json.dumps({"packages": {n: s for n, (s, _) in NPM_PACKAGES.items()}}, indent=2) + "\n"
            )
            if VENDOR.exists():
                shutil.rmtree(VENDOR)
            VENDOR.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(staged), VENDOR)
    shutil.copy2(plotly_js, VENDOR / "plotly.min.js")


# --------------------------------------------------------------------------- the book
def pages(only: list[str] | None = None) -> list[Path]:
    """The notebooks and Markdown pages listed in _toc.yml, in order (with ``only``: the root page and those named)."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries: list) -> None:
        for entry in entries:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("chapters", []) + entry.get("sections", []))

    walk(toc.get("parts", []) + toc.get("chapters", []))
    found = []
    for name in files:
        for suffix in (".ipynb", ".md"):
            if (ROOT / f"{name}{suffix}").is_file():
                found.append(ROOT / f"{name}{suffix}")
                break
        else:
            raise SystemExit(f"_toc.yml lists {name}, which is neither {name}.ipynb nor {name}.md")
    if only:
        unknown = set(only) - {page.stem for page in found}
        if unknown:
            raise SystemExit(f"no page {', '.join(sorted(unknown))} in _toc.yml: choose from "
                             + ", ".join(page.stem for page in found))
        found = [page for index, page in enumerate(found) if index == 0 or page.stem in only]
    return found


#: A GitHub repository as Actions names it in GITHUB_REPOSITORY: owner/name.
REPOSITORY_NAME = re.compile(r"^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$")
#: Where the pages' launch buttons open a notebook.
BINDERHUB_URL = "https://mybinder.org"
COLAB_URL = "https://colab.research.google.com"


def book_repository(given: str | None = None) -> str | None:
    """The repository the book is published from (``owner/name``): ``--repository``, else GITHUB_REPOSITORY, which
    GitHub Actions sets; ``None`` when neither names one, and then the book shows no repository or launch button
    (a button to an unknown place would be a dead link)."""
    name = given if given is not None else os.environ.get("GITHUB_REPOSITORY", "")
    if not name:
        return None
    if not REPOSITORY_NAME.match(name):
        print(f"build.py: repository {name!r} is not owner/name (e.g. example-org/importance-correlations): "
              "fix --repository or GITHUB_REPOSITORY", file=sys.stderr)
        raise SystemExit(2)
    return name


def repository_settings(name: str, branch: str = "main") -> dict:
    """The Jupyter Book settings that a known repository turns on: the repository and issues buttons, the
    download button, and Binder and Colab launch buttons on every notebook page."""
    return {
        "repository": {"url": f"https://github.com/{name}", "path_to_book": "", "branch": branch},
        "html": {"use_repository_button": True, "use_issues_button": True, "use_download_button": True},
        "launch_buttons": {"notebook_interface": "jupyterlab", "binderhub_url": BINDERHUB_URL,
                           "colab_url": COLAB_URL},
    }


def merged(base: dict, extra: dict) -> dict:
    """``base`` with ``extra``'s keys set, nested mappings merged key by key."""
    out = dict(base)
    for key, value in extra.items():
        out[key] = merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def stage_sources(stage: Path, only: list[str] | None = None, repository: str | None = None) -> None:
    """Copy the book's sources to ``stage``; with ``only``, a table of contents of the root page and those pages;
    with ``repository`` (owner/name), the configuration that turns on its buttons."""
    import yaml

    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    shutil.copy2(ROOT / "_config.yml", stage / "_config.yml")
    if repository is not None:
        config = yaml.safe_load((ROOT / "_config.yml").read_text())
        (stage / "_config.yml").write_text(yaml.safe_dump(merged(config, repository_settings(repository)),
                                                          sort_keys=False, allow_unicode=True))
    if only:
        chosen = pages(only)
        toc = {"format": "jb-book", "root": f"book/{chosen[0].stem}",
               "chapters": [{"file": f"book/{page.stem}"} for page in chosen[1:]]}
        (stage / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False))
    else:
        shutil.copy2(ROOT / "_toc.yml", stage / "_toc.yml")
    shutil.copytree(ROOT / "assets", stage / "assets")
    (stage / "book").mkdir()
    for page in pages(only):
        shutil.copy2(page, stage / "book" / page.name)
    # The findings records, which every page links for download beside the numbers it states.
    from paper_code.locations import FINDINGS_DOWNLOADS, STUDY_DIR

    shutil.copytree(ROOT / STUDY_DIR / "findings", stage / FINDINGS_DOWNLOADS)
    archive_study(ROOT / STUDY_DIR, stage)


def archive_study(study: Path, stage: Path) -> list[Path]:
    """One zip archive per part of the committed study (``data/<part>.zip`` under ``stage``), which the pages link
    as the data behind their verdicts: every CSV and JSON file of the part, under its path in the repository, and
    nothing a machine keeps beside them (checkpoints, importance tensors). Entries carry a fixed date, so the same
    study gives the same archive."""
    import zipfile

    from paper_code.locations import ARCHIVED_SUFFIXES, DATA_DOWNLOADS, STUDY_PARTS

    target = stage / DATA_DOWNLOADS
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for part in STUDY_PARTS:
        folder = study / part
        if not folder.is_dir():
            continue
        archive = target / f"{part}.zip"
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
            for path in sorted(folder.rglob("*")):
                if path.is_file() and path.suffix in ARCHIVED_SUFFIXES:
                    entry = zipfile.ZipInfo(f"study/{path.relative_to(study).as_posix()}", date_time=(1980, 1, 1, 0, 0, 0))
                    entry.compress_type = zipfile.ZIP_DEFLATED
                    bundle.writestr(entry, path.read_bytes())
        written.append(archive)
    return written


RUN_PARAMETERS = ("n_tasks", "epochs", "lam", "reg", "seed", "train_size", "test_size", "importance_samples")


def run_config(parameters: dict) -> "object":
    from paper_code.studies import pages

    return pages.page_config(**{k: v for k, v in parameters.items() if k in RUN_PARAMETERS})


def shown_folder(parameters: dict) -> Path:
    """The folder of the run the results pages show: the committed study trial of the configuration when the
    study holds one, else the run computed here."""
    from paper_code.studies import pages

    results, _ = pages.shown_run(parameters.get("results_dir", "results"), parameters.get("study_dir", "study/grid"),
                                **{k: v for k, v in parameters.items() if k in RUN_PARAMETERS})
    return Path(results.path)


def run_experiment_once(parameters: dict) -> Path:
    from paper_code import cached_run
    from paper_code.locations import checkout_path

    config = run_config(parameters)
    root = checkout_path(parameters.get("results_dir", "results"))
    print(f"experiment {config.key} in {root / config.key} ...", flush=True)
    start = time.perf_counter()
    results = cached_run(config, root, quiet=False)
    print(f"experiment ready ({time.perf_counter() - start:.0f} s)", flush=True)
    return Path(results.path)


def tag_injected_cell(path: Path) -> None:
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            cell["metadata"]["tags"] = tags + ["remove-cell"]
    nbformat.write(notebook, path)


def execute_page(page: Path, target: Path, parameters: dict) -> float:
    """Execute one notebook with papermill (kernel cwd: the repository root); returns the seconds taken."""
    import papermill

    from paper_code.figures.renderer import BOOK_ENV

    os.environ[BOOK_ENV] = "1"
    start = time.perf_counter()
    declared = papermill.inspect_notebook(str(page))
    papermill.execute_notebook(
        str(page), str(target), parameters={k: v for k, v in parameters.items() if k in declared},
        cwd=str(ROOT), progress_bar=False, log_output=False,
        # A page glues its findings into its prose, one output per value; on a loaded machine nbclient's default
        # 4 s for the last outputs to arrive after a cell has run is too short.
        iopub_timeout=120,
    )
    tag_injected_cell(target)
    return time.perf_counter() - start


def execute_pages(stage: Path, parameters: dict, jobs: int = 2, only: list[str] | None = None) -> dict[str, float]:
    """Execute every notebook of the book (or those of ``only``), ``jobs`` at a time (each in its own process and
    kernel)."""
    notebooks = [page for page in pages(only) if page.suffix == ".ipynb"]
    seconds = {}
    # Fresh interpreters (spawn): a forked copy of this process, with torch's threads, can deadlock.
    with ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(execute_page, page, stage / "book" / page.name, parameters): page for page in notebooks}
        for future in as_completed(futures):
            page = futures[future]
            seconds[page.stem] = future.result()
            print(f"  executed {page.name} in {seconds[page.stem]:.1f} s", flush=True)
    return seconds


def copy_downloads(stage: Path, run_folder: Path) -> None:
    from paper_code.locations import DOWNLOAD_FILES, RUN_DOWNLOADS

    target = stage / RUN_DOWNLOADS / run_folder.name
    target.mkdir(parents=True, exist_ok=True)
    for name in DOWNLOAD_FILES:
        if (run_folder / name).is_file():
            shutil.copy2(run_folder / name, target / name)


def build_html(stage: Path, out: Path, strict: bool = True) -> None:
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    command = [str(jupyter_book), "build", str(stage), "--path-output", str(out), "--all", "-n", "--keep-going"]
    if strict:
        command.insert(-2, "-W")
    print("$ " + " ".join(command), flush=True)
    subprocess.run(command, check=True)


#: A number myst-nb pastes into the prose, written with a format spec: Python writes its sign with a hyphen.
PASTED_NEGATIVE = re.compile(r'(<span class="pasted-text">)-(?=[0-9.])')
#: A pasted share: Python's ``:.0%`` writes "93%", the records' intervals "73 ± 4 %" with a breakable space.
PASTED_PERCENT = re.compile(r'(<span class="pasted-text">[^<]*?[0-9]) ?%')


def typographic_numbers(html: Path) -> int:
    """Write every number pasted into the prose as the book writes its own: a negative one with the typographic
    minus (U+2212: "−0.15", not "-0.15"), a percentage with a no-break space before its sign ("93 %", never a
    lone "%" at the start of a line); returns how many were changed."""
    changed = 0
    for page in html.rglob("*.html"):
        text = page.read_text()
        fixed, minus = PASTED_NEGATIVE.subn("\\1\u2212", text)
        fixed, percent = PASTED_PERCENT.subn("\\1\u00a0%", fixed)
        if minus or percent:
            page.write_text(fixed)
            changed += minus + percent
    return changed


def parse_parameters(pairs: list[list[str]]) -> dict:
    parameters = {}
    for name, value in pairs:
        if name not in PARAMETER_TYPES:
            raise SystemExit(f"unknown page parameter {name!r}: choose from {', '.join(PARAMETER_TYPES)}")
        try:
            parameters[name] = PARAMETER_TYPES[name](value)
        except ValueError:
            raise SystemExit(f"page parameter {name}={value!r} is not a valid {PARAMETER_TYPES[name].__name__}") from None
    return parameters


def build(parameters: dict | None = None, out: Path = ROOT, jobs: int = 2, only: list[str] | None = None,
          repository: str | None = None) -> Path:
    """Everything above; returns the folder holding index.html. With ``only``, a preview of those pages (and the
    root page): their links to the other pages stay unresolved, so warnings are printed and do not fail it. With
    ``repository`` (owner/name), the pages link it and offer launch buttons; the notebooks read it from
    BOOK_REPOSITORY (the Explore page links the live dashboard on Binder)."""
    parameters = dict(parameters or {})
    if repository is not None:
        os.environ["BOOK_REPOSITORY"] = repository
    else:
        os.environ.pop("BOOK_REPOSITORY", None)
    parameters.setdefault("results_dir", "results")
    out = Path(out).resolve()
    stage = out / "_build" / "src"
    timings = {}
    start = time.perf_counter()
    ensure_vendor()
    run_experiment_once(parameters)
    timings["experiment"] = time.perf_counter() - start
    stage_sources(stage, only, repository)
    start = time.perf_counter()
    execute_pages(stage, parameters, jobs, only)
    timings["papermill"] = time.perf_counter() - start
    copy_downloads(stage, shown_folder(parameters))
    start = time.perf_counter()
    build_html(stage, out, strict=not only)
    timings["jupyter-book"] = time.perf_counter() - start
    html = out / "_build" / "html"
    typographic_numbers(html)
    print("times: " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()))
    return html


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                        help="a page parameter passed to every notebook (papermill -p); repeatable")
    parser.add_argument("--out", type=Path, default=ROOT, help="the HTML goes to OUT/_build/html (default: the repository)")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks executed at once (default: 2)")
    parser.add_argument("--vendor-only", action="store_true", help="fetch the JavaScript assets and stop")
    parser.add_argument("--only", action="append", default=[], metavar="PAGE",
                        help="preview: build the root page and this page only (e.g. s3_1_mas_fis); repeatable")
    parser.add_argument("--repository", default=None, metavar="OWNER/NAME",
                        help="the GitHub repository the book is published from: turns on its repository, issues and "
                             "launch buttons (default: GITHUB_REPOSITORY, which GitHub Actions sets; none without it)")
    args = parser.parse_args(argv)
    repository = book_repository(args.repository)
    if args.vendor_only:
        ensure_vendor()
        print(f"JavaScript assets in {VENDOR}")
        return 0
    html = build(parse_parameters(args.parameter), args.out, args.jobs, args.only or None, repository)
    print(f"\nThe book is at {html / 'index.html'}\n  open it with: open {html / 'index.html'}  (or xdg-open)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
