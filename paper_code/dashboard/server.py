"""Serve the dashboard with Voilà on this machine only: ``python -m paper_code.dashboard.server``.

``make dashboard`` runs this module. Everything the server needs is set here,
in one place, so the Makefile, the README and the browser test start the same
server:

- Voilà listens on 127.0.0.1 only (the dashboard can start computations, so it
  is not offered to the network), on ``--port`` (default ``$PORT`` or 8866);
- it renders with the ``offline`` template under ``dashboard/jupyter/``: Voilà's
  lab template minus the two stylesheets it links from a CDN, so the page makes
  no request outside the server;
- the kernels import ``paper_code`` from this checkout (``PYTHONPATH``) and learn
  where runs live from two environment variables (see
  :meth:`paper_code.dashboard.panel.Dashboard.from_environment`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

#: Environment variables through which the server tells the dashboard's kernels where runs live.
RESULTS_ENV = "PAPER_CODE_DASHBOARD_RESULTS"
STUDY_ENV = "PAPER_CODE_DASHBOARD_STUDY"

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "dashboard" / "explore.ipynb"
#: A Jupyter data folder holding the dashboard's Voilà template (``voila/templates/offline``).
JUPYTER_DATA = ROOT / "dashboard" / "jupyter"
TEMPLATE = "offline"
DEFAULT_PORT = 8866
HOST = "127.0.0.1"


def voila_command(port: int) -> list[str]:
    """The Voilà command line: the dashboard notebook, this machine only, the offline template, no browser."""
    voila = shutil.which("voila", path=str(Path(sys.executable).parent)) or shutil.which("voila")
    if voila is None:
        raise SystemExit("voila is not installed: run `make setup` (it installs the book extra, which includes it)")
    return [
        voila,
        str(NOTEBOOK),
        f"--port={port}",
        f"--Voila.ip={HOST}",
        "--no-browser",
        f"--template={TEMPLATE}",
        "--theme=light",
        # A reader sees messages, never tracebacks; the panel reports its own errors in the page.
        "--show_tracebacks=False",
    ]


def server_environment(results_dir: Path, study_dir: Path | None, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment Voilà and its kernels run in."""
    env = dict(os.environ if base is None else base)
    env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(JUPYTER_DATA), env.get("JUPYTER_PATH", "")]))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    env[RESULTS_ENV] = str(results_dir)
    env[STUDY_ENV] = str(study_dir) if study_dir is not None else ""
    return env


def _absolute(path: str) -> Path:
    candidate = Path(path).expanduser()
    return candidate if candidate.is_absolute() else ROOT / candidate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or DEFAULT_PORT),
                        help=f"port on {HOST} (default: $PORT, else {DEFAULT_PORT})")
    parser.add_argument("--results-dir", default="results",
                        help="where runs are cached and new runs are written (default: results/ of this checkout)")
    parser.add_argument("--study-dir", default="study/grid",
                        help="the committed study whose trials are offered (default: study/grid); '' for none")
    args = parser.parse_args(argv)
    if not 0 < args.port < 65536:
        print(f"--port {args.port} is out of range: use 1-65535", file=sys.stderr)
        return 2
    study = _absolute(args.study_dir) if args.study_dir else None
    command = voila_command(args.port)
    print(f"Dashboard: http://{HOST}:{args.port}/  (Ctrl-C stops the server)", flush=True)
    # exec: the process that was started is the server, so stopping it stops Voilà and its kernels.
    os.execve(command[0], command, server_environment(_absolute(args.results_dir), study))
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
