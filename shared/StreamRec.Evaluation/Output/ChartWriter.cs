using StreamRec.Evaluation.Protocol;

namespace StreamRec.Evaluation.Output;

/// <summary>PNG charts of a report (ScottPlot): a metric per system, NDCG vs diversity over the λ sweep, a metric over time.</summary>
public static class ChartWriter
{
    public const string SystemsChart = "ndcg-by-system.png";
    public const string SweepChart = "lambda-sweep.png";
    public const string WindowsChart = "ndcg-over-time.png";

    /// <summary>Writes the charts the report has data for and returns their paths.</summary>
    public static IReadOnlyList<string> WriteAll(EvaluationReport report, string directory)
    {
        Directory.CreateDirectory(directory);
        var written = new List<string>();
        if (report.Systems.Count > 0)
        {
            written.Add(SystemBars(report, Path.Combine(directory, SystemsChart)));
            written.Add(OverTime(report, Path.Combine(directory, WindowsChart)));
        }

        if (report.LambdaSweep is { Count: > 1 })
        {
            written.Add(Sweep(report, Path.Combine(directory, SweepChart)));
        }

        return written;
    }

    /// <summary>NDCG@k per system, one bar each.</summary>
    public static string SystemBars(EvaluationReport report, string path)
    {
        using var plot = new ScottPlot.Plot();
        var systems = report.Systems;
        var bars = new List<ScottPlot.Bar>();
        var ticks = new List<ScottPlot.Tick>();
        for (var i = 0; i < systems.Count; i++)
        {
            var value = systems[i].Overall.Ndcg;
            bars.Add(new ScottPlot.Bar { Position = i, Value = value, Label = value.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture), FillColor = ColorFor(report, systems[i].Name) });
            ticks.Add(new ScottPlot.Tick(i, systems[i].Name));
        }

        plot.Add.Bars(bars);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. ticks]);
        plot.Axes.Bottom.TickLabelStyle.Rotation = 30;
        plot.Axes.Bottom.TickLabelStyle.Alignment = ScottPlot.Alignment.MiddleLeft;
        plot.Axes.Bottom.MinimumSize = 150;
        plot.Axes.Right.MinimumSize = 90;
        plot.Axes.Margins(bottom: 0);
        plot.Title($"NDCG@{report.Settings.ListSize} by system ({report.Dataset}, {report.Summary.ScoredTargets:N0} targets)");
        plot.YLabel($"NDCG@{report.Settings.ListSize}");
        plot.SavePng(path, 1000, 600);
        return path;
    }

    /// <summary>NDCG@k against intra-list diversity, one point per λ.</summary>
    public static string Sweep(EvaluationReport report, string path)
    {
        using var plot = new ScottPlot.Plot();
        var points = report.LambdaSweep!.OrderBy(p => p.Lambda).ToArray();
        var scatter = plot.Add.Scatter(points.Select(p => p.Diversity).ToArray(), points.Select(p => p.Ndcg).ToArray());
        scatter.MarkerSize = 9;
        scatter.LineWidth = 2;
        foreach (var p in points)
        {
            var label = plot.Add.Text($"λ={p.Lambda:0.##}", p.Diversity, p.Ndcg);
            label.LabelFontSize = 13;
            label.OffsetX = 6;
            label.OffsetY = -6;
        }

        plot.Title($"MMR trade-off: NDCG@{report.Settings.ListSize} vs intra-list diversity");
        plot.XLabel("intra-list diversity (mean pairwise 1 − cos)");
        plot.YLabel($"NDCG@{report.Settings.ListSize}");
        plot.SavePng(path, 900, 600);
        return path;
    }

    /// <summary>NDCG@k per time window, one line per system (windows with fewer than 20 targets are left out as noise).</summary>
    public static string OverTime(EvaluationReport report, string path)
    {
        using var plot = new ScottPlot.Plot();
        var windows = report.Systems.SelectMany(s => s.Windows).Where(w => w.Metrics.Targets >= 20)
            .Select(w => (w.Start, w.Window)).Distinct().OrderBy(w => w.Start).ToArray();
        var position = windows.Select((w, i) => (w.Start, i)).ToDictionary(x => x.Start, x => (double)x.i);
        // The λ sweep variants would only crowd this chart; it is about systems and ablations over time.
        var sweepOnly = (report.LambdaSweep ?? []).Select(p => p.System).Where(n => n.StartsWith(StreamRecSystems.StreamRecVariants.Default + "-mmr-", StringComparison.Ordinal)).ToHashSet();
        foreach (var s in report.Systems.Where(s => !sweepOnly.Contains(s.Name)))
        {
            var series = s.Windows.Where(w => position.ContainsKey(w.Start)).ToArray();
            if (series.Length == 0)
            {
                continue;
            }

            var line = plot.Add.Scatter(series.Select(w => position[w.Start]).ToArray(), series.Select(w => w.Metrics.Ndcg).ToArray());
            line.LegendText = s.Name;
            line.Color = ColorFor(report, s.Name);
            line.MarkerSize = 5;
        }

        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(windows.Select((w, i) => new ScottPlot.Tick(i, w.Window)).ToArray());
        plot.Axes.Bottom.TickLabelStyle.Rotation = 45;
        plot.Axes.Bottom.TickLabelStyle.Alignment = ScottPlot.Alignment.MiddleLeft;
        plot.Axes.Bottom.MinimumSize = 60;
        plot.ShowLegend(ScottPlot.Edge.Right);
        plot.Title($"NDCG@{report.Settings.ListSize} per {report.Settings.WindowMonths}-month window");
        plot.YLabel($"NDCG@{report.Settings.ListSize}");
        plot.SavePng(path, 1100, 600);
        return path;
    }

    private static readonly ScottPlot.Color[] Palette = new ScottPlot.Palettes.Category20().Colors;

    /// <summary>A colour per system by its position in the report, so a system has the same colour in every chart.</summary>
    private static ScottPlot.Color ColorFor(EvaluationReport report, string name)
    {
        var index = Math.Max(0, report.Systems.Select(s => s.Name).ToList().IndexOf(name));
        return Palette[index * 2 % Palette.Length + (index * 2 / Palette.Length % 2)];
    }
}
