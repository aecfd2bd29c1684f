using System.ComponentModel.DataAnnotations;

namespace StreamRec.VectorStore.Qdrant;

/// <summary>Options of <see cref="QdrantVectorStore"/>, bound from <see cref="SectionName"/>.</summary>
public sealed class QdrantOptions : IValidatableObject
{
    public const string SectionName = "StreamRec:VectorStore:Qdrant";

    /// <summary>Qdrant's gRPC endpoint, e.g. <c>https://qdrant.internal:6334</c> (6334 is Qdrant's gRPC port, 6333
    /// its REST port). Default empty: Qdrant is not used and the embedded store serves instead.</summary>
    public string Url { get; set; } = "";

    /// <summary>Sent as the <c>api-key</c> metadata of every call when set. Default empty (no key). Never logged.</summary>
    public string ApiKey { get; set; } = "";

    /// <summary>Allow sending <see cref="ApiKey"/> over plain http, where anyone on the path can read it.
    /// Default <c>false</c>: a key with an http URL is refused at start. Set only for a local test server.</summary>
    public bool AllowApiKeyOverHttp { get; set; }

    /// <summary>PEM file with the certificate authority that signed Qdrant's TLS certificate (a private CA). When
    /// set, the server's certificate must chain to it; the system's roots are not consulted. Needs an https
    /// <see cref="Url"/>. Default empty: the system trust store decides.</summary>
    public string CaCertificatePath { get; set; } = "";

    /// <summary>Timeout of one gRPC attempt. Default 5 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Timeout of one call, all retries and their delays included. Default 30 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries after the first attempt on the gRPC status codes Unavailable, DeadlineExceeded,
    /// ResourceExhausted and Aborted, and on attempt timeouts, with exponential backoff and jitter. Default 4;
    /// 0 disables retries.</summary>
    [Range(0, 20)]
    public int MaxRetries { get; set; } = 4;

    /// <summary>First retry delay (the base of the exponential backoff). Default 200 ms.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Share of failed attempts in <see cref="BreakerSamplingDuration"/> that opens the circuit. Default 0.5.</summary>
    [Range(0.01, 1.0)]
    public double BreakerFailureRatio { get; set; } = 0.5;

    /// <summary>Attempts needed in the sampling window before the breaker may open. Default 10.</summary>
    [Range(2, int.MaxValue)]
    public int BreakerMinimumThroughput { get; set; } = 10;

    /// <summary>Window over which the failure ratio is measured. Default 30 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "1.00:00:00")]
    public TimeSpan BreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the circuit stays open before one trial call (half-open). Default 15 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "1.00:00:00")]
    public TimeSpan BreakerBreakDuration { get; set; } = TimeSpan.FromSeconds(15);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (ValidationError() is { } error)
        {
            yield return new ValidationResult(error, [nameof(Url), nameof(ApiKey), nameof(CaCertificatePath)]);
        }
    }

    /// <summary>Null when the options can be used, else the reason. Shared by options validation and the
    /// store's constructor, so a hand-built store is held to the same rules as a configured one.</summary>
    internal string? ValidationError()
    {
        if (string.IsNullOrWhiteSpace(Url))
        {
            return null;
        }

        if (!Uri.TryCreate(Url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            return $"{SectionName}:Url must be an absolute http or https URL of Qdrant's gRPC port (e.g. http://qdrant:6334), got '{Url}'";
        }

        if (!string.IsNullOrEmpty(ApiKey) && uri.Scheme == Uri.UriSchemeHttp && !AllowApiKeyOverHttp)
        {
            return $"{SectionName}: refusing to send the API key over plain http to {uri.GetLeftPart(UriPartial.Authority)}; "
                + $"use https, or set {nameof(AllowApiKeyOverHttp)}=true for a trusted local server";
        }

        if (!string.IsNullOrEmpty(CaCertificatePath))
        {
            if (uri.Scheme != Uri.UriSchemeHttps)
            {
                return $"{SectionName}:{nameof(CaCertificatePath)} is set but the Url is not https: a CA only matters for TLS";
            }

            if (!File.Exists(CaCertificatePath))
            {
                return $"{SectionName}:{nameof(CaCertificatePath)} '{CaCertificatePath}' does not exist";
            }
        }

        if (TotalTimeout < AttemptTimeout)
        {
            return $"{SectionName}:{nameof(TotalTimeout)} ({TotalTimeout}) must not be shorter than {nameof(AttemptTimeout)} ({AttemptTimeout})";
        }

        return null;
    }
}
