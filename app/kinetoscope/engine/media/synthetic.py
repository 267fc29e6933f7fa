"""Synthetic clips of one object moving on screen, for the bundled `motion_demo` model.

The renderer draws one flat object (never rotationally symmetric, so rotation is visible) over a
static background and moves it in exactly one way: one of `MOTION_LABELS`. Motion is defined in
seconds, so a clip looks the same at any frame rate, and geometry in fractions of the frame, so it
looks the same at any resolution (48x32 to 1920x1080, landscape or portrait).

It is used to train the demo model, by tests that need predictable predictions, by the benchmark's
synthetic clip and by the live mode's synthetic camera. numpy only; `encode_clip` needs PyAV.

Conventions: image coordinates with x to the right and y *down*; an angle that grows turns the
object clockwise as a viewer sees it on screen.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

import numpy as np

MOTION_LABELS: tuple[str, ...] = (
    "moving left",
    "moving right",
    "moving up",
    "moving down",
    "rotating clockwise",
    "rotating counterclockwise",
    "growing",
    "shrinking",
    "still",
)

SHAPE_FAMILIES: tuple[str, ...] = ("star", "letter", "blobs", "crescent", "arrow")
BACKGROUNDS: tuple[str, ...] = ("plain", "noise", "stripes", "gradient", "checker")
TEXTURES: tuple[str, ...] = ("solid", "stripes", "checker", "gradient")

# The object's outline fits in a circle of radius 1 in its own units; a little slack for edges.
_BOUND = 1.08

Rgb = tuple[int, int, int]
# An outline: local x, y arrays -> approximate signed distance (positive inside, local units).
_Outline = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class MotionSpec:
    """Everything that defines one synthetic clip; rendering it twice gives the same pixels.

    `size` is the diameter of the object's bounding circle at t = 0, as a fraction of the frame's
    shorter side. `centre` is the object's position at t = 0 as fractions of (width, height).
    `speed` is in frame fractions per second along the motion's axis (moving), radians per second
    (rotating) or natural-log size change per second (growing, shrinking); it is unused by "still".
    `seed` fixes the outline's details and the textures.
    """

    motion: str
    family: str
    size: float
    centre: tuple[float, float]
    angle: float
    speed: float
    fg: Rgb
    fg2: Rgb
    texture: str
    bg: Rgb
    bg2: Rgb
    background: str
    seed: int

    def __post_init__(self) -> None:
        if self.motion not in MOTION_LABELS:
            raise ValueError(f"unknown motion {self.motion!r}")
        if self.family not in SHAPE_FAMILIES:
            raise ValueError(f"unknown shape family {self.family!r}")
        if self.background not in BACKGROUNDS:
            raise ValueError(f"unknown background {self.background!r}")
        if self.texture not in TEXTURES:
            raise ValueError(f"unknown texture {self.texture!r}")

    @property
    def label_index(self) -> int:
        return MOTION_LABELS.index(self.motion)

    def pose(self, t: float) -> tuple[float, float, float, float]:
        """(x, y, angle, size) of the object at `t` seconds; x, y as frame fractions."""
        x, y = self.centre
        angle, size, v = self.angle, self.size, self.speed
        match self.motion:
            case "moving left":
                x -= v * t
            case "moving right":
                x += v * t
            case "moving up":
                y -= v * t
            case "moving down":
                y += v * t
            case "rotating clockwise":
                angle += v * t
            case "rotating counterclockwise":
                angle -= v * t
            case "growing":
                size *= math.exp(v * t)
            case "shrinking":
                size *= math.exp(-v * t)
        return x, y, angle, size


# Speed ranges per second (see MotionSpec.speed); chosen so a 16-frame view at 15 fps (~1.07 s)
# always shows a clear change.
TRANSLATION_SPEED = (0.08, 0.45)
ROTATION_SPEED = (0.6, 3.0)
SCALE_RATE = (0.25, 1.2)
SIZE_RANGE = (0.10, 0.40)


def random_spec(
    rng: np.random.Generator,
    motion: str | None = None,
    families: Sequence[str] = SHAPE_FAMILIES,
    duration: float = 16 / 15,
) -> MotionSpec:
    """A random clip whose object stays near the frame's centre for `duration` seconds.

    Long durations get slower translations and size changes so the object stays in view; the
    lower speed limits are kept, so very long durations may still drift to the frame's edge.
    """
    if motion is None:
        motion = MOTION_LABELS[int(rng.integers(len(MOTION_LABELS)))]
    family = families[int(rng.integers(len(families)))]
    lo, hi = SIZE_RANGE
    mid_x = 0.5 + rng.uniform(-0.08, 0.08)
    mid_y = 0.5 + rng.uniform(-0.12, 0.12)
    speed = 0.0
    size = rng.uniform(lo + 0.03, hi)
    if motion.startswith("moving"):
        v_hi = max(TRANSLATION_SPEED[0], min(TRANSLATION_SPEED[1], 0.5 / duration))
        speed = rng.uniform(TRANSLATION_SPEED[0], v_hi)
        size = min(size, 0.32)
    elif motion.startswith("rotating"):
        speed = rng.uniform(*ROTATION_SPEED)
        size = max(size, 0.18)
    elif motion in ("growing", "shrinking"):
        r_hi = max(SCALE_RATE[0], min(SCALE_RATE[1], math.log(hi / lo) / duration))
        speed = rng.uniform(SCALE_RATE[0], r_hi)
        change = math.exp(speed * duration)
        small = rng.uniform(lo, max(lo, hi / change))
        size = small if motion == "growing" else small * change
    fg, fg2, bg, bg2 = _random_colours(rng)
    spec = MotionSpec(
        motion=motion,
        family=family,
        size=size,
        centre=(mid_x, mid_y),
        angle=rng.uniform(0, 2 * math.pi),
        speed=speed,
        fg=fg,
        fg2=fg2,
        texture=TEXTURES[int(rng.integers(len(TEXTURES)))],
        bg=bg,
        bg2=bg2,
        background=BACKGROUNDS[int(rng.integers(len(BACKGROUNDS)))],
        seed=int(rng.integers(2**31)),
    )
    # Shift the path so that its middle (at duration / 2) sits at (mid_x, mid_y).
    x_half, y_half, _, _ = spec.pose(duration / 2)
    return replace(spec, centre=(2 * mid_x - x_half, 2 * mid_y - y_half))


def _random_colours(rng: np.random.Generator) -> tuple[Rgb, Rgb, Rgb, Rgb]:
    """Object and background colours with enough contrast between object and background."""
    for _ in range(200):
        bg = rng.integers(0, 256, 3)
        bg2 = np.clip(bg + rng.integers(-90, 91, 3), 0, 255)
        fg = rng.integers(0, 256, 3)
        fg2 = np.clip(fg + rng.integers(-110, 111, 3), 0, 255)
        far = min(
            np.linalg.norm(a.astype(float) - b) for a in (fg, fg2) for b in (bg, bg2)
        )
        if far >= 90:
            break
    return (_rgb(fg), _rgb(fg2), _rgb(bg), _rgb(bg2))


def _rgb(a: np.ndarray) -> Rgb:
    return (int(a[0]), int(a[1]), int(a[2]))


def render_frames(
    spec: MotionSpec, width: int, height: int, fps: float, n_frames: int, start: float = 0.0
) -> Iterator[np.ndarray]:
    """Yield `n_frames` uint8 RGB frames (height x width x 3) at `fps`, from `start` seconds."""
    return render_at_times(spec, width, height, [start + k / fps for k in range(n_frames)])


def render_clip(spec: MotionSpec, width: int, height: int, fps: float, n_frames: int) -> np.ndarray:
    """All frames of `render_frames` as one uint8 array (frames x height x width x 3)."""
    return np.stack(list(render_frames(spec, width, height, fps, n_frames)))


def render_at_times(
    spec: MotionSpec, width: int, height: int, times: Iterable[float]
) -> Iterator[np.ndarray]:
    """Yield one uint8 RGB frame per time stamp (seconds); for uneven sampling of the motion."""
    if width < 1 or height < 1:
        raise ValueError("frame size must be positive")
    outline = _outline(spec.family, np.random.default_rng([spec.seed, 1]))
    paint = _texture(spec, np.random.default_rng([spec.seed, 3]))
    background = _background(spec, width, height, np.random.default_rng([spec.seed, 2]))
    short = min(width, height)
    for t in times:
        x, y, angle, size = spec.pose(t)
        frame = background.copy()
        scale = max(size * short / 2, 1e-3)  # pixels per local unit
        _draw(frame, outline, paint, x * width, y * height, angle, scale)
        yield np.clip(frame + 0.5, 0, 255).astype(np.uint8)


def _draw(
    frame: np.ndarray,
    outline: _Outline,
    paint: Callable[[np.ndarray, np.ndarray], np.ndarray],
    cx: float,
    cy: float,
    angle: float,
    scale: float,
) -> None:
    """Composite the object into `frame` (float32, in place); only its bounding box is evaluated."""
    height, width = frame.shape[:2]
    reach = _BOUND * scale + 1
    x0, x1 = max(0, int(cx - reach)), min(width, int(cx + reach) + 1)
    y0, y1 = max(0, int(cy - reach)), min(height, int(cy + reach) + 1)
    if x0 >= x1 or y0 >= y1:
        return
    dx = (np.arange(x0, x1, dtype=np.float32) + 0.5 - cx)[None, :]
    dy = (np.arange(y0, y1, dtype=np.float32) + 0.5 - cy)[:, None]
    c, s = math.cos(angle), math.sin(angle)
    # Inverse of: image offset = scale * R(angle) @ local, with R = [[c, -s], [s, c]].
    lx = (c * dx + s * dy) / scale
    ly = (c * dy - s * dx) / scale
    # Signed distance in pixels -> coverage: a one-pixel anti-aliased edge.
    alpha = np.clip(outline(lx, ly) * scale + 0.5, 0.0, 1.0)[..., None]
    patch = frame[y0:y1, x0:x1]
    patch += alpha * (paint(lx, ly) - patch)


# ---- outlines (local units; bounding radius 1) -------------------------------------------------


def _outline(family: str, rng: np.random.Generator) -> _Outline:
    builders = {
        "star": _star,
        "letter": _letter,
        "blobs": _blobs,
        "crescent": _crescent,
        "arrow": _arrow,
    }
    return builders[family](rng)


def _star(rng: np.random.Generator) -> _Outline:
    """A radial outline r(phi) with random harmonics: blobs, lumpy discs, uneven stars."""
    ks = np.arange(1, 8)
    amps = rng.uniform(0.0, 0.22, ks.size) / np.sqrt(ks)
    amps[0] = rng.uniform(0.1, 0.25)  # k = 1 and 2 break every rotational symmetry
    amps[1] = rng.uniform(0.1, 0.25)
    if rng.random() < 0.5:  # pointed star
        amps[int(rng.integers(2, 7))] += rng.uniform(0.15, 0.3)
    phases = rng.uniform(0, 2 * math.pi, ks.size)
    probe = np.linspace(0, 2 * math.pi, 720, endpoint=False)
    radius = 1 + (amps[:, None] * np.cos(ks[:, None] * probe + phases[:, None])).sum(0)
    floor = 0.25 * radius.max()
    norm = max(radius.max(), 1e-6)

    def inside(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        phi = np.arctan2(y, x)
        r = np.ones_like(phi)
        for k, a, p in zip(ks, amps, phases):
            r += a * np.cos(k * phi + p)
        return (np.maximum(r, floor) / norm - np.hypot(x, y)) * 0.8

    return inside


# Letter-like glyphs as rectangles (x, y, w, h) on a 3 x 5 grid, y down.
_GLYPHS: dict[str, tuple[tuple[float, float, float, float], ...]] = {
    "L": ((0, 0, 1, 5), (0, 4, 3, 1)),
    "F": ((0, 0, 1, 5), (0, 0, 3, 1), (0, 2, 2.2, 1)),
    "P": ((0, 0, 1, 5), (0, 0, 3, 1), (0, 2, 3, 1), (2, 0, 1, 3)),
    "J": ((2, 0, 1, 5), (0, 4, 3, 1), (0, 3, 1, 2)),
    "T": ((0, 0, 3, 1), (1, 0, 1, 5)),
    "E": ((0, 0, 1, 5), (0, 0, 3, 1), (0, 2, 2.2, 1), (0, 4, 3, 1)),
    "G": ((0, 0, 3, 1), (0, 0, 1, 5), (0, 4, 3, 1), (2, 2, 1, 3), (1.3, 2, 1.7, 1)),
    "h": ((0, 0, 1, 5), (0, 2, 3, 1), (2, 2, 1, 3)),
}


def _letter(rng: np.random.Generator) -> _Outline:
    """A union of bars shaped like a capital letter (L, F, P, J, T, E, G, h)."""
    name = sorted(_GLYPHS)[int(rng.integers(len(_GLYPHS)))]
    stretch = rng.uniform(0.75, 1.35)  # width / height of the glyph box
    stroke = rng.uniform(0.75, 1.25)  # bar thickness relative to a grid cell
    boxes = []
    for gx, gy, gw, gh in _GLYPHS[name]:
        # Thicken or thin bars about their centre line along their short side.
        if gw <= gh:
            gx, gw = gx + gw / 2 * (1 - stroke), gw * stroke
        else:
            gy, gh = gy + gh / 2 * (1 - stroke), gh * stroke
        boxes.append(((gx + gw / 2 - 1.5) * stretch, gy + gh / 2 - 2.5, gw / 2 * stretch, gh / 2))
    reach = max(math.hypot(abs(bx) + hw, abs(by) + hh) for bx, by, hw, hh in boxes)
    boxes = [tuple(v / reach for v in b) for b in boxes]

    def inside(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        best = None
        for bx, by, hw, hh in boxes:
            d = np.minimum(hw - np.abs(x - bx), hh - np.abs(y - by))
            best = d if best is None else np.maximum(best, d)
        return best

    return inside


def _blobs(rng: np.random.Generator) -> _Outline:
    """A union of three or four overlapping ellipses."""
    n = int(rng.integers(3, 5))
    ellipses = []
    for i in range(n):
        r = 0.0 if i == 0 else rng.uniform(0.25, 0.55)
        phi = rng.uniform(0, 2 * math.pi)
        a, b = rng.uniform(0.3, 0.55), rng.uniform(0.15, 0.35)
        ellipses.append((r * math.cos(phi), r * math.sin(phi), a, b, rng.uniform(0, math.pi)))
    reach = max(math.hypot(ex, ey) + a for ex, ey, a, _, _ in ellipses)

    def inside(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        best = None
        x, y = x * reach, y * reach
        for ex, ey, a, b, rot in ellipses:
            c, s = math.cos(rot), math.sin(rot)
            u = (c * (x - ex) + s * (y - ey)) / a
            v = (c * (y - ey) - s * (x - ex)) / b
            d = (1 - np.sqrt(u * u + v * v)) * b / reach
            best = d if best is None else np.maximum(best, d)
        return best

    return inside


def _crescent(rng: np.random.Generator) -> _Outline:
    """A disc with an off-centre disc cut out of it."""
    cut_r = rng.uniform(0.65, 0.9)
    cut_x = rng.uniform(0.35, 0.6)
    cut_y = rng.uniform(-0.15, 0.15)

    def inside(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        outer = 1 - np.hypot(x, y)
        hole = np.hypot(x - cut_x, y - cut_y) - cut_r
        return np.minimum(outer, hole)

    return inside


def _arrow(rng: np.random.Generator) -> _Outline:
    """A straight arrow: a bar with a triangular head."""
    shaft = rng.uniform(0.1, 0.2)
    base = rng.uniform(0.0, 0.35)
    head = rng.uniform(0.35, 0.6)
    slope = head / (1 - base)
    norm = math.hypot(1, slope)

    def inside(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        bar = np.minimum(np.minimum(shaft - np.abs(y), x + 0.95), base + 0.05 - x)
        tip = np.minimum(x - base, (slope * (1 - x) - np.abs(y)) / norm)
        return np.maximum(bar, tip)

    return inside


# ---- paint ------------------------------------------------------------------------------------


def _texture(spec: MotionSpec, rng: np.random.Generator) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """The object's colour as a function of local coordinates, so texture moves with the object."""
    fg = np.asarray(spec.fg, np.float32)
    fg2 = np.asarray(spec.fg2, np.float32)
    freq = rng.uniform(1.2, 3.0)
    theta = rng.uniform(0, math.pi)
    phase = rng.uniform(0, 2 * math.pi)
    c, s = math.cos(theta), math.sin(theta)
    kind = spec.texture

    def paint(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        if kind == "solid":
            return np.broadcast_to(fg, x.shape + (3,))
        u = c * x + s * y
        if kind == "stripes":
            w = np.clip(np.sin(2 * math.pi * freq * u + phase) * 3 + 0.5, 0, 1)
        elif kind == "checker":
            v = c * y - s * x
            w = (np.sin(math.pi * freq * u + phase) * np.sin(math.pi * freq * v) > 0).astype(np.float32)
        else:  # gradient
            w = np.clip((u + 1) / 2, 0, 1)
        return fg + w[..., None] * (fg2 - fg)

    return paint


def _background(spec: MotionSpec, width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """A static float32 background (height x width x 3), defined relative to the frame's size."""
    bg = np.asarray(spec.bg, np.float32)
    bg2 = np.asarray(spec.bg2, np.float32)
    short = min(width, height)
    xs = ((np.arange(width, dtype=np.float32) + 0.5) / short)[None, :]
    ys = ((np.arange(height, dtype=np.float32) + 0.5) / short)[:, None]
    theta = rng.uniform(0, math.pi)
    c, s = math.cos(theta), math.sin(theta)
    kind = spec.background
    if kind == "plain":
        w = np.zeros((height, width), np.float32)
    elif kind == "noise":
        w = _smooth_noise(rng, width, height) + rng.uniform(-0.15, 0.15, (height, width))
    elif kind == "stripes":
        period = rng.uniform(0.04, 0.25)
        w = np.broadcast_to(np.sin(2 * math.pi * (c * xs + s * ys) / period) * 0.5 + 0.5, (height, width))
    elif kind == "gradient":
        w = np.broadcast_to(c * xs + s * ys, (height, width))
        w = (w - w.min()) / max(float(np.ptp(w)), 1e-6)
    else:  # checker
        cell = rng.uniform(0.05, 0.2)
        ox, oy = rng.uniform(0, 1, 2)
        w = ((np.floor(xs / cell + ox) + np.floor(ys / cell + oy)) % 2).astype(np.float32)
    w = np.clip(w, 0, 1).astype(np.float32)[..., None]
    return bg + w * (bg2 - bg)


def _smooth_noise(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """Low-frequency noise in [0, 1]: a coarse random grid, bilinearly interpolated."""
    gw, gh = int(rng.integers(3, 9)), int(rng.integers(3, 9))
    grid = rng.random((gh, gw))
    xs = np.linspace(0, gw - 1, width)
    ys = np.linspace(0, gh - 1, height)
    rows = np.stack([np.interp(xs, np.arange(gw), grid[j]) for j in range(gh)])
    top = np.minimum(ys.astype(int), gh - 2)
    frac = (ys - top)[:, None]
    return rows[top] * (1 - frac) + rows[top + 1] * frac


# ---- encoding ---------------------------------------------------------------------------------


def encode_clip(
    path: str | Path,
    frames: Iterable[np.ndarray],
    fps: float,
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    crf: int = 23,
) -> Path:
    """Write uint8 RGB frames to a video file with PyAV; odd sizes are padded to even ones."""
    import av  # only here: the renderer itself needs numpy alone

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rate = Fraction(fps).limit_denominator(1001)
    with av.open(str(path), mode="w") as container:
        stream = None
        for frame in frames:
            height, width = frame.shape[:2]
            if stream is None:
                stream = container.add_stream(codec, rate=rate)
                stream.width, stream.height = width + width % 2, height + height % 2
                stream.pix_fmt = pix_fmt
                if codec in ("libx264", "libx265"):
                    stream.options = {"crf": str(crf), "preset": "medium"}
                    stream.codec_context.thread_count = 1  # same bytes on every run
            if (width % 2) or (height % 2):
                frame = np.pad(frame, ((0, height % 2), (0, width % 2), (0, 0)), mode="edge")
            video_frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
            for packet in stream.encode(video_frame):
                container.mux(packet)
        if stream is None:
            raise ValueError("no frames to encode")
        for packet in stream.encode():
            container.mux(packet)
    return path
