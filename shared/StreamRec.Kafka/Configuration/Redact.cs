namespace StreamRec.Kafka.Configuration;

/// <summary>Masks secrets before configuration reaches a log, a console or an exception message.</summary>
public static class Redact
{
    /// <summary>What a masked value is replaced with.</summary>
    public const string Mask = "*****";

    private static readonly string[] SecretMarkers = ["password", "secret", "key"];

    /// <summary>True when the key's value must not be shown: its name contains password, secret or key
    /// (<c>sasl.password</c>, <c>ssl.key.password</c>, <c>sasl.oauthbearer.client.secret</c>, <c>ssl.key.pem</c>, ...).
    /// Errs on the side of masking: <c>ssl.keystore.location</c> is masked too.</summary>
    public static bool IsSecret(string key) =>
        SecretMarkers.Any(marker => key.Contains(marker, StringComparison.OrdinalIgnoreCase));

    /// <summary>The value, or <see cref="Mask"/> when the key names a secret.</summary>
    public static string Value(string key, string? value) => IsSecret(key) ? Mask : value ?? string.Empty;

    /// <summary>A copy of the settings with secret values masked, sorted by key.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Settings(IEnumerable<KeyValuePair<string, string>> settings) =>
        settings.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => KeyValuePair.Create(kv.Key, Value(kv.Key, kv.Value)))
            .ToList();

    /// <summary>One line <c>key=value, ...</c> with secret values masked, for logs.</summary>
    public static string ToLogString(IEnumerable<KeyValuePair<string, string>> settings) =>
        string.Join(", ", Settings(settings).Select(kv => $"{kv.Key}={kv.Value}"));
}
