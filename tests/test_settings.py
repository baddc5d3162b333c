"""Settings as one typed description: defaults, checks, settings.json written and read back, old records."""

import json

import pytest

from gan_helpers.errors import GanHelpersError
from gan_helpers.settings import (DEFAULTS, Settings, SettingsError, better_settings, cgan_settings, gan_settings,
                                  record_keys)

EXAMPLES = {
    "notebook 1": gan_settings(),
    "notebook 2": cgan_settings(n_noise=16, n_hidden=32),
    "notebook 3, mlp": better_settings("cgan", "mlp", noise="uniform(-1, 1)", n_hidden=[128, 256, 512],
                                       activation="leaky_relu", init="glorot", batch_norm=True,
                                       conditional_batch_norm=True, minibatch_std=True, projection=True,
                                       spectral_norm=True, loss="hinge", d_learning_rate=0.0004, ema=0.999),
    "notebook 3, dcgan": better_settings("gan", "dcgan", width=16, dropout=0.3, beta_1=0.5),
    "notebook 3, dcgan with options": better_settings("cgan", "dcgan", width=16, activation="leaky_relu",
                                                      init="glorot", batch_norm=True, minibatch_std=True, ema=0.999),
}


@pytest.mark.parametrize("settings", EXAMPLES.values(), ids=EXAMPLES.keys())
def test_settings_json_round_trip(settings, tmp_path):
    path = settings.write(tmp_path / "settings.json")
    assert Settings.read(path) == settings
    assert json.loads(path.read_text()) == settings.to_dict()
    assert list(settings.to_dict())[:len(record_keys(settings.kind, settings.arch))] == list(
        record_keys(settings.kind, settings.arch))
    assert eval(repr(settings)) == settings, "the repr shows what settings.json holds"


def test_the_file_holds_the_recorded_keys_and_only_the_options_that_are_not_at_their_default():
    assert gan_settings().to_dict() == {"kind": "gan", "n_noise": 128, "n_hidden": 256, "n_input": 784,
                                        "noise": "normal(0, 1)"}
    plain = better_settings("gan", "mlp").to_dict()
    assert set(plain) == {"kind", "arch", "n_noise", "n_input", "noise", "learning_rate", "beta_1", "real_label",
                          "dropout", "ema", "n_hidden", "activation", "init"}
    assert better_settings("gan", "mlp", minibatch_std=True).to_dict() == dict(plain, minibatch_std=True)
    assert better_settings("gan", "mlp", n_hidden=[8, 16]).to_dict()["n_hidden"] == [8, 16], "a list, as before"
    assert set(better_settings("cgan", "dcgan").to_dict()) - set(plain) == {"n_class", "width", "batch_norm"}
    assert set(plain) - set(better_settings("cgan", "dcgan").to_dict()) == {"n_hidden"}


def _committed_records():
    from gan_helpers import cgan, experiments

    records = {path.name: json.loads(path.read_text())["settings"] for path in experiments.ABLATION_DIR.glob("*.json")}
    for run in json.loads(cgan.RESULTS.read_text())["runs"]:
        records[f"{cgan.RESULTS.name} {run['noise']} seed {run['seed']}"] = run["settings"]
    return records


def test_every_committed_settings_record_loads_and_writes_back_the_same_keys_and_values():
    records = _committed_records()
    assert len(records) > 60, "the ablation rows and the noise comparison"
    for name, record in records.items():
        settings = Settings.from_dict(record)
        assert settings.to_dict() == record, name
        assert not settings.unused(), f"{name}: every option it records was used"
        assert list(settings.to_dict()) == list(record), f"{name}: the keys in the same order"
        assert Settings.from_dict(json.loads(json.dumps(settings.to_dict()))) == settings, name


def test_a_dcgan_record_from_before_its_options_is_refused_not_read_as_another_model():
    """Its generator always had batch norm, so a record without the key must not build one without it."""
    old = {"kind": "gan", "arch": "dcgan", "n_noise": 128, "n_input": 784, "noise": "normal(0, 1)",
           "learning_rate": 0.0008, "beta_1": 0.5, "real_label": 1.0, "dropout": 0.0, "ema": 0.999, "width": 16}
    with pytest.raises(SettingsError) as info:
        Settings.from_dict(old)
    assert str(info.value) == ("the settings for kind 'gan', arch 'dcgan' have no 'activation'; add it, or make "
                               "them with models.better_settings('gan', 'dcgan', ...)")
    with pytest.raises(SettingsError, match=r"^the settings for kind 'gan', arch 'dcgan' have no 'batch_norm'; "):
        Settings.from_dict(dict(old, activation="relu", init="glorot"))


def test_defaults_are_named_once():
    assert DEFAULTS["n_noise"] == Settings().n_noise == 128 and DEFAULTS["loss"] == "cross-entropy"
    assert better_settings("cgan").n_class == 10 and better_settings("gan").n_class == 0


@pytest.mark.parametrize("change, message", [
    ({"n_noise": 0}, "n_noise must be a positive whole number, got 0"),
    ({"n_noise": True}, "n_noise must be a positive whole number, got True"),
    ({"n_hidden": []}, "n_hidden must be a positive whole number or a list of them, got []"),
    ({"n_hidden": [64, "a"]}, "n_hidden must be a positive whole number or a list of them, got [64, 'a']"),
    ({"dropout": 1.0}, "dropout must be a number in [0.0, 1.0), got 1.0"),
    ({"learning_rate": 0}, "learning_rate must be a number more than 0.0, got 0"),
    ({"d_learning_rate": -1.0}, "d_learning_rate must be a number more than 0.0, got -1.0"),
    ({"real_label": 0.0}, "real_label must be a number in (0.0, 1.0], got 0.0"),
    ({"batch_norm": "yes"}, "batch_norm must be True or False, got 'yes'"),
    ({"loss": "wasserstein"}, "unknown loss 'wasserstein'; use one of 'cross-entropy', 'hinge'"),
    ({"n_class": 10}, "n_class=10 is for kind 'cgan'; leave it out for kind 'gan'"),
    ({"learning_rate_d": 0.1}, "unknown setting 'learning_rate_d'; the settings are kind, arch, "),
])
def test_bad_values_and_unknown_keys_are_refused_in_one_line(change, message):
    for attempt in (lambda: better_settings("gan", "mlp").replace(**change),
                    lambda: Settings.from_dict(dict(better_settings("gan", "mlp").to_dict(), **change))):
        with pytest.raises(SettingsError) as info:
            attempt()
        assert str(info.value).startswith(message) and "\n" not in str(info.value)
        assert isinstance(info.value, GanHelpersError)


def test_a_conditional_gan_needs_its_labels():
    with pytest.raises(SettingsError, match=r"^kind 'cgan' needs n_class, the number of labels \(10 for MNIST\)$"):
        better_settings("gan").replace(kind="cgan")
    record = {k: v for k, v in better_settings("cgan").to_dict().items() if k != "n_class"}
    with pytest.raises(SettingsError, match=r"^the settings for kind 'cgan', arch 'mlp' have no 'n_class'; add it"):
        Settings.from_dict(record)


def test_settings_are_frozen_and_hashable():
    settings = better_settings(n_hidden=[8, 16])
    with pytest.raises(AttributeError):
        settings.n_noise = 3
    assert len({settings, better_settings(n_hidden=(8, 16))}) == 1
