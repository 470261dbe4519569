"""Command line: ``python -m paper_code run --out DIR [...]``, ``sweep``, ``prune --results DIR`` and ``data``.

Installed, the same commands are ``importance-correlations run ...``. Errors a user can cause are printed as
one line on stderr with exit status 2, before any work is done and before any file is written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Callable, NoReturn, Sequence

from paper_code._version import DISTRIBUTION, NUMERICS_VERSION, __version__
from paper_code.config import DERIVABLE_METHODS, DERIVED_CONTROLS, METHOD_NAMES, NETWORKS, STREAMS, Config, with_penalty_method
from paper_code.errors import PaperCodeError
from paper_code.locations import DATA_ROOT_RULE

DATA_HELP = f"MNIST folder (default: {DATA_ROOT_RULE})"

EXIT_USAGE = 2

DESCRIPTION = ("Correlations of EWC weight importances on permuted MNIST, after Kutalev (2022):\n"
               "run one experiment, sweep a grid of them, prune a run's network, or rebuild MNIST offline.")

#: A few command lines under each command's --help.
EXAMPLES = {
    "main": """examples:
  python -m paper_code run --out results/paper            the paper's setup (1-3 minutes on 2 CPU cores)
  python -m paper_code run --out results/small --tasks 3 --epochs 1
  python -m paper_code sweep --out results/grid --reg mas --lam 1,3,10 --seed 0,1""",
    "run": """examples:
  python -m paper_code run --out results/paper                 the paper's setup
  python -m paper_code run --out results/si --reg si --lam 0.3 EWC with SI's importances
  python -m paper_code run --out results/paper --resume        continue a run that was stopped""",
    "sweep": """examples:
  python -m paper_code sweep --out results/grid --reg mas --lam 1,3,10 --seed 0,1,2
  python -m paper_code sweep --out results/grid --reg fis,si --lam 3 --engine sequential
  python -m paper_code sweep --out results/grid --seed 0,1 --address 127.0.0.1:6379   join a running Ray cluster""",
    "prune": """examples:
  python -m paper_code prune --results results/paper
  python -m paper_code prune --results results/paper --scope layer --fractions 0,0.5,0.9 --top 1,10""",
    "data": """examples:
  python -m paper_code data
  python -m paper_code data --data-root /scratch/mnist""",
    "findings": """examples:
  python -m paper_code findings            rewrite study/findings/*.json from the committed study
  python -m paper_code findings --check    exit 1 where a committed record is stale""",
}

#: How the help names the controls of any importance.
DERIVED_HELP = f"{' or '.join(c + ':METHOD' for c in DERIVED_CONTROLS)}, METHOD one of {', '.join(DERIVABLE_METHODS)}"


def _shown(value: Any) -> str:
    """A default as a reader types it: 3 rather than 3.0, a list as a,b rather than a tuple."""
    if isinstance(value, (tuple, list)):
        return ",".join(_shown(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class _OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming the problem (no usage dump), and the examples of the
    epilog keep their lines."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def _comma_list(text: str) -> tuple[str, ...]:
    items = tuple(item.strip() for item in text.split(",") if item.strip())
    if not items:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list, got {text!r}")
    return items


def _typed_list(kind: type) -> Callable[[str], tuple[Any, ...]]:
    def parse(text: str) -> tuple[Any, ...]:
        items = _comma_list(text)
        try:
            return tuple(kind(item) for item in items)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a comma-separated list of {kind.__name__}, got {text!r}") from None

    parse.__name__ = f"{kind.__name__} list"
    return parse


def add_run_arguments(parser: argparse.ArgumentParser, lists: bool = False) -> None:
    """The run parameters; each maps to one :class:`Config` field of the same name.

    With ``lists`` (the sweep), ``--reg``, ``--lam`` and ``--seed`` take comma-separated lists.
    """
    d = Config()
    add = parser.add_argument
    several = ", a comma-separated list" if lists else ""
    add("--tasks", type=int, default=d.tasks, help=f"number of tasks (default {d.tasks}; split MNIST has at most 5)")
    add("--stream", default=d.stream,
        help=f"task stream: {', '.join(STREAMS)} (default {d.stream}, the paper's; rotated: task t of T turned by "
             "180°·t/T; split: five two-digit tasks, each trained and evaluated on its own two output units)")
    add("--hidden", type=_typed_list(int), default=d.hidden,
        help=f"hidden layer sizes, comma-separated (default {_shown(d.hidden)}, the paper's 784-300-150-10)")
    add("--network", default=d.network,
        help=f"{' or '.join(NETWORKS)}: the fully connected network (default) or a small convolutional one (two 5×5 "
             "convolutions with 6 and 12 channels, each with 2×2 max pooling, then the --hidden layers; e.g. "
             "--network conv --hidden 100)")
    add("--leaky-slope", type=float, default=d.leaky_slope,
        help=f"negative slope of the hidden units' LeakyReLU; 0 gives ReLU (default {_shown(d.leaky_slope)})")
    add("--epochs", type=int, default=d.epochs, help=f"epochs per task (default {d.epochs})")
    add("--lam", type=_typed_list(float) if lists else float, default=(d.lam,) if lists else d.lam,
        help=f"EWC strength lambda (default {_shown(d.lam)}{several})")
    add("--reg", type=_typed_list(str) if lists else str, default=(d.reg,) if lists else d.reg,
        help=f"importance used by the EWC penalty: {', '.join(METHOD_NAMES)}, a control of another importance "
             f"({DERIVED_HELP}) or none; added to --methods when "
             f"it is not there (default {d.reg}{several})")
    add("--seed", type=_typed_list(int) if lists else int, default=(d.seed,) if lists else d.seed,
        help=f"seed of weights, permutations and shuffling (default {d.seed}{several})")
    add("--methods", type=_comma_list, default=d.methods,
        help=f"importances to compute, of {', '.join(METHOD_NAMES)} and {DERIVED_HELP} (default {_shown(d.methods)})")
    add("--importance-samples", type=int, default=d.importance_samples,
        help=f"last training samples of a task over which importances are averaged (default {d.importance_samples})")
    add("--lr", type=float, default=d.lr, help=f"Adam learning rate (default {_shown(d.lr)})")
    add("--batch-size", type=int, default=d.batch_size, help=f"mini-batch size (default {d.batch_size})")
    add("--optimizer-state", choices=("kept", "reset"), default=d.optimizer_state,
        help="Adam's moments at a task boundary: kept (one optimizer for the whole sequence, as in the paper "
             f"author's scripts) or reset (a fresh optimizer per task) (default {d.optimizer_state})")
    add("--si-xi", type=float, default=d.si_xi, help=f"SI damping xi (default {_shown(d.si_xi)})")
    add("--si-grad", choices=("total", "task"), default=d.si_grad,
        help="gradient in SI's path integral: total (with the EWC penalty, as the paper author's scripts) or "
             f"task (the task loss alone) (default {d.si_grad})")
    add("--permute-first", action="store_true", help="permute the first task too (default: task 1 is plain MNIST)")
    add("--pairs", type=_comma_list, default=d.pairs,
        help=f"correlation pairs, e.g. mas_fis,fis_mas2 (default: Figs. 1-7, {_shown(d.pairs)})")
    add("--corr-biases", action="store_true", help="include biases in each layer's correlation")
    add("--train-size", type=int, default=d.train_size, help=f"training rows per task (default: all {d.train_size})")
    add("--test-size", type=int, default=d.test_size, help=f"test rows per task (default: all {d.test_size})")
    add("--device", default=d.device, help=f"auto, cpu or cuda[:N] (default {d.device})")


def config_from_args(args: argparse.Namespace, **overrides: Any) -> Config:
    values = dict(lam=args.lam, reg=args.reg, seed=args.seed)
    values.update(overrides)
    # EWC needs the importance it regularizes with: --reg adds it to --methods (as a sweep does for its trials).
    methods = with_penalty_method(args.methods, values["reg"])
    return Config(
        tasks=args.tasks,
        epochs=args.epochs,
        **values,
        methods=methods,
        importance_samples=args.importance_samples,
        lr=args.lr,
        batch_size=args.batch_size,
        si_xi=args.si_xi,
        si_grad=args.si_grad,
        optimizer_state=args.optimizer_state,
        permute_first=args.permute_first,
        stream=args.stream,
        hidden=tuple(args.hidden),
        network=args.network,
        leaky_slope=args.leaky_slope,
        pairs=args.pairs,
        corr_biases=args.corr_biases,
        train_size=args.train_size,
        test_size=args.test_size,
        device=args.device,
    )


#: What to do after Ctrl-C, per command: what was finished is kept in every case.
RESUME_HINTS = {
    "run": "rerun the same command with --resume to continue from the last completed task",
    "sweep": "rerun the same command: finished trials are skipped and an unfinished one continues",
    "prune": "rerun the same command (nothing was written)",
    "data": "rerun the same command",
    "findings": "rerun the same command (each record is written whole or not at all)",
}


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="python -m paper_code", description=DESCRIPTION, epilog=EXAMPLES["main"])
    parser.add_argument("--version", action="version",
                        version=f"{DISTRIBUTION} {__version__} (numerics version {NUMERICS_VERSION})")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_OneLineParser)

    run = commands.add_parser("run", help="run one continual-learning experiment into a results folder",
                              description="Run one continual-learning experiment into a results folder.",
                              epilog=EXAMPLES["run"])
    run.add_argument("--out", type=Path, required=True, help="results folder")
    add_run_arguments(run)
    run.add_argument("--resume", action="store_true", help="continue an unfinished run of the same configuration")
    run.add_argument("--force", action="store_true", help="discard the results in --out and start over")
    run.add_argument("--quiet", action="store_true", help="no progress output")
    run.add_argument("--data-root", type=Path, default=None, help=DATA_HELP)

    sweep = commands.add_parser("sweep", help="one run per combination of --reg, --lam and --seed values",
                                description="One run per combination of the --reg, --lam and --seed values, "
                                            "on Ray Tune when installed; finished trials are skipped.",
                                epilog=EXAMPLES["sweep"])
    sweep.add_argument("--out", type=Path, required=True, help="sweep folder: trials/<key>/ and sweep.csv")
    add_run_arguments(sweep, lists=True)
    sweep.add_argument("--engine", choices=("auto", "ray", "sequential"), default="auto",
                       help="ray when installed (default), else one trial after another")
    sweep.add_argument("--address", default=None, help="join a running Ray cluster (host:port) instead of a local one")
    sweep.add_argument("--cpus-per-trial", type=float, default=None, help="CPUs (and torch threads) per trial")
    sweep.add_argument("--gpus-per-trial", type=float, default=0, help="GPU fraction per trial (default 0)")
    sweep.add_argument("--quiet", action="store_true", help="no progress output")
    sweep.add_argument("--data-root", type=Path, default=None, help=DATA_HELP)

    prune = commands.add_parser("prune", help="prune a run's network by each importance; top-k overlap of the importances",
                                description="Prune a run's network by each importance, and measure the top-k "
                                            "overlap of the importances.", epilog=EXAMPLES["prune"])
    prune.add_argument("--results", type=Path, required=True, help="results folder with checkpoints and importances")
    prune.add_argument("--fractions", type=_typed_list(float), default=None,
                       help="fractions of weights removed, each in [0, 1) (default 0,0.25,0.5,0.7,0.8,0.9,0.95,0.98,0.99)")
    prune.add_argument("--scope", type=_comma_list, default=("layer", "global"),
                       help="layer (each layer pruned by the fraction), global (all weights ranked together) "
                            "or layer,global (default)")
    prune.add_argument("--ranking", type=_comma_list, default=("importance", "saliency"),
                       help="importance (Ω), saliency (Ω·w², what removing a weight costs under EWC's penalty) "
                            "or importance,saliency (default)")
    prune.add_argument("--after-task", type=int, default=None, help="the network after this task (default: the last)")
    prune.add_argument("--methods", type=_comma_list, default=None,
                       help="importances to prune by (default: every one the run computed, magnitude and random)")
    prune.add_argument("--top", type=_typed_list(float), default=None, help="top-k percentages (default 1,10,50)")
    prune.add_argument("--out", type=Path, default=None, help="folder for the two CSV files (default: --results)")
    prune.add_argument("--data-root", type=Path, default=None, help=DATA_HELP)

    findings = commands.add_parser("findings", help="write the findings records of the book's pages from the study",
                                   description="Recompute every page's findings record from the committed study "
                                               "and write study/findings/<page>.json.", epilog=EXAMPLES["findings"])
    findings.add_argument("--check", action="store_true",
                          help="write nothing: fail (exit 1) where a committed record differs from the recomputed one")

    data = commands.add_parser("data", help="rebuild (if missing) and verify the MNIST files",
                               description="Rebuild (if missing) and verify the MNIST files.", epilog=EXAMPLES["data"])
    data.add_argument("--data-root", type=Path, default=None, help=DATA_HELP)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "run":
            from paper_code.experiment import run_experiment  # noqa: PLC0415  (keeps --help fast)

            config = config_from_args(args)
            results = run_experiment(
                config, args.out, resume=args.resume, force=args.force, quiet=args.quiet, data_root=args.data_root
            )
            if not args.quiet:
                print(
                    f"results in {results.path} (key {config.key}): "
                    f"final average accuracy {results.final_average_accuracy():.4f}"
                )
        elif args.command == "sweep":
            from paper_code.sweep import SWEEP_FILE, expand_grid, plan_sweep, run_sweep  # noqa: PLC0415

            # The grid sets reg, lam and seed of every trial (and adds each reg to --methods); the base only
            # carries the single-valued parameters, so it is built with fine-tuning, valid for any --methods.
            base = config_from_args(args, lam=args.lam[0], reg="none", seed=args.seed[0])
            configs = expand_grid(base, {"reg": args.reg, "lam": args.lam, "seed": args.seed})
            plan = plan_sweep(
                configs,
                engine=args.engine,
                address=args.address,
                cpus_per_trial=args.cpus_per_trial,
                gpus_per_trial=args.gpus_per_trial,
            )
            table = run_sweep(plan, args.out, quiet=args.quiet, data_root=args.data_root)
            if not args.quiet:
                print(table.drop(columns=["key", "trial_dir"]).to_string(index=False))
                print(f"sweep table: {args.out / SWEEP_FILE}")
        elif args.command == "prune":
            from paper_code.analysis.prune_results import prune_results  # noqa: PLC0415
            from paper_code.analysis.overlap import DEFAULT_TOP_PERCENTS  # noqa: PLC0415
            from paper_code.analysis.pruning import DEFAULT_FRACTIONS  # noqa: PLC0415

            written = prune_results(
                args.results, fractions=args.fractions or DEFAULT_FRACTIONS, scopes=args.scope,
                after_task=args.after_task, methods=args.methods, percents=args.top or DEFAULT_TOP_PERCENTS,
                out=args.out, data_root=args.data_root, rankings=args.ranking,
            )
            networks = written.pruning.drop(columns=["task", "accuracy"]).drop_duplicates()
            print(f"{len(networks)} pruned networks, accuracy on each task learned: {written.pruning_path}; "
                  f"{len(written.overlap)} top-k overlaps: {written.overlap_path}")
        elif args.command == "findings":
            from paper_code.studies import findings  # noqa: PLC0415

            if args.check:
                stale = findings.stale()
                for page, lines in stale.items():
                    print(f"{page}: " + "; ".join(lines[:5]) + (f" (and {len(lines) - 5} more)" if len(lines) > 5 else ""))
                if stale:
                    print("the committed findings are stale: run `python -m paper_code findings`", file=sys.stderr)
                    return 1
                print("every findings record is current")
            else:
                for path in findings.write_all():
                    print(f"wrote {path}")
        elif args.command == "data":
            from paper_code.data import ensure_mnist  # noqa: PLC0415
            from paper_code.locations import default_data_root  # noqa: PLC0415

            root = ensure_mnist(args.data_root or default_data_root())
            print(f"MNIST verified in {root}")
    except PaperCodeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"interrupted: {RESUME_HINTS[args.command]}", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
