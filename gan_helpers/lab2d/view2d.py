"""Pictures of a 2-D GAN (notebook 00): one state of training, drawn fast enough to watch.

A :func:`snapshot` holds what one picture needs (real and generated points, D's probability over
the plane, G's push on each generated point, the step); :func:`render` draws it with Pillow in a
few milliseconds, so the widget can redraw many times a second. The matplotlib figures
(:func:`plot_snapshots`, :func:`plot_optimal_d`) are for the notebook's saved output and the handout.
Colours follow GAN Lab (Kahng et al. 2018): green is real, purple is generated. All text is ASCII.
"""

from __future__ import annotations

import io

import matplotlib
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from . import gan2d

REAL_RGB = (27, 120, 55)
FAKE_RGB = (118, 42, 131)
ARROW_RGB = (60, 60, 60)
MAP_RESOLUTION = 64
SHOWN_POINTS = 500
SHOWN_ARROWS = 150


def _map_colours() -> np.ndarray:
    """256 RGB rows: D = 0 purple, 0.5 white, 1 green, lightened so the points stay visible."""
    lut = matplotlib.colormaps["PRGn"](np.linspace(0, 1, 256))[:, :3]
    return (255 * (0.45 * lut + 0.55)).astype(np.uint8)


_LUT = _map_colours()


def _map_cmap():
    """The background's colours (:data:`_LUT`) as a matplotlib colormap."""
    import matplotlib.colors as mcolors

    return mcolors.ListedColormap(_LUT / 255.0)


def real_points(data: str, n: int = SHOWN_POINTS, seed: int = 0) -> np.ndarray:
    """A fixed sample of real points to draw (the same picture every frame)."""
    return gan2d.sample_real(data, n, gan2d.tf.random.Generator.from_seed(seed)).numpy()


def snapshot(model: "gan2d.Gan2d", real=None, coverage=None) -> dict:
    """What one picture of ``model`` needs, as numpy arrays (cheap to keep hundreds of them)."""
    fake = model.generated(SHOWN_POINTS)
    grid, _ = gan2d.grid_points(model.data, MAP_RESOLUTION)
    return {"step": model.step, "data": model.data, "loss": model.loss,
            "real": real_points(model.data) if real is None else real, "fake": fake,
            "push": model.push(fake[:SHOWN_ARROWS]),
            "d_map": model.d_probability(grid, fake).reshape(MAP_RESOLUTION, MAP_RESOLUTION),
            "coverage": coverage, "spread": spread(fake),
            "last": {key: values[-1] for key, values in model.history.items() if values}}


def spread(points) -> float:
    """How far the points lie from their own mean: the root of the mean variance over the two axes.

    Real ring points give about 1.41 (radius 2); a generator that puts every point in one clump gives
    nearly 0, whatever the clump's place, so a fall of this number is the moment of a collapse."""
    return float(np.sqrt(np.asarray(points, np.float64).var(axis=0).mean()))


def capture(model: "gan2d.Gan2d", real, covered: list, size: int = 360):
    """A snapshot of ``model`` now and its picture (:func:`render`).

    For a mixture, the coverage is measured and appended to ``covered`` (once per step), whose
    history the picture's "modes captured" curve draws. Returns (snapshot, image).
    """
    c = model.coverage() if gan2d.mode_centres(model.data) is not None else None
    if c is not None and (not covered or covered[-1]["step"] != model.step):
        covered.append({**c, "step": model.step})
    snap = snapshot(model, real, c)
    return snap, render(snap, model.history, covered or None, size=size)


def record(model: "gan2d.Gan2d", steps: int, every: int, real=None, frame_size: int = 240):
    """Train ``steps`` more G steps with a snapshot every ``every`` steps (and one before).

    Returns (snapshots, frames): each snapshot carries VEEGAN coverage for a mixture; each frame is
    :func:`render` of it (plane ``frame_size`` pixels high) with the curves up to that step, for an animation.
    """
    real = real_points(model.data) if real is None else real
    snaps, frames, covered = [], [], []

    def take():
        snap, frame = capture(model, real, covered, frame_size)
        snaps.append(snap)
        frames.append(frame)

    take()
    end = model.step + steps
    while model.step < end:
        model.train(min(every, end - model.step))
        take()
    return snaps, frames


def _font(size):
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):   # Pillow without FreeType
        return ImageFont.load_default()


def _to_pixels(points, half, size):
    """Plane coordinates -> pixel coordinates (y up in the plane, down in the picture)."""
    points = np.asarray(points, np.float64)
    return np.stack([(points[:, 0] + half) / (2 * half) * size,
                     (half - points[:, 1]) / (2 * half) * size], axis=1)


def render_plane(snap: dict, size: int = 360) -> Image.Image:
    """D's probability as the background, real (green) and generated (purple) points, G's push as lines."""
    half = gan2d.PLANE[snap["data"]]
    index = np.clip((snap["d_map"] * 255).round().astype(int), 0, 255)
    image = Image.fromarray(_LUT[index], "RGB").resize((size, size), Image.BILINEAR)
    draw = ImageDraw.Draw(image)
    for x, y in _to_pixels(snap["real"], half, size):
        draw.ellipse((x - 1.5, y - 1.5, x + 1.5, y + 1.5), fill=REAL_RGB)
    push = np.asarray(snap["push"], np.float64)
    longest = np.linalg.norm(push, axis=1).max() if len(push) else 0.0
    if longest > 0:
        starts = _to_pixels(snap["fake"][:len(push)], half, size)
        scaled = push / longest * 0.08 * size               # the longest arrow: 8 % of the picture
        for (x, y), (dx, dy) in zip(starts, scaled):
            draw.line((x, y, x + dx, y - dy), fill=ARROW_RGB, width=1)
    for x, y in _to_pixels(snap["fake"], half, size):
        draw.ellipse((x - 1.5, y - 1.5, x + 1.5, y + 1.5), fill=FAKE_RGB)
    label = f"step {snap['step']}  G loss: {snap['loss']}"
    if snap.get("coverage"):
        c = snap["coverage"]
        label += f"\nmodes {c['modes']}/{c['of']}  high quality {100 * c['high_quality']:.0f}%"
    draw.multiline_text((6, 4), label, fill=(0, 0, 0), font=_font(13))
    draw.rectangle((0, 0, size - 1, size - 1), outline=(120, 120, 120))
    return image


def _chart(draw, box, series, low, high, title, font):
    """Lines of ``series`` [(values, rgb, name)] in ``box`` (x0, y0, x1, y1), y from ``low`` to ``high``."""
    x0, y0, x1, y1 = box
    draw.rectangle(box, outline=(150, 150, 150))
    draw.text((x0 + 4, y0 + 2), title, fill=(0, 0, 0), font=font)
    legend_x = x1 - 4
    for values, rgb, name in reversed(series):
        width = draw.textlength(name, font=font)
        legend_x -= width
        draw.text((legend_x, y0 + 2), name, fill=rgb, font=font)
        legend_x -= 8
    top = y0 + 18
    for values, rgb, _ in series:
        values = np.asarray(values, np.float64)
        if len(values) < 2:
            continue
        xs = x0 + 2 + np.linspace(0, 1, len(values)) * (x1 - x0 - 4)
        ys = y1 - 2 - (np.clip(values, low, high) - low) / (high - low) * (y1 - top - 4)
        draw.line(list(zip(xs.tolist(), ys.tolist())), fill=rgb, width=2)
    draw.text((x1 - 4 - draw.textlength(f"{high:g}", font=font), top), f"{high:g}", fill=(110, 110, 110), font=font)
    draw.text((x1 - 4 - draw.textlength(f"{low:g}", font=font), y1 - 15), f"{low:g}", fill=(110, 110, 110), font=font)


def render_curves(history: dict, coverage: list | None = None, size=(300, 360)) -> Image.Image:
    """D(x) and D(G(z)), the two losses and (for a mixture) the modes captured, step by step."""
    width, height = size
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    font = _font(12)
    charts = 3 if coverage else 2
    h = height // charts
    _chart(draw, (0, 0, width - 1, h - 4),
           [(history["d_real"], REAL_RGB, "D(x)"), (history["d_fake"], FAKE_RGB, "D(G(z))")], 0, 1, "D says", font)
    losses = np.concatenate([history["d_loss"], history["g_loss"]]) if history["d_loss"] else np.zeros(1)
    low, high = float(np.floor(losses.min())), float(np.ceil(losses.max()))
    _chart(draw, (0, h, width - 1, 2 * h - 4),
           [(history["d_loss"], (40, 90, 160), "D loss"), (history["g_loss"], (200, 110, 30), "G loss")],
           low, max(high, low + 1), "loss", font)
    if coverage:
        of = coverage[-1]["of"]
        _chart(draw, (0, 2 * h, width - 1, 3 * h - 4),
               [([c["modes"] for c in coverage], (0, 0, 0), "modes"),
                ([c["high_quality"] * of for c in coverage], (150, 150, 150), "quality x" + str(of))],
               0, of, f"modes captured (of {of})", font)
    return image


def render(snap: dict, history: dict, coverage: list | None = None, size: int = 360) -> Image.Image:
    """The plane and the curves side by side (what the widget shows)."""
    plane = render_plane(snap, size)
    curves = render_curves(history, coverage, (300, size))
    out = Image.new("RGB", (size + 8 + curves.width, size), "white")
    out.paste(plane, (0, 0))
    out.paste(curves, (size + 8, 0))
    return out


def gif_frame(image: Image.Image, colors: int = 64) -> Image.Image:
    """A palette frame for a GIF: 64 colours without dithering keep the smooth background small
    (dithering its shades costs several times the bytes)."""
    return image.quantize(colors=colors, dither=Image.Dither.NONE)


def png(image: Image.Image) -> bytes:
    """PNG bytes (fast settings: the widget sends one per frame)."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


# -- matplotlib figures for the saved notebook and the handout -------------------------------------
def _draw_snapshot(ax, snap, arrows=True, title=None):
    half = gan2d.PLANE[snap["data"]]
    cmap = _map_cmap()
    ax.imshow(snap["d_map"], extent=(-half, half, -half, half), cmap=cmap, vmin=0, vmax=1,
              interpolation="bilinear")
    ax.scatter(*np.asarray(snap["real"]).T, s=3, color=np.array(REAL_RGB) / 255, label="real")
    if arrows and len(snap["push"]):
        push = np.asarray(snap["push"])
        longest = np.linalg.norm(push, axis=1).max()
        if longest > 0:
            start = np.asarray(snap["fake"])[:len(push)]
            scaled = push / longest * 0.16 * half
            ax.quiver(start[:, 0], start[:, 1], scaled[:, 0], scaled[:, 1], angles="xy", scale_units="xy",
                      scale=1, width=0.004, color=np.array(ARROW_RGB) / 255, alpha=0.7)
    ax.scatter(*np.asarray(snap["fake"]).T, s=3, color=np.array(FAKE_RGB) / 255, label="generated")
    ax.set_xlim(-half, half)
    ax.set_ylim(-half, half)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_aspect("equal")
    if title is None:
        title = f"step {snap['step']}"
        if snap.get("coverage"):
            c = snap["coverage"]
            title += f": {c['modes']}/{c['of']} modes, {c['high_quality']:.0%} HQ"
        if snap.get("spread") is not None:
            title += f"\nspread {snap['spread']:.2f}"
    ax.set_title(title, fontsize=9)


def plot_snapshots(snaps, columns=5, suptitle=None, arrows=True):
    """Snapshots side by side (rows of ``columns``): background D(x), green real, purple generated, G's push."""
    import matplotlib.pyplot as plt

    rows = -(-len(snaps) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(2.3 * columns, 2.45 * rows), squeeze=False)
    for ax in axes.ravel()[len(snaps):]:
        ax.axis("off")
    for ax, snap in zip(axes.ravel(), snaps):
        _draw_snapshot(ax, snap, arrows)
    if suptitle:
        fig.suptitle(suptitle, fontsize=10)
    fig.tight_layout()
    return fig


def plot_datasets(n=1000, seed=0):
    """The four real distributions, with the centres of the mixtures' components."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(gan2d.DATASETS), figsize=(3.0 * len(gan2d.DATASETS), 3.1))
    for ax, data in zip(axes, gan2d.DATASETS):
        half = gan2d.PLANE[data]
        ax.scatter(*real_points(data, n, seed).T, s=2, color=np.array(REAL_RGB) / 255)
        centres = gan2d.mode_centres(data)
        title = data
        if centres is not None:
            ax.scatter(*centres.T, s=60, facecolors="none", edgecolors="k", linewidths=0.8)
            title += f": {len(centres)} mode(s), std {gan2d.mode_std(data)}"
        ax.set_xlim(-half, half)
        ax.set_ylim(-half, half)
        ax.set_aspect("equal")
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def _d_star(model, points, bandwidth=None, n=5000):
    """D*, p_data, p_g at ``points``: p_g from ``n`` fresh generated points (a fixed noise seed)."""
    noise = np.random.default_rng(model.seed + 2).standard_normal((n, gan2d.NOISE_DIM)).astype(np.float32)
    bandwidth = gan2d.mode_std(model.data) if bandwidth is None else bandwidth
    p_data = gan2d.real_density(model.data, points)
    p_g = gan2d.kernel_density(model._generate(noise).numpy(), points, bandwidth)
    with np.errstate(invalid="ignore", divide="ignore"):
        return p_data / (p_data + p_g), p_data, p_g


def _value(d_real, d_fake) -> float:
    """V(D, G) estimated from D's answers: mean log D(x) over real points + mean log(1 - D(G(z))) over generated ones."""
    d_real = np.clip(np.nan_to_num(d_real, nan=0.5), 1e-7, 1 - 1e-7)
    d_fake = np.clip(np.nan_to_num(d_fake, nan=0.5), 1e-7, 1 - 1e-7)
    return float(np.mean(np.log(d_real)) + np.mean(np.log(1 - d_fake)))


def plot_optimal_d(model, n=1000, bandwidth=None):
    """D*(x) = p_data / (p_data + p_g) beside the trained D(x), both at ``n`` real and ``n`` generated points.

    p_data is exact (the mixture); p_g is a kernel density estimate from 5,000 generated points
    (Gaussian kernels of width ``bandwidth``, default the mixture's std), so D* is an estimate too.
    D* is only defined where some point can be (0/0 elsewhere), so both panels colour the points;
    the right panel also shows D's answer everywhere else as its background.
    Returns (figure, numbers comparing D and D* at the points).
    """
    import matplotlib.colors as mcolors
    import matplotlib.pyplot as plt

    if gan2d.mode_centres(model.data) is None:
        raise gan2d.Gan2dError("D* needs the exact p_data: use 'ring', 'grid' or 'gaussian'")
    real = real_points(model.data, n, seed=5)
    fake = model.generated(n)
    points = np.concatenate([real, fake])
    star, _, _ = _d_star(model, points, bandwidth)
    trained = model.d_probability(points, fake[:500])
    half = gan2d.PLANE[model.data]
    cmap = _map_cmap()
    dark = mcolors.ListedColormap(matplotlib.colormaps["PRGn"](np.linspace(0, 1, 256))[:, :3])
    grid, _ = gan2d.grid_points(model.data, MAP_RESOLUTION)
    background = model.d_probability(grid, fake[:500]).reshape(MAP_RESOLUTION, MAP_RESOLUTION)
    fig, axes = plt.subplots(1, 2, figsize=(8.6, 4.2))
    axes[0].set_facecolor((0.85, 0.85, 0.85))
    axes[1].imshow(background, extent=(-half, half, -half, half), cmap=cmap, vmin=0, vmax=1, interpolation="bilinear")
    for ax, values, title in ((axes[0], star, "D*(x) = p_data / (p_data + p_g) at the points"),
                              (axes[1], trained, "D(x) of the trained discriminator")):
        dots = ax.scatter(*points.T, c=np.nan_to_num(values, nan=0.5), cmap=dark, vmin=0, vmax=1, s=4)
        ax.set_xlim(-half, half)
        ax.set_ylim(-half, half)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(title, fontsize=9)
    fig.colorbar(dots, ax=axes, shrink=0.8, label="probability of real (green 1, purple 0)")
    known = ~np.isnan(star)          # D* is 0/0 where neither density reaches
    numbers = {"mean D* on real": float(np.nanmean(star[:n])), "mean D on real": float(trained[:n].mean()),
               "mean D* on generated": float(np.nanmean(star[n:])), "mean D on generated": float(trained[n:].mean()),
               "mean |D - D*|": float(np.abs(trained - star)[known].mean()), "points without D*": int((~known).sum()),
               "V(D, G) with the trained D": _value(trained[:n], trained[n:]),
               "V(D*, G)": _value(star[:n], star[n:]), "-log 4 (V when p_g = p_data)": float(-np.log(4.0))}
    return fig, numbers


def plot_coverage_traces(results: dict):
    """Modes captured over training, mean over the seeds, one line per row; ring and grid side by side."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results["data"]), figsize=(5.2 * len(results["data"]), 3.4))
    for ax, data in zip(np.atleast_1d(axes), results["data"]):
        for row in results["rows"]:
            traces = [results["runs"][f"{data}|{row}|{seed}"]["trace"] for seed in results["seeds"]]
            steps = [t["step"] for t in traces[0]]
            ax.plot(steps, np.mean([[t["modes"] for t in trace] for trace in traces], axis=0), label=row)
        ax.set_title(f"{data}: modes captured (mean of {len(results['seeds'])} seeds)", fontsize=10)
        ax.set_xlabel("G steps")
        ax.set_ylim(0, len(gan2d.mode_centres(data)) + 0.5)
    np.atleast_1d(axes)[0].legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig
