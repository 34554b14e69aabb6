"""Charts for staff pages, drawn on the server as inline SVG.

An admin page that needs a picture gets one with no script and nothing fetched from
elsewhere: it works offline, under a strict Content-Security-Policy, and in a test that
reads the HTML. Every label is escaped; the numbers are formatted here."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

PALETTE = ("#417690", "#e0a83a", "#79aec8", "#c0504d", "#5b9a68", "#8064a2")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]
    # How each value is written beside its bar, e.g. "{:.0%}" or "£{:,.0f}".
    value_format: str = "{:,.0f}"


def horizontal_bars(
    labels: Sequence[str], series: Sequence[Series], *, title: str, label_width: int = 170, bar_width: int = 320
) -> SafeString:
    """One group of bars per label, one bar per series, scaled to the largest value."""
    bar_height, gap, legend_height = 14, 10, 22 if len(series) > 1 else 0
    group_height = bar_height * len(series) + gap
    height = legend_height + group_height * len(labels) + 4
    width = label_width + bar_width + 90
    largest = max((abs(v) for s in series for v in s.values), default=0) or 1
    parts = [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{}" height="{}" viewBox="0 0 {} {}" '
            'font-family="sans-serif" font-size="12"><title>{}</title>',
            width,
            height,
            width,
            height,
            title,
        )
    ]
    for i, item in enumerate(series):
        x = label_width + i * 140
        parts.append(
            format_html(
                '<rect x="{}" y="4" width="12" height="12" fill="{}"/><text x="{}" y="14">{}</text>',
                x,
                PALETTE[i % len(PALETTE)],
                x + 16,
                item.name,
            )
            if legend_height
            else ""
        )
    for row, label in enumerate(labels):
        top = legend_height + row * group_height
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end">{}</text>',
                label_width - 8,
                top + bar_height * len(series) / 2 + 4,
                label,
            )
        )
        for i, item in enumerate(series):
            value = item.values[row]
            length = max(0.0, value) / largest * bar_width
            y = top + i * bar_height
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title></rect>'
                    '<text x="{}" y="{}">{}</text>',
                    label_width,
                    y,
                    f"{length:.1f}",
                    bar_height - 2,
                    PALETTE[i % len(PALETTE)],
                    label,
                    item.value_format.format(value),
                    f"{label_width + length + 4:.1f}",
                    y + bar_height - 4,
                    item.value_format.format(value),
                )
            )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(str(part) for part in parts))


def heat(value: float, largest: float) -> str:
    """A cell background from white to the palette's blue, for tables read as heat maps."""
    share = 0.0 if largest <= 0 else max(0.0, min(1.0, value / largest))
    red, green, blue = (int(255 - share * (255 - c)) for c in (0x41, 0x76, 0x90))
    return escape(f"#{red:02x}{green:02x}{blue:02x}")


@dataclass(frozen=True)
class Band:
    """A shaded range over part of a time chart (a forecast interval)."""

    name: str
    start: int  # index of the first period it covers
    lower: Sequence[float]
    upper: Sequence[float]
    opacity: float = 0.25


def time_lines(
    periods: Sequence[str],
    lines: Sequence[tuple[str, int, Sequence[float]]],
    *,
    title: str,
    bands: Sequence[Band] = (),
    width: int = 720,
    height: int = 260,
    y_max: float | None = None,
) -> SafeString:
    """Lines over periods, each (name, index of its first period, values), over shaded
    bands; the y axis starts at zero and ends at `y_max` (what goes beyond is cut at the
    top) or at the largest value shown."""
    left, right, top, bottom = 56, 12, 26, 28
    plot_width, plot_height = width - left - right, height - top - bottom
    count = max(len(periods), 2)
    largest = max([v for _, _, values in lines for v in values] + [v for band in bands for v in band.upper], default=0)
    largest = y_max or largest or 1.0

    def x(index: int) -> str:
        return f"{left + index / (count - 1) * plot_width:.1f}"

    def y(value: float) -> str:
        return f"{top + plot_height - min(max(0.0, value), largest) / largest * plot_height:.1f}"

    parts = [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{}" height="{}" viewBox="0 0 {} {}" '
            'font-family="sans-serif" font-size="11"><title>{}</title>',
            width,
            height,
            width,
            height,
            title,
        ),
        format_html(
            '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#999"/><text x="{}" y="{}" text-anchor="end">{}</text>'
            '<text x="{}" y="{}" text-anchor="end">0</text>',
            left,
            top + plot_height,
            left + plot_width,
            top + plot_height,
            left - 6,
            top + 4,
            f"{largest:,.0f}",
            left - 6,
            top + plot_height,
        ),
    ]
    every = max(1, len(periods) // 6)
    ticks = list(range(0, len(periods), every))
    gap = len(periods) - 1 - ticks[-1] if ticks else 0
    if gap and gap >= every // 2:  # the last period too, unless its label would overlap
        ticks.append(len(periods) - 1)
    for index in ticks:
        if 0 <= index < len(periods):
            parts.append(
                format_html('<text x="{}" y="{}" text-anchor="middle">{}</text>', x(index), height - 8, periods[index])
            )
    for i, band in enumerate(bands):
        parts.append(
            format_html(
                '<rect x="{}" y="6" width="12" height="12" fill="{}" fill-opacity="{}"/><text x="{}" y="16">{}</text>',
                left + (len(lines) + i) * 150,
                PALETTE[1],
                band.opacity,
                left + 16 + (len(lines) + i) * 150,
                band.name,
            )
        )
        upper = [f"{x(band.start + j)},{y(v)}" for j, v in enumerate(band.upper)]
        lower = [f"{x(band.start + j)},{y(v)}" for j, v in reversed(list(enumerate(band.lower)))]
        parts.append(
            format_html(
                '<polygon points="{}" fill="{}" fill-opacity="{}"><title>{}</title></polygon>',
                " ".join(upper + lower),
                PALETTE[1],
                band.opacity,
                band.name,
            )
        )
    for i, (name, start, values) in enumerate(lines):
        points = " ".join(f"{x(start + j)},{y(v)}" for j, v in enumerate(values))
        colour = PALETTE[(0, 3, 2, 4)[i % 4]]
        parts.append(
            format_html(
                '<polyline points="{}" fill="none" stroke="{}" stroke-width="2"><title>{}</title></polyline>'
                '<rect x="{}" y="6" width="12" height="12" fill="{}"/><text x="{}" y="16">{}</text>',
                points,
                colour,
                name,
                left + i * 150,
                colour,
                left + 16 + i * 150,
                name,
            )
        )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(str(part) for part in parts))


def intervals(
    labels: Sequence[str],
    estimates: Sequence[float],
    lows: Sequence[float],
    highs: Sequence[float],
    *,
    title: str,
    value_format: str = "{:+.1%}",
    label_width: int = 190,
    plot_width: int = 360,
) -> SafeString:
    """Estimates with their intervals on one axis that includes zero (a lift and its 95% interval):
    an interval clear of the zero line is a difference the data supports."""
    row_height, top = 30, 10
    height = top + row_height * len(labels) + 10
    width = label_width + plot_width + 150
    lowest = min([0.0, *lows])
    highest = max([0.0, *highs])
    span = (highest - lowest) or 1.0

    def x(value: float) -> str:
        return f"{label_width + (value - lowest) / span * plot_width:.1f}"

    parts = [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{}" height="{}" viewBox="0 0 {} {}" '
            'font-family="sans-serif" font-size="12"><title>{}</title>'
            '<line x1="{}" y1="4" x2="{}" y2="{}" stroke="#999" stroke-dasharray="3,3"/>',
            width,
            height,
            width,
            height,
            title,
            x(0.0),
            x(0.0),
            height - 4,
        )
    ]
    for row, label in enumerate(labels):
        middle = top + row * row_height + row_height / 2
        low, estimate, high = (value_format.format(v[row]) for v in (lows, estimates, highs))
        text = f"{estimate} ({low} to {high})"
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end">{}</text>'
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="3"/>'
                '<circle cx="{}" cy="{}" r="5" fill="{}"><title>{}: {}</title></circle>'
                '<text x="{}" y="{}">{}</text>',
                label_width - 8,
                middle + 4,
                label,
                x(lows[row]),
                middle,
                x(highs[row]),
                middle,
                PALETTE[2],
                x(estimates[row]),
                middle,
                PALETTE[0],
                label,
                text,
                f"{label_width + plot_width + 8}",
                middle + 4,
                text,
            )
        )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(str(part) for part in parts))
