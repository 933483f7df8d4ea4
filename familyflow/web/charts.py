"""Small SVG charts drawn on the server (no script): coordinates computed here,
the SVG written by templates/web/_charts.html. Every chart has a table beside it."""

from __future__ import annotations

from dataclasses import dataclass, field

PALETTE = ("#1d70b8", "#d4351c", "#00703c", "#6f72af", "#f47738", "#505a5f")


@dataclass
class Series:
    label: str
    colour: str
    points: list[tuple[float, float, str]] = field(default_factory=list)  # x, y, value text

    @property
    def path(self) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in self.points)


@dataclass
class Chart:
    width: int
    height: int
    left: int
    bottom: int
    x_labels: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]
    series: list[Series]
    bars: list[dict[str, object]] = field(default_factory=list)
    title: str = ""


def line_chart(
    x_labels: list[str],
    lines: dict[str, list[float | None]],
    *,
    y_max: float,
    title: str,
    width: int = 640,
    height: int = 260,
    y_format: str = "{:.0f}",
) -> Chart:
    left, top, right, bottom = 50, 20, 20, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(x_labels) - 1, 1)
    xs = [left + (i * step if len(x_labels) > 1 else plot_w / 2) for i in range(len(x_labels))]

    def y_of(value: float) -> float:
        return top + plot_h - (value / y_max) * plot_h if y_max else top + plot_h

    series = []
    for n, (label, values) in enumerate(lines.items()):
        s = Series(label=label, colour=PALETTE[n % len(PALETTE)])
        s.points = [
            (xs[i], y_of(v), y_format.format(v)) for i, v in enumerate(values) if v is not None
        ]
        series.append(s)
    ticks = [(y_of(y_max * k / 5), y_format.format(y_max * k / 5)) for k in range(6)]
    return Chart(
        width=width,
        height=height,
        left=left,
        bottom=top + plot_h,
        x_labels=list(zip(xs, x_labels, strict=True)),
        y_ticks=ticks,
        series=series,
        title=title,
    )


def bar_chart(
    groups: list[str],
    bars: dict[str, list[float | None]],
    *,
    y_max: float,
    title: str,
    width: int = 640,
    height: int = 260,
    y_format: str = "{:.0f}",
) -> Chart:
    """Grouped bars: one group per label, one bar per series."""
    left, top, right, bottom = 50, 20, 20, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    group_w = plot_w / max(len(groups), 1)
    names = list(bars)
    bar_w = group_w * 0.8 / max(len(names), 1)
    drawn: list[dict[str, object]] = []
    for g, _ in enumerate(groups):
        for n, name in enumerate(names):
            value = bars[name][g]
            if value is None:
                continue
            h = (value / y_max) * plot_h if y_max else 0
            drawn.append(
                {
                    "x": left + g * group_w + group_w * 0.1 + n * bar_w,
                    "y": top + plot_h - h,
                    "w": bar_w - 2,
                    "h": h,
                    "colour": PALETTE[n % len(PALETTE)],
                    "label": f"{name}: {y_format.format(value)}",
                }
            )
    ticks = [(top + plot_h - plot_h * k / 5, y_format.format(y_max * k / 5)) for k in range(6)]
    series = [Series(label=name, colour=PALETTE[n % len(PALETTE)]) for n, name in enumerate(names)]
    return Chart(
        width=width,
        height=height,
        left=left,
        bottom=top + plot_h,
        x_labels=[(left + g * group_w + group_w / 2, label) for g, label in enumerate(groups)],
        y_ticks=ticks,
        series=series,
        bars=drawn,
        title=title,
    )
