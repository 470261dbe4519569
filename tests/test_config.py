"""Validation of every parameter, pair ids and the cache key."""

from __future__ import annotations

import pytest

from paper_code.config import PAPER_PAIRS, Config, Pair, parse_pair
from paper_code.errors import ConfigError


def test_defaults_are_the_papers_setup():
    c = Config()
    assert (c.tasks, c.epochs, c.lr, c.batch_size, c.reg, c.importance_samples) == (10, 6, 1e-3, 100, "mas", 5000)
    assert set(c.methods) == {"fis", "fis_true", "mas", "si", "sig"}
    assert c.pairs == PAPER_PAIRS
    assert c.optimizer_state == "kept"  # one Adam for the whole sequence, as the paper author's scripts


@pytest.mark.parametrize(
    "pair_id, expected",
    [
        ("mas_fis", Pair("mas", "fis")),
        ("fis_mas2", Pair("fis", "mas", 1, 2)),
        ("fis_true_si", Pair("fis_true", "si")),
        ("si_fis_true", Pair("si", "fis_true")),
    ],
)
def test_parse_pair(pair_id, expected):
    assert parse_pair(pair_id) == expected
    assert expected.id == pair_id


@pytest.mark.parametrize("pair_id", ["mas", "mas_foo", "fis_mas3", "", "mas_fis_si"])
def test_parse_pair_rejects_unknown(pair_id):
    with pytest.raises(ConfigError, match="unknown correlation pair"):
        parse_pair(pair_id)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"tasks": 0}, "tasks=0 is out of range"),
        ({"epochs": -1}, "epochs=-1 is out of range"),
        ({"lam": -0.5}, "lam=-0.5 is out of range"),
        ({"lam": float("nan")}, "lam must be finite"),
        ({"methods": ("fis", "ewc")}, "unknown importance method 'ewc'"),
        ({"methods": ()}, "methods is empty"),
        ({"reg": "l2"}, "unknown regularizing method"),
        ({"reg": "si", "methods": ("fis", "mas", "sig")}, "reg='si' is not among methods"),
        ({"importance_samples": 0}, "importance_samples=0 is out of range"),
        ({"importance_samples": 60001}, "importance_samples=60001 is out of range"),
        ({"train_size": 1000, "importance_samples": 2000}, "importance_samples=2000 is out of range"),
        ({"si_grad": "both"}, "si_grad='both' is unknown"),
        ({"pairs": ("mas_fis_true",), "methods": ("mas", "fis")}, "needs method"),
        ({"tasks": 2.5}, "tasks must be an integer"),
        ({"device": "tpu"}, "device='tpu' is unknown"),
    ],
)
def test_bad_parameters_are_named(changes, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Config(**changes)


def test_key_is_stable_and_ignores_device():
    assert Config().key == Config(device="cpu").key
    assert Config().key != Config(lam=1.0).key
    assert Config.from_dict(Config(tasks=3).to_dict()) == Config(tasks=3)


def test_from_dict_rejects_unknown_keys():
    with pytest.raises(ConfigError, match="unknown configuration key"):
        Config.from_dict({"tasks": 2, "learning_rate": 1})


@pytest.mark.parametrize("field, whole, fractional", [
    ("lam", 3, 3.0), ("si_xi", 1, 1.0), ("lr", 1, 1.0), ("leaky_slope", 0, 0.0),
])
def test_equal_numbers_share_one_key(field, whole, fractional):
    a, b = Config(**{field: whole}), Config(**{field: fractional})
    assert a == b and a.key == b.key
    assert isinstance(getattr(a, field), float)


def test_a_field_added_later_keeps_the_keys_of_folders_written_before_it():
    """A config.json without optimizer_state was written when every run reset Adam per task: it loads as
    "reset", and its key is the sha256 of its stored parameters, as it was when it was written."""
    import hashlib
    import json

    old = Config().to_dict()
    old.pop("optimizer_state")
    old.pop("numerics")  # recorded since numerics version 2, which every older folder was computed with
    old.pop("stream")  # and the stream and network, added with the settings beyond the paper's
    old.pop("hidden")
    old.pop("network")
    old.pop("device")
    loaded = Config.from_dict(old)
    assert loaded.optimizer_state == "reset"
    assert loaded.key == hashlib.sha256(json.dumps(old, sort_keys=True).encode()).hexdigest()[:12]
    assert Config(optimizer_state="kept").key != loaded.key
    with pytest.raises(ConfigError, match="optimizer_state='sometimes' is unknown"):
        Config(optimizer_state="sometimes")


def test_identity_without_leaves_out_the_named_fields_only():
    a, b = Config(seed=0, lam=3.0), Config(seed=4, lam=10.0)
    assert a.identity(without=("seed",)) != b.identity(without=("seed",))
    assert a.identity(without=("seed", "lam")) == b.identity(without=("seed", "lam"))
    assert set(Config().identity()) - set(Config().identity(without=("reg", "lam", "seed"))) == {"reg", "lam", "seed"}
    with pytest.raises(ConfigError, match="sed"):
        Config().identity(without=("sed",))
