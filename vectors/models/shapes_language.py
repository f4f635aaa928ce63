"""The aigif-shapes prompt language, its image generator and its classifier, declared once.

`a {colour} {shape} on a {colour} background`: colour one of PALETTE (pure RGB primaries and their
mixes), the two colours different; shape one of SHAPES. The training script draws its dataset from
`draw`; the evaluation benchmark classifies rendered images with `classify`, which matches the same
shapes (`masks`) against the image, so the two cannot drift apart.

Geometry, in units of the image side: a shape is centred at (cx, cy) and spans 2*half in both
directions (its bounding box is a square for every shape). Circle: the inscribed disc; square: the
box; triangle: apex at the top centre, base along the bottom edge; cross: a plus sign whose arms are
2/3 * half wide.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

PALETTE: dict[str, tuple[float, float, float]] = {
    "red": (1.0, 0.0, 0.0), "green": (0.0, 1.0, 0.0), "blue": (0.0, 0.0, 1.0), "yellow": (1.0, 1.0, 0.0),
    "cyan": (0.0, 1.0, 1.0), "magenta": (1.0, 0.0, 1.0), "white": (1.0, 1.0, 1.0), "black": (0.0, 0.0, 0.0),
}
COLOURS = list(PALETTE)
SHAPES = ["circle", "square", "triangle", "cross"]
# Where shapes are drawn (fractions of the image side), uniformly: centre and half-size.
CENTRE_RANGE = (0.38, 0.62)
HALF_RANGE = (0.18, 0.30)


def prompt(foreground: str, shape: str, background: str) -> str:
    return f"a {foreground} {shape} on a {background} background"


def all_prompts() -> list[tuple[str, str, str]]:
    """Every (foreground, shape, background) of the language: 8 x 7 x 4 = 224."""
    return [(fg, shape, bg) for fg in COLOURS for shape in SHAPES for bg in COLOURS if bg != fg]


def masks(shape: torch.Tensor, cx: torch.Tensor, cy: torch.Tensor, half: torch.Tensor, size: int,
          supersample: int = 1) -> torch.Tensor:
    """Coverage (B, size, size) in [0, 1] of shapes given per row (shape index into SHAPES, float geometry)."""
    n = size * supersample
    coords = (torch.arange(n, device=cx.device, dtype=torch.float32) + 0.5) / n
    y, x = coords.view(1, n, 1), coords.view(1, 1, n)
    cx, cy, half, shape = (t.view(-1, 1, 1) for t in (cx, cy, half, shape))
    dx, dy = x - cx, y - cy
    box = (dx.abs() <= half) & (dy.abs() <= half)
    inside = torch.stack([
        dx * dx + dy * dy <= half * half,
        box,
        box & (dx.abs() * 2 <= dy + half),
        ((dx.abs() <= half / 3) & (dy.abs() <= half)) | ((dy.abs() <= half / 3) & (dx.abs() <= half)),
    ])  # (4, B, n, n)
    chosen = inside.gather(0, shape.long().view(1, -1, 1, 1).expand(1, -1, n, n))[0].float()
    if supersample > 1:
        chosen = torch.nn.functional.avg_pool2d(chosen.unsqueeze(1), supersample).squeeze(1)
    return chosen


@dataclass
class Batch:
    images: torch.Tensor  # (B, 3, size, size) in [0, 1]
    foreground: torch.Tensor  # (B,) index into COLOURS
    background: torch.Tensor
    shape: torch.Tensor  # (B,) index into SHAPES


def draw(batch: int, size: int, generator: torch.Generator, device: str | torch.device = "cpu") -> Batch:
    """A random batch of the language's images (antialiased, 4x supersampled), from generator."""
    def uniform(lo: float, hi: float) -> torch.Tensor:
        return lo + (hi - lo) * torch.rand(batch, generator=generator, device=device)

    fg = torch.randint(len(COLOURS), (batch,), generator=generator, device=device)
    bg = (fg + torch.randint(1, len(COLOURS), (batch,), generator=generator, device=device)) % len(COLOURS)
    shape = torch.randint(len(SHAPES), (batch,), generator=generator, device=device)
    cx, cy, half = uniform(*CENTRE_RANGE), uniform(*CENTRE_RANGE), uniform(*HALF_RANGE)
    coverage = masks(shape, cx, cy, half, size, supersample=4).unsqueeze(1)
    palette = torch.tensor(list(PALETTE.values()), device=device)
    images = palette[fg].view(-1, 3, 1, 1) * coverage + palette[bg].view(-1, 3, 1, 1) * (1 - coverage)
    return Batch(images, fg, bg, shape)


@dataclass
class Reading:
    foreground: str | None
    background: str
    shape: str | None
    iou: float  # of the best-matching shape mask with the foreground pixels


class Classifier:
    """Reads (foreground colour, background colour, shape) off an RGB image of the language.

    Background: the palette colour nearest to the median of the 3-pixel border. Foreground: the palette
    colour (other than the background) that most non-background pixels are nearest to. Shape: the
    shape whose mask, placed at the foreground's bounding box (searched 2 pixels around it), has the
    highest intersection over union with the foreground pixels.
    """

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self.palette = torch.tensor(list(PALETTE.values()))

    def _best_shape(self, mask: torch.Tensor) -> tuple[int, float]:
        """Index into SHAPES and IoU of the best mask within 2 pixels of the foreground's bounding box."""
        n = self.size
        rows = (mask.sum(1) >= 2).nonzero().flatten()
        cols = (mask.sum(0) >= 2).nonzero().flatten()
        if len(rows) == 0 or len(cols) == 0:
            rows, cols = mask.any(1).nonzero().flatten(), mask.any(0).nonzero().flatten()
        cx, cy = (cols[0] + cols[-1] + 1) / (2 * n), (rows[0] + rows[-1] + 1) / (2 * n)
        half = max(cols[-1] - cols[0] + 1, rows[-1] - rows[0] + 1) / (2 * n)
        offsets = torch.arange(-2, 3) / n
        grid = torch.cartesian_prod(torch.arange(len(SHAPES)).float(), cx + offsets, cy + offsets, half + offsets / 2)
        templates = (masks(grid[:, 0], grid[:, 1], grid[:, 2], grid[:, 3].clamp(min=1 / n), n) > 0.5).reshape(len(grid), -1).float()
        flat = mask.reshape(-1)
        inter = templates @ flat
        iou = inter / (templates.sum(1) + flat.sum() - inter)
        best = int(iou.argmax())
        return int(grid[best, 0]), float(iou[best])

    def __call__(self, rgb) -> Reading:
        """rgb: H x W x 3, uint8 or float in [0, 1]."""
        image = torch.as_tensor(rgb).float()
        image = image / 255.0 if image.max() > 1.0 else image
        border = torch.cat([image[:3].reshape(-1, 3), image[-3:].reshape(-1, 3),
                            image[:, :3].reshape(-1, 3), image[:, -3:].reshape(-1, 3)])
        bg = int(torch.cdist(border.median(0).values.view(1, 3), self.palette).argmin())
        distances = torch.cdist(image.reshape(-1, 3), self.palette)  # (H*W, 8)
        far_from_bg = distances[:, bg] > 0.5
        if int(far_from_bg.sum()) < 4:
            return Reading(None, COLOURS[bg], None, 0.0)
        distances[:, bg] = float("inf")
        fg = int(distances[far_from_bg].argmin(1).bincount(minlength=len(COLOURS)).argmax())
        shape, iou = self._best_shape(far_from_bg.float().reshape(image.shape[:2]))
        return Reading(COLOURS[fg], COLOURS[bg], SHAPES[shape], iou)
