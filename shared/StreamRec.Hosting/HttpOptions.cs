using System.ComponentModel.DataAnnotations;

namespace StreamRec.Hosting;

/// <summary>The operations endpoint of a service (/metrics, /healthz, /readyz). Section <c>StreamRec:Http</c>.</summary>
public sealed class HttpOptions
{
    public const string SectionName = "StreamRec:Http";

    /// <summary>Port. Default per service: item-indexer 9401, profile-updater 9402, recommender 9403, co-engagement-updater 9404, all-in-one 9400. 0 picks a free port.</summary>
    [Range(0, 65535)]
    public int Port { get; set; }

    /// <summary>Address to listen on. Default <c>0.0.0.0</c> (containers); the endpoint has no authentication,
    /// so keep it cluster-internal (see docs/operations.md).</summary>
    [Required]
    public string BindAddress { get; set; } = "0.0.0.0";
}
