"""Notebook 00's live widget: train a 2-D GAN and watch it, with play / pause / one step.

Training runs in a background thread, so the kernel keeps answering the browser while it runs:
pressing pause, moving a slider or switching the loss takes effect before the next frame.
While paused the thread waits on an event and uses no CPU. Every frame trains
``steps per frame`` G steps and redraws the picture (:mod:`gan_helpers.lab2d.view2d`).

The widget also carries a PNG of what it shows last (``_repr_mimebundle_``), so a saved
notebook, GitHub and the handout show the picture where no widget can run.
"""

from __future__ import annotations

import base64
import threading
import time

import ipywidgets as W

from . import gan2d, view2d

MAX_FPS = 20           # frames are not drawn faster than this (the CPU goes to training instead)


class Lab(W.VBox):
    """``Lab(data="ring")``: the controls, the picture and a status line. Methods mirror the buttons."""

    def __init__(self, data="ring", loss="non-saturating", d_lr=gan2d.LEARNING_RATE,
                 g_lr=gan2d.LEARNING_RATE, d_steps=1, steps_per_frame=10, seed=42, minibatch_std=False,
                 beta_1=gan2d.BETA_1):
        self._lock = threading.RLock()            # held while the model trains or is replaced
        self._running = threading.Event()         # set: play
        self._closing = threading.Event()
        self._thread = None
        self.fps = 0.0
        self._period = None                       # smoothed time from one frame's start to the next
        self.play_button = W.ToggleButton(value=False, description="play", icon="play",
                                          layout=W.Layout(width="90px"))
        self.step_button = W.Button(description="one step", icon="step-forward", layout=W.Layout(width="100px"))
        self.reset_button = W.Button(description="reset", icon="undo", layout=W.Layout(width="80px"))
        self.speed = W.IntSlider(value=steps_per_frame, min=1, max=100, description="steps/frame")
        self.data = W.Dropdown(options=gan2d.DATASETS, value=data, description="data")
        self.loss = W.Dropdown(options=gan2d.LOSSES, value=loss, description="G loss")
        self.seed = W.BoundedIntText(value=seed, min=0, max=2**31 - 1, description="seed", layout=W.Layout(width="170px"))
        self.beta_1 = W.Dropdown(options=[(f"{gan2d.BETA_1} (note)", gan2d.BETA_1), ("0.5 (notebook 3)", 0.5)], value=beta_1,
                                 description="Adam beta_1", style={"description_width": "initial"})
        self.minibatch_std = W.Checkbox(value=minibatch_std, description="minibatch std in D")
        self.d_lr = W.FloatLogSlider(value=d_lr, base=10, min=-5, max=-1, step=0.25, description="D lr",
                                     readout_format=".0e")
        self.g_lr = W.FloatLogSlider(value=g_lr, base=10, min=-5, max=-1, step=0.25, description="G lr",
                                     readout_format=".0e")
        self.d_steps = W.IntSlider(value=d_steps, min=1, max=10, description="D steps/G")
        self.image = W.Image(format="png")
        self.status = W.HTML()
        super().__init__([W.HBox([self.play_button, self.step_button, self.reset_button, self.speed]),
                          W.HBox([self.data, self.loss, self.seed]),
                          W.HBox([self.d_lr, self.g_lr, self.d_steps]),
                          W.HBox([self.beta_1, self.minibatch_std]),
                          self.image, self.status])
        self._new_model()
        self.play_button.observe(self._on_play, names="value")
        self.step_button.on_click(lambda _: self.one_step())
        self.reset_button.on_click(lambda _: self.reset())
        for rebuilds in (self.data, self.seed, self.beta_1, self.minibatch_std):   # these make new models
            rebuilds.observe(lambda _: self.reset(), names="value")
        self.loss.observe(self._on_loss, names="value")
        self.d_steps.observe(self._on_d_steps, names="value")
        for slider in (self.d_lr, self.g_lr):
            slider.observe(self._on_rates, names="value")
        self._draw()

    # -- the model ------------------------------------------------------------------------
    def _new_model(self):
        self.model = gan2d.Gan2d(self.data.value, self.loss.value, self.d_lr.value, self.g_lr.value,
                                 self.d_steps.value, self.minibatch_std.value, self.seed.value,
                                 beta_1=self.beta_1.value)
        self.real = view2d.real_points(self.data.value)
        self.coverage_history = []

    def _on_loss(self, change):
        with self._lock:
            self.model.loss = change["new"]
        if not self.playing:
            self._draw()          # the arrows follow the loss

    def _on_d_steps(self, change):
        with self._lock:
            self.model.d_steps = change["new"]

    def _on_rates(self, _):
        with self._lock:
            self.model.set_learning_rates(self.d_lr.value, self.g_lr.value)

    # -- what the buttons do --------------------------------------------------------------
    @property
    def playing(self) -> bool:
        return self._running.is_set()

    def play(self):
        self.play_button.value = True

    def pause(self):
        """Stop training; returns once the frame being drawn is done (at most one frame)."""
        self.play_button.value = False
        with self._lock:
            pass

    def one_step(self):
        """One G step (and its D steps), then redraw; only while paused."""
        if self.playing:
            return
        with self._lock:
            self.model.train(1)
        self._draw()

    def reset(self):
        """New models for the chosen data set, seed, beta_1 and minibatch std; training stops."""
        self.pause()
        with self._lock:
            self._new_model()
        self._draw()

    def _on_play(self, change):
        self.play_button.description, self.play_button.icon = ("pause", "pause") if change["new"] else ("play", "play")
        if change["new"]:
            self._running.set()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="gan2d-training", daemon=True)
                self._thread.start()
        else:
            self._running.clear()

    def _loop(self):
        last_start = None
        while not self._closing.is_set():
            if not self._running.is_set():
                last_start = None                 # a pause is not a slow frame
            self._running.wait()                  # paused: blocks here, no CPU
            if self._closing.is_set():
                break
            start = time.perf_counter()
            if last_start is not None:            # frames per second: 1 / (smoothed start-to-start time)
                period = start - last_start
                self._period = period if self._period is None else 0.8 * self._period + 0.2 * period
                self.fps = 1 / self._period
            last_start = start
            with self._lock:
                if not self._running.is_set():
                    continue
                self.model.train(self.speed.value)
                self._draw()
            rest = 1 / MAX_FPS - (time.perf_counter() - start)
            if rest > 0:
                self._closing.wait(rest)

    # -- drawing --------------------------------------------------------------------------
    def _draw(self):
        with self._lock:
            model = self.model
            snap, picture = view2d.capture(model, self.real, self.coverage_history)
        self.last_snapshot = snap
        self.image.value = view2d.png(picture)
        d_lr, g_lr = model.learning_rates
        self.status.value = (f"step {model.step} &middot; {self.fps:.1f} frames/s &middot; "
                             f"D lr {d_lr:.0e}, G lr {g_lr:.0e}, {model.d_steps} D step(s) per G step")

    def close(self):
        self._closing.set()
        self._running.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        super().close()

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        if isinstance(bundle, dict) and self.image.value:
            bundle["image/png"] = base64.b64encode(self.image.value).decode("ascii")
        return bundle
