using System.Collections;
using System.Reflection;

namespace StreamRec.Infra.Tests.Support;

/// <summary>
/// Every option the code binds, found by reflection: each StreamRec type with a <c>public const string SectionName</c>
/// contributes <c>SectionName:Property</c> for each public settable property. Dictionary-valued options (the Kafka
/// client pass-through) accept any sub-key.
/// </summary>
public static class OptionsCatalog
{
    private static readonly Lazy<IReadOnlyList<(string Key, bool IsDictionary)>> LazyOptions = new(Discover);

    /// <summary>Configuration keys with ':' separators, e.g. StreamRec:Kafka:BootstrapServers.</summary>
    public static IReadOnlyList<string> Keys => [.. LazyOptions.Value.Select(o => o.Key)];

    public static IReadOnlySet<string> EnvironmentKeys { get; } = LazyOptions.Value.Select(o => o.Key.Replace(":", "__", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);

    /// <summary>True when <paramref name="environmentKey"/> (StreamRec__A__B) names an option, or a sub-key of a dictionary option.</summary>
    public static bool IsKnownEnvironmentKey(string environmentKey)
    {
        var key = environmentKey.Replace("__", ":", StringComparison.Ordinal);
        return LazyOptions.Value.Any(o => o.Key == key || (o.IsDictionary && key.StartsWith(o.Key + ":", StringComparison.Ordinal) && key.Length > o.Key.Length + 1));
    }

    private static IReadOnlyList<(string, bool)> Discover()
    {
        // Load every StreamRec assembly next to the tests (Hosting pulls in all services' libraries).
        foreach (var file in Directory.EnumerateFiles(AppContext.BaseDirectory, "StreamRec.*.dll"))
        {
            var name = AssemblyName.GetAssemblyName(file);
            if (!name.Name!.EndsWith(".Tests", StringComparison.Ordinal))
            {
                Assembly.Load(name);
            }
        }

        var result = new List<(string, bool)>();
        foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies().Where(a => a.GetName().Name!.StartsWith("StreamRec.", StringComparison.Ordinal) && !a.GetName().Name!.EndsWith(".Tests", StringComparison.Ordinal)))
        {
            foreach (var type in assembly.GetExportedTypes())
            {
                if (type.GetField("SectionName", BindingFlags.Public | BindingFlags.Static) is not { IsLiteral: true } field || field.GetRawConstantValue() is not string section || !section.StartsWith("StreamRec:", StringComparison.Ordinal))
                {
                    continue;
                }

                foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is { IsPublic: true }))
                {
                    var isDictionary = typeof(IDictionary).IsAssignableFrom(property.PropertyType);
                    result.Add(($"{section}:{property.Name}", isDictionary));
                }
            }
        }

        return result;
    }
}
