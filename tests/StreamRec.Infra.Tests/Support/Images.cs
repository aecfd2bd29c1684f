namespace StreamRec.Infra.Tests.Support;

/// <summary>Container image references.</summary>
public static class Images
{
    /// <summary>Null when <paramref name="image"/> names a specific version (a tag that is not latest, or a digest), else why not.</summary>
    public static string? PinningProblem(string image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Contains("@sha256:", StringComparison.Ordinal))
        {
            return null;
        }

        // The tag follows the last ':' after the last '/' (a registry host may carry a port).
        var slash = image.LastIndexOf('/');
        var colon = image.LastIndexOf(':');
        if (colon <= slash)
        {
            return $"{image} has no tag";
        }

        var tag = image[(colon + 1)..];
        if (tag.Length == 0 || tag.Equals("latest", StringComparison.OrdinalIgnoreCase) || tag.Contains('$', StringComparison.Ordinal))
        {
            return $"{image} is not pinned to a version";
        }

        return null;
    }
}
