"""Server-drawn charts: points where the numbers say, labels escaped, a cap that keeps a
wide band from flattening everything else."""

from apps.core.charts import Band, time_lines


def test_time_lines_place_points_on_the_axes_and_cut_what_goes_beyond_the_cap():
    chart = str(
        time_lines(
            ["w1", "w2", "w3"],
            [("sold <b>", 0, [0.0, 50.0]), ("forecast", 2, [100.0])],
            bands=[Band("95% interval", 2, [0.0], [400.0])],
            title="Units",
            width=168,  # plot 100 px wide from x=56
            height=154,  # plot 100 px high from y=26
            y_max=100.0,
        )
    )
    assert 'points="56.0,126.0 106.0,76.0"' in chart  # 0 at the bottom, 50 half-way up
    assert 'points="156.0,26.0"' in chart  # 100 at the top
    assert 'points="156.0,26.0 156.0,126.0"' in chart  # the band's 400 cut at the top
    assert "sold &lt;b&gt;" in chart and "<b>" not in chart
    assert ">95% interval</text>" in chart  # the band has its legend
    assert chart.count(">w3</text>") == 1
