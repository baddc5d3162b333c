"""A run's settings, described once: every option with its default, checked, written to ``settings.json``.

:class:`Settings` is what builds the models (:func:`gan_helpers.models.build_from_settings`) and, for
notebook 3, how they are trained (:func:`gan_helpers.experiments.run_experiment`). A checkpoint folder
keeps it as ``settings.json``, so the widgets and the command line rebuild the generator without a
notebook; the saved results keep it beside their numbers.

The file holds the keys its architecture always records (:func:`record_keys`, required when read) and
every other option that is not at its default; a value outside its choices, an unknown key or a
missing one is refused with one line (:class:`SettingsError`).

No TensorFlow here: the command line reads settings before it loads a model.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from .atomic import write_json_atomic
from .errors import GanHelpersError


class SettingsError(GanHelpersError, ValueError):
    """Settings (or a builder's argument) name a choice the builders do not know, or lack a key.

    Also a ``ValueError``, so code that catches ``ValueError`` (as ``checkpoints.load_generator``
    does) still catches it.
    """


# The values an option may hold; anything else is refused (never silently replaced).
KINDS = ("gan", "cgan")
ARCHS = ("note", "mlp", "dcgan")
NOISES = ("normal(0, 1)", "uniform(-1, 1)", "normal(-1, 1)")   # the keys of models.NOISE
ACTIVATIONS = ("relu", "leaky_relu")
INITS = ("note", "glorot")
LOSSES = ("cross-entropy", "hinge")


@dataclasses.dataclass(frozen=True, repr=False)
class Settings:
    """The settings of one run: what builds its models and, for arch "mlp" and "dcgan", its training recipe."""

    # --- what every model has
    kind: str = "gan"                  # "gan" (notebook 1) or "cgan" (notebook 2: the label is a second input)
    arch: str = "note"                 # "note" (the note's two dense layers), "mlp" (with options) or "dcgan"
    n_noise: int = 128                 # length of the noise vector Z
    n_input: int = 28 * 28             # pixels of an image, flattened
    noise: str = "normal(0, 1)"        # how Z is drawn: a name of models.NOISE
    n_class: int = 0                   # labels of a conditional GAN (10 for MNIST); 0 for kind "gan"
    # --- the training recipe (recorded for arch "mlp" and "dcgan"; notebooks 1 and 2 choose their own)
    learning_rate: float = 0.0002      # Adam's learning rate (both models, unless d_learning_rate)
    beta_1: float = 0.9                # Adam's beta_1 (both models)
    real_label: float = 1.0            # the discriminator's target for real images (0.9: label smoothing)
    ema: float = 0.0                   # momentum of a moving average of G's weights; 0: none
    # --- model options (USED_BY says which arch uses which): arch "mlp" ...
    n_hidden: int | tuple[int, ...] = 256   # hidden layer size, or sizes (G: in order; D: largest first); also "note"
    activation: str = "relu"           # G's and D's hidden layers: "relu" or "leaky_relu" (slope 0.2); also "dcgan"
    init: str = "note"                 # weights: "note" (RandomNormal(stddev=0.01)) or "glorot" (Keras' default);
                                       # also "dcgan"
    minibatch_std: bool = False        # D sees how much the batch varies (one more feature); also "dcgan"
    batch_norm: bool = False           # batch normalisation after each hidden layer of G; also "dcgan"
    projection: bool = False           # kind "cgan": D takes the label by a projection, not a concatenation
    conditional_batch_norm: bool = False   # kind "cgan" with batch_norm: the label sets each scale and shift
    spectral_norm: bool = False        # each of D's dense layers divided by its largest singular value
    # --- ... arch "dcgan" alone, and both dropout
    width: int = 32                    # filters of the first convolution (the second has twice as many)
    dropout: float = 0.0               # dropout rate after each of D's hidden layers
    # --- more of the training recipe (written only when set)
    d_learning_rate: float | None = None   # the discriminator's own Adam learning rate; None: learning_rate
    loss: str = "cross-entropy"        # "cross-entropy" (the note's) or "hinge"

    def __post_init__(self):
        for name in ("kind", "arch", "noise", "activation", "init", "loss"):
            _allowed(name, getattr(self, name), CHOICES[name])
        for name in ("n_noise", "n_input", "width"):
            _positive_int(name, getattr(self, name))
        if not (_is_int(self.n_class) and self.n_class >= 0):
            raise SettingsError(f"n_class must be a whole number >= 0, got {self.n_class!r}")
        if self.kind == "cgan" and self.n_class == 0:
            raise SettingsError("kind 'cgan' needs n_class, the number of labels (10 for MNIST)")
        if self.kind == "gan" and self.n_class:
            raise SettingsError(f"n_class={self.n_class!r} is for kind 'cgan'; leave it out for kind 'gan'")
        sizes = [self.n_hidden] if _is_int(self.n_hidden) else self.n_hidden
        if not (isinstance(sizes, Sequence) and sizes and all(_is_int(s) and s > 0 for s in sizes)):
            raise SettingsError(f"n_hidden must be a positive whole number or a list of them, got {self.n_hidden!r}")
        if not _is_int(self.n_hidden):
            object.__setattr__(self, "n_hidden", tuple(sizes))   # hashable; written as a JSON list
        for name, low, high, closed in FLOAT_RANGES:
            _in_range(self, name, low, high, closed)
        if self.d_learning_rate is not None:
            _in_range(self, "d_learning_rate", 0.0, None, "")
        for field in dataclasses.fields(self):
            if field.type == "bool" and not isinstance(getattr(self, field.name), bool):
                raise SettingsError(f"{field.name} must be True or False, got {getattr(self, field.name)!r}")

    # --- settings.json

    def to_dict(self) -> dict:
        """What ``settings.json`` holds: the keys :func:`record_keys` names, then each other option not at its default."""
        record = record_keys(self.kind, self.arch)
        keys = list(record) + [f.name for f in dataclasses.fields(self)
                               if f.name not in record and getattr(self, f.name) != f.default]
        return {key: _json_value(getattr(self, key)) for key in keys}

    @classmethod
    def from_dict(cls, data) -> Settings:
        """The settings a dict (e.g. ``settings.json``'s) describes; a missing, unknown or bad key is refused."""
        makers = "models.gan_settings(), models.cgan_settings() or models.better_settings()"
        if not isinstance(data, Mapping):
            raise SettingsError(f"settings must be a dict (made by {makers}), not {type(data).__name__}")
        _known(data)
        if "kind" not in data:
            raise SettingsError(f"the settings have no 'kind' (one of {', '.join(map(repr, KINDS))}); "
                                f"make them with {makers}")
        kind = _allowed("kind", data["kind"], KINDS)
        arch = _allowed("arch", data["arch"], ARCHS) if "arch" in data else cls.arch
        maker = f"models.{kind}_settings()" if arch == "note" else f"models.better_settings({kind!r}, {arch!r}, ...)"
        for key in record_keys(kind, arch):
            if key not in data:
                raise SettingsError(f"the settings for kind {kind!r}, arch {arch!r} have no {key!r}; "
                                    f"add it, or make them with {maker}")
        return cls(**data)

    def write(self, path) -> Path:
        """Write ``settings.json`` (atomically); :meth:`read` gives these settings back."""
        return write_json_atomic(Path(path), self.to_dict())

    @classmethod
    def read(cls, path) -> Settings:
        """The settings in ``path`` (a ``settings.json``); OSError or ValueError if it is missing or unreadable."""
        return cls.from_dict(json.loads(Path(path).read_text()))

    # --- using them

    def replace(self, **changes) -> Settings:
        """These settings with ``changes`` (option=value); an unknown option is refused."""
        _known(changes)
        return dataclasses.replace(self, **changes)

    def unused(self) -> dict:
        """``{option: value}`` for the model options set (not at their default) that this arch does not use."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if f.name in MODEL_OPTIONS and f.name not in USED_BY[self.arch] and getattr(self, f.name) != f.default}

    def without_unused(self) -> Settings:
        """These settings with the model options this arch does not use back at their defaults."""
        return dataclasses.replace(self, **{name: DEFAULTS[name] for name in self.unused()})

    def __repr__(self):
        return f"Settings({', '.join(f'{key}={value!r}' for key, value in self.to_dict().items())})"


def record_keys(kind, arch) -> tuple[str, ...]:
    """The keys ``settings.json`` always holds for ``kind`` and ``arch``, in order; a file without one is refused."""
    labels = ("n_class",) if kind == "cgan" else ()
    if arch == "note":   # notebooks 1 and 2: the model only
        return ("kind", "n_noise", *labels, "n_hidden", "n_input", "noise")
    # "dcgan" records batch_norm too: its generator had batch norm before the option existed, so a file
    # without the key is refused rather than read as a model without it
    shape = ("n_hidden", "activation", "init") if arch == "mlp" else ("width", "activation", "init", "batch_norm")
    return ("kind", "arch", "n_noise", "n_input", "noise", "learning_rate", "beta_1", "real_label", "dropout",
            "ema", *labels, *shape)


CHOICES = {"kind": KINDS, "arch": ARCHS, "noise": NOISES, "activation": ACTIVATIONS, "init": INITS, "loss": LOSSES}
FLOAT_RANGES = [  # (option, lowest, highest, which ends are allowed: "[" low, "]" high)
    ("learning_rate", 0.0, None, ""), ("beta_1", 0.0, 1.0, "["), ("real_label", 0.0, 1.0, "]"),
    ("ema", 0.0, 1.0, "["), ("dropout", 0.0, 1.0, "["),
]
DEFAULTS = {f.name: f.default for f in dataclasses.fields(Settings)}
MODEL_OPTIONS = ("n_hidden", "activation", "init", "minibatch_std", "batch_norm", "projection", "conditional_batch_norm",
                 "spectral_norm", "width", "dropout")
USED_BY = {  # the model options each arch's builders use (models.build_from_settings refuses the others)
    "note": ("n_hidden",),
    "mlp": ("n_hidden", "activation", "init", "minibatch_std", "batch_norm", "projection", "conditional_batch_norm",
            "spectral_norm", "dropout"),
    "dcgan": ("width", "activation", "init", "minibatch_std", "batch_norm", "dropout"),
}


# --- the settings each notebook makes ----------------------------------------------

def gan_settings(n_noise=128, n_hidden=256, n_input=28 * 28, noise="normal(0, 1)") -> Settings:
    """Notebook 1: the note's vanilla GAN."""
    return Settings("gan", "note", n_noise=n_noise, n_hidden=n_hidden, n_input=n_input, noise=noise)


def cgan_settings(n_noise=128, n_class=10, n_hidden=256, n_input=28 * 28, noise="uniform(-1, 1)") -> Settings:
    """Notebook 2: the note's conditional GAN."""
    return Settings("cgan", "note", n_noise=n_noise, n_class=n_class, n_hidden=n_hidden, n_input=n_input, noise=noise)


def better_settings(kind="gan", arch="mlp", **options) -> Settings:
    """Notebook 3: one description of the model *and* its training recipe (saved with each checkpoint).

    ``arch`` is "mlp" (notebook 1's dense layers, with options) or "dcgan" (convolutions); ``options``
    are :class:`Settings`' fields, each with its default there (for "dcgan" too: ReLU, the note's init and
    no batch norm unless set). A conditional GAN has MNIST's 10 labels.
    """
    return Settings(kind, arch, **{"n_class": 10 if kind == "cgan" else 0, **options})


def require(settings) -> Settings:
    """``settings`` if it is a :class:`Settings`, else a one-line :class:`SettingsError` that says how to make one."""
    if not isinstance(settings, Settings):
        raise SettingsError(f"settings must be a Settings (models.gan_settings(), models.cgan_settings() or "
                            f"models.better_settings()), not {type(settings).__name__}; for a dict read from "
                            f"settings.json use Settings.from_dict(...)")
    return settings


# --- checks -------------------------------------------------------------------------

def _allowed(what, value, allowed):
    """``value`` if it is one of ``allowed``, else a one-line :class:`SettingsError` listing them."""
    if not (isinstance(value, str) and value in allowed):
        raise SettingsError(f"unknown {what} {value!r}; use one of {', '.join(map(repr, allowed))}")
    return value


def _known(data):
    unknown = [key for key in data if key not in DEFAULTS]
    if unknown:
        raise SettingsError(f"unknown setting {unknown[0]!r}; the settings are {', '.join(DEFAULTS)}")


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _positive_int(name, value):
    if not (_is_int(value) and value > 0):
        raise SettingsError(f"{name} must be a positive whole number, got {value!r}")


def _in_range(settings, name, low, high, closed):
    value = getattr(settings, name)
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    ok = ok and (value >= low if "[" in closed else value > low)
    ok = ok and (high is None or (value <= high if "]" in closed else value < high))
    if not ok:
        where = (f"{'at least' if '[' in closed else 'more than'} {low}" if high is None else
                 f"in {'[' if '[' in closed else '('}{low}, {high}{']' if ']' in closed else ')'}")
        raise SettingsError(f"{name} must be a number {where}, got {value!r}")
    object.__setattr__(settings, name, float(value))


def _json_value(value):
    return list(value) if isinstance(value, tuple) else value
