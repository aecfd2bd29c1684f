using System.ComponentModel.DataAnnotations;

namespace StreamRec.Datasets;

/// <summary>How MovieLens ratings become StreamRec events (docs/datasets.md). Section <c>StreamRec:Datasets:MovieLens</c>.</summary>
public sealed class MovieLensEventOptions
{
    public const string SectionName = "StreamRec:Datasets:MovieLens";

    /// <summary>A rating at or above this also emits a <c>Click</c> (an implicit positive). Default 3.5.</summary>
    [Range(0.0, 5.0)]
    public double ClickThreshold { get; set; } = 3.5;

    /// <summary>Use at most this many ratings (the earliest ones, after the time range). Null = all. Default null.</summary>
    [Range(1, int.MaxValue)]
    public int? MaxRatings { get; set; }

    /// <summary>Only ratings at or after this time. Null = from the start. Default null.</summary>
    public DateTimeOffset? From { get; set; }

    /// <summary>Only ratings before this time. Null = to the end. Default null.</summary>
    public DateTimeOffset? To { get; set; }
}
