"""The one description of an experiment.

Every way into the library (the CLI, papermill parameters, the Python API) ends
in a :class:`Config`. It is validated once, here, so that a bad value is
reported before any data is loaded or any file is written, and it is hashed
into a cache key so a results folder can say which experiment produced it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Iterable

from paper_code._version import NUMERICS_VERSION
from paper_code.errors import ConfigError

#: Importances a run computes unless told otherwise: the paper's four and the true Fisher.
#: ``Config().methods`` is this tuple, so the cache key of every existing run is unchanged.
DEFAULT_METHODS: tuple[str, ...] = ("fis", "fis_true", "mas", "si", "sig")

#: Controls that no paper method is: the weight magnitude |w| and a seeded random importance.
BASELINE_METHODS: tuple[str, ...] = ("magnitude", "random")

#: Controls made for EWC's penalty, each keeping part of MAS's information or none of it: Ω = 1 (plain L2
#: anchoring), MAS's values shuffled within each tensor, MAS's rank-1 (unit) structure.
CONTROL_METHODS: tuple[str, ...] = ("uniform", "shuffled", "rank1")

#: The Fishers the field computes besides the empirical and the true one, and Adam's free one: a label drawn from
#: the network's own softmax per row (van de Ven's SAMPLE), the squared gradient of mini-batch means (BATCHED,
#: Avalanche's EWC), Adam's second-moment estimate at the end of a task (Li et al. 2025).
FISHER_METHODS: tuple[str, ...] = ("fis_sample", "fis_batch", "adam")

#: SIG's activity factor alone (mean |a_j| arriving at a weight, no |w|): what SIG adds to the magnitude baseline.
ACTIVITY_METHODS: tuple[str, ...] = ("sig_activity",)

#: Importance methods the library knows, in the order they are reported.
METHOD_NAMES: tuple[str, ...] = DEFAULT_METHODS + BASELINE_METHODS + CONTROL_METHODS + FISHER_METHODS + ACTIVITY_METHODS

#: Controls that can be made of any importance computed after a task, written ``CONTROL:SOURCE``
#: (``rank1:fis``): the source's values shuffled within each tensor, or its rank-1 fit. The bare names
#: ``shuffled`` and ``rank1`` are MAS's, the names the first study was computed under.
DERIVED_CONTROLS: tuple[str, ...] = ("shuffled", "rank1")
#: The importances a derived control can be made of: those computed from a trained network after its task.
DERIVABLE_METHODS: tuple[str, ...] = ("fis", "fis_true", "mas", "sig", "fis_sample", "fis_batch", "sig_activity")

#: The seven pairs of the paper's Figs. 1-7, in figure order. A trailing ``2``
#: on a method name means the squared importance (Fig. 2 correlates FIS with MAS²).
PAPER_PAIRS: tuple[str, ...] = ("mas_fis", "fis_mas2", "mas_si", "mas_sig", "fis_si", "fis_sig", "si_sig")

#: The training set has 60,000 rows; importances are averaged over at most that many.
MNIST_TRAIN_SIZE = 60_000
MNIST_TEST_SIZE = 10_000

#: Float parameters, normalised to ``float`` so that equal values hash to one cache key.
FLOAT_FIELDS: tuple[str, ...] = ("lam", "si_xi", "lr", "leaky_slope")

#: What happens to Adam's moments at a task boundary: ``kept`` (one optimizer for the
#: whole sequence) or ``reset`` (a fresh optimizer per task).
OPTIMIZER_STATES: tuple[str, ...] = ("kept", "reset")

#: Fields added after results were first written, with the value every older results
#: folder was computed with. Such a folder lacks the field in its ``config.json``.
#: Folders written before the numerics version was recorded were computed with version 2 (CHANGELOG.md).
LEGACY_VALUES: dict[str, Any] = {"optimizer_state": "reset", "numerics": 2, "stream": "permuted", "hidden": [300, 150],
                                 "network": "mlp"}

#: Best EWC-MAS strength of the paper-scale grid search (see README, "Choosing lambda").
DEFAULT_LAMBDA = 3.0

#: The task streams (:mod:`paper_code.data.streams`): the paper's permuted MNIST, rotated MNIST, split MNIST.
STREAMS: tuple[str, ...] = ("permuted", "rotated", "split")
#: Split MNIST has five two-digit tasks.
SPLIT_TASKS = 5
#: The paper's hidden layers (784-300-150-10).
PAPER_HIDDEN: tuple[int, ...] = (300, 150)
#: The networks: the paper's kind, a fully connected MLP, or a small convolutional network
#: (:class:`paper_code.model.ConvNet`; ``hidden`` then sizes its fully connected layers).
NETWORKS: tuple[str, ...] = ("mlp", "conv")


@dataclass(frozen=True)
class Pair:
    """Two importance methods whose per-layer correlation is reported.

    ``left_power``/``right_power`` raise an importance elementwise before the
    correlation; the paper uses power 2 for MAS in Fig. 2.
    """

    left: str
    right: str
    left_power: int = 1
    right_power: int = 1

    @property
    def id(self) -> str:
        def side(name: str, power: int) -> str:
            return name if power == 1 else f"{name}{power}"

        return f"{side(self.left, self.left_power)}_{side(self.right, self.right_power)}"

    @property
    def methods(self) -> tuple[str, str]:
        return (self.left, self.right)


def _parse_side(token: str) -> tuple[str, int] | None:
    if is_method(token):
        return token, 1
    if token.endswith("2") and is_method(token[:-1]):
        return token[:-1], 2
    return None


def parse_pair(pair_id: str) -> Pair:
    """Turn an id such as ``mas_fis``, ``fis_mas2`` or ``fis_true_si`` into a :class:`Pair`.

    Method names contain underscores (``fis_true``), so every split point is
    tried and exactly one must give two known methods.
    """
    parts = pair_id.split("_")
    found = []
    for cut in range(1, len(parts)):
        left = _parse_side("_".join(parts[:cut]))
        right = _parse_side("_".join(parts[cut:]))
        if left and right:
            found.append(Pair(left[0], right[0], left[1], right[1]))
    if len(found) != 1:
        raise ConfigError(
            f"unknown correlation pair {pair_id!r}: write two method names joined by '_' "
            f"(methods: {', '.join(METHOD_NAMES)}; append 2 to square one, e.g. fis_mas2)"
        )
    return found[0]


@dataclass(frozen=True)
class Config:
    """All parameters of one continual-learning run; defaults are the paper's setup (section 2)."""

    tasks: int = 10
    epochs: int = 6
    lam: float = DEFAULT_LAMBDA
    reg: str = "mas"
    seed: int = 0
    methods: tuple[str, ...] = DEFAULT_METHODS
    importance_samples: int = 5000
    lr: float = 1e-3
    batch_size: int = 100
    si_xi: float = 0.1
    si_grad: str = "total"
    permute_first: bool = False
    pairs: tuple[str, ...] = PAPER_PAIRS
    corr_biases: bool = False
    train_size: int = MNIST_TRAIN_SIZE
    test_size: int = MNIST_TEST_SIZE
    leaky_slope: float = 0.01
    optimizer_state: str = "kept"
    #: The task stream (:data:`STREAMS`) and the network's hidden layer sizes; ``leaky_slope=0`` makes it ReLU.
    stream: str = "permuted"
    hidden: tuple[int, ...] = PAPER_HIDDEN
    network: str = "mlp"
    #: What the numbers mean (:data:`paper_code._version.NUMERICS_VERSION`): set by the code that computes them,
    #: recorded in every results folder, part of the key. A folder of an older version loads with its own.
    numerics: int = NUMERICS_VERSION
    device: str = field(default="auto", compare=False)

    def __post_init__(self) -> None:
        # Lists from JSON or the CLI become tuples so the dataclass stays hashable.
        object.__setattr__(self, "methods", tuple(self.methods))
        object.__setattr__(self, "pairs", tuple(self.pairs))
        if isinstance(self.hidden, (list, tuple)):
            object.__setattr__(self, "hidden", tuple(self.hidden))
        self.validate()
        # Numbers become floats after validation, so that lam=3 and lam=3.0 are one configuration with one key
        # (json.dumps writes them differently).
        for name in FLOAT_FIELDS:
            object.__setattr__(self, name, float(getattr(self, name)))

    # ------------------------------------------------------------------ checks
    def validate(self) -> None:
        """Raise :class:`ConfigError` naming the first bad parameter and how to fix it."""
        _int_at_least("tasks", self.tasks, 1)
        _int_at_least("epochs", self.epochs, 1)
        _int_at_least("batch_size", self.batch_size, 1)
        _int_at_least("seed", self.seed, 0)
        _int_at_least("train_size", self.train_size, 1)
        _int_at_least("test_size", self.test_size, 1)
        if self.train_size > MNIST_TRAIN_SIZE:
            raise ConfigError(f"train_size={self.train_size} exceeds the {MNIST_TRAIN_SIZE} MNIST training images")
        if self.test_size > MNIST_TEST_SIZE:
            raise ConfigError(f"test_size={self.test_size} exceeds the {MNIST_TEST_SIZE} MNIST test images")
        _int_at_least("importance_samples", self.importance_samples, 1)
        if self.importance_samples > self.train_size:
            raise ConfigError(
                f"importance_samples={self.importance_samples} is out of range: it must lie in "
                f"1..{self.train_size} (the training rows of a task)"
            )
        _finite_at_least("lam", self.lam, 0.0)
        _finite_at_least("si_xi", self.si_xi, 0.0)
        if not self.si_xi > 0:
            raise ConfigError("si_xi must be > 0: it keeps SI's division by the squared parameter change finite")
        _finite_at_least("lr", self.lr, 0.0)
        if not self.lr > 0:
            raise ConfigError("lr must be > 0")
        _finite_at_least("leaky_slope", self.leaky_slope, 0.0)
        if not self.methods:
            raise ConfigError(f"methods is empty: name at least one of {', '.join(METHOD_NAMES)}")
        for name in self.methods:
            check_method(name)
        if len(set(self.methods)) != len(self.methods):
            raise ConfigError(f"methods lists a method twice: {','.join(self.methods)}")
        if self.reg != "none":
            check_method(self.reg, what="regularizing method (--reg)", extra="none")
            if self.reg not in self.methods:
                raise ConfigError(
                    f"reg={self.reg!r} is not among methods={','.join(self.methods)}: "
                    f"add it to --methods (EWC needs its importances)"
                )
        if self.optimizer_state not in OPTIMIZER_STATES:
            raise ConfigError(
                f"optimizer_state={self.optimizer_state!r} is unknown: use 'kept' (one Adam for the whole task "
                "sequence) or 'reset' (a fresh Adam per task)"
            )
        if self.stream not in STREAMS:
            raise ConfigError(f"unknown stream {self.stream!r}: choose from {', '.join(STREAMS)}")
        if self.stream == "split" and self.tasks > SPLIT_TASKS:
            raise ConfigError(f"tasks={self.tasks} is out of range for split MNIST: it has {SPLIT_TASKS} two-digit tasks")
        if not isinstance(self.hidden, tuple) or not self.hidden or not all(
                isinstance(size, int) and not isinstance(size, bool) and size >= 1 for size in self.hidden):
            raise ConfigError(f"hidden={self.hidden!r} is not a list of layer sizes: give positive integers, "
                              "e.g. 300,150 (the paper's)")
        if self.network not in NETWORKS:
            raise ConfigError(f"unknown network {self.network!r}: choose from {', '.join(NETWORKS)}")
        rank_one = [m for m in self.methods if m == "rank1" or m.startswith("rank1:")]
        if self.network == "conv" and rank_one:
            raise ConfigError(f"{rank_one[0]} (a row × column fit) needs weight matrices: the convolutional network "
                              f"has 4-D kernels; drop {rank_one[0]} from --methods")
        if self.si_grad not in ("total", "task"):
            raise ConfigError(f"si_grad={self.si_grad!r} is unknown: use 'total' (with the EWC penalty) or 'task'")
        for pair_id in self.pairs:
            pair = parse_pair(pair_id)
            missing = [m for m in pair.methods if m not in self.methods]
            if missing:
                raise ConfigError(
                    f"pair {pair_id!r} needs method(s) {', '.join(missing)}, which --methods does not compute"
                )
        if isinstance(self.numerics, bool) or not isinstance(self.numerics, int) or not 1 <= self.numerics <= NUMERICS_VERSION:
            raise ConfigError(
                f"numerics={self.numerics!r} is unknown: this library computes numerics version {NUMERICS_VERSION} "
                "and reads the versions before it (CHANGELOG.md); a results folder of a newer version needs a newer "
                "library"
            )
        if self.device not in ("auto", "cpu", "cuda") and not self.device.startswith("cuda:"):
            raise ConfigError(f"device={self.device!r} is unknown: use auto, cpu or cuda[:N]")

    # ----------------------------------------------------------- derived views
    @property
    def pair_objects(self) -> tuple[Pair, ...]:
        return tuple(parse_pair(p) for p in self.pairs)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["methods"] = list(self.methods)
        data["pairs"] = list(self.pairs)
        data["hidden"] = list(self.hidden)
        return data

    def identity(self, without: Iterable[str] = ()) -> dict[str, Any]:
        """Parameters that change the numbers; ``device`` is excluded on purpose.

        A field added after results were first written is left out while it holds
        the value those older results were computed with (:data:`LEGACY_VALUES`),
        so every folder written before it existed keeps its key.

        ``without`` leaves further fields out: two runs whose identities without ``("seed",)`` are equal
        are seeds of one configuration; without the fields a study varies, trials of one study.
        """
        unknown = sorted(set(without) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise ConfigError(f"identity(without=...) names unknown field(s): {', '.join(unknown)}")
        data = self.to_dict()
        data.pop("device")
        for name, legacy in LEGACY_VALUES.items():
            if data[name] == legacy:
                data.pop(name)
        for name in without:
            data.pop(name, None)
        return data

    @property
    def key(self) -> str:
        """A short, stable hash of :meth:`identity`: the cache key of a results folder."""
        blob = json.dumps(self.identity(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:12]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Config":
        """Rebuild a configuration from ``to_dict()`` output, old or new.

        A field missing from ``data`` is a field that did not exist when it was
        written: it takes its :data:`LEGACY_VALUES` value, not today's default.
        """
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown configuration key(s): {', '.join(unknown)}")
        return cls(**{**LEGACY_VALUES, **data})

    def replace(self, **changes: Any) -> "Config":
        return dataclasses.replace(self, **changes)

    def regularized(self, reg: str, **changes: Any) -> "Config":
        """This configuration with ``reg`` as EWC's penalty, its importance added to ``methods`` when missing."""
        changes["methods"] = with_penalty_method(changes.get("methods", self.methods), reg)
        return self.replace(reg=reg, **changes)


def with_penalty_method(methods: Iterable[str], reg: str) -> tuple[str, ...]:
    """``methods`` with ``reg`` appended when missing: EWC needs the importance it regularizes with (``none``
    needs none). The one rule behind ``run --reg``, a sweep's trials and the studies' configurations."""
    methods = tuple(methods)
    return methods + (reg,) if is_method(reg) and reg not in methods else methods


def derived_parts(name: str) -> tuple[str, str] | None:
    """``("rank1", "fis")`` for ``rank1:fis``; None for a name without a colon."""
    control, colon, source = name.partition(":")
    return (control, source) if colon else None


def is_method(name: str) -> bool:
    """Whether ``name`` is an importance the library computes (a derived control included)."""
    parts = derived_parts(name)
    if parts is None:
        return name in METHOD_NAMES
    control, source = parts
    return control in DERIVED_CONTROLS and source in DERIVABLE_METHODS and source != "mas"


def ordered_methods(names: Iterable[str]) -> list[str]:
    """``names`` in the order the library reports methods: :data:`METHOD_NAMES`, then the derived controls by
    source, ``shuffled`` before ``rank1``; anything else (``none``) last, in the order given."""
    names = list(dict.fromkeys(names))

    def rank(name: str) -> tuple[int, int, int]:
        if name in METHOD_NAMES:
            return (0, METHOD_NAMES.index(name), 0)
        parts = derived_parts(name)
        if parts and is_method(name):
            return (1, DERIVABLE_METHODS.index(parts[1]), DERIVED_CONTROLS.index(parts[0]))
        return (2, names.index(name), 0)

    return sorted(names, key=rank)


def check_method(name: str, what: str = "importance method", extra: str | None = None) -> None:
    if is_method(name):
        return
    parts = derived_parts(name)
    if parts is not None:
        control, source = parts
        if control not in DERIVED_CONTROLS:
            raise ConfigError(f"unknown control {control!r} in {what} {name!r}: write "
                              f"{' or '.join(c + ':METHOD' for c in DERIVED_CONTROLS)}")
        if source == "mas":
            raise ConfigError(f"{what} {name!r} is MAS's own control: write {control} (the name the study uses)")
        raise ConfigError(f"{what} {name!r} cannot be made: {control}:METHOD takes an importance computed after a "
                          f"task, one of {', '.join(DERIVABLE_METHODS)}")
    choices = ", ".join(METHOD_NAMES + ((extra,) if extra else ()))
    raise ConfigError(f"unknown {what} {name!r}: choose from {choices}, "
                      f"or a control of another importance: {', '.join(c + ':METHOD' for c in DERIVED_CONTROLS)}")


def _int_at_least(name: str, value: Any, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{name} must be an integer, got {value!r}")
    if value < low:
        raise ConfigError(f"{name}={value} is out of range: it must be >= {low}")


def _finite_at_least(name: str, value: Any, low: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{name} must be a number, got {value!r}")
    if value != value or value in (float("inf"), float("-inf")):
        raise ConfigError(f"{name} must be finite, got {value!r}")
    if value < low:
        raise ConfigError(f"{name}={value} is out of range: it must be >= {low}")
