using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace StreamRec.Infra.Tests.Support;

/// <summary>
/// YAML documents as plain trees: mappings become <see cref="Dictionary{TKey,TValue}"/>, sequences
/// <see cref="List{T}"/>, scalars strings (null for ~ / null / empty). Merge keys (&lt;&lt;: *anchor), which
/// compose files use, are resolved.
/// </summary>
public static class Yaml
{
    public static IReadOnlyList<object?> LoadAll(string text)
    {
        using var reader = new StringReader(text);
        var stream = new YamlStream();
        stream.Load(new MergingParser(new Parser(reader)));
        return [.. stream.Documents.Select(d => Convert(d.RootNode))];
    }

    public static IReadOnlyList<object?> LoadAllFile(string relative) => LoadAll(Repo.Read(relative));

    public static Dictionary<string, object?> LoadMap(string relative) =>
        LoadAllFile(relative).Single() as Dictionary<string, object?>
        ?? throw new InvalidDataException($"{relative} is not a single YAML mapping");

    private static object? Convert(YamlNode node) => node switch
    {
        YamlMappingNode map => map.Children.ToDictionary(
            kv => ((YamlScalarNode)kv.Key).Value ?? "", kv => Convert(kv.Value), StringComparer.Ordinal),
        YamlSequenceNode seq => seq.Children.Select(Convert).ToList(),
        YamlScalarNode scalar => IsNull(scalar) ? null : scalar.Value,
        _ => throw new InvalidDataException($"unexpected node {node.NodeType}"),
    };

    private static bool IsNull(YamlScalarNode s) =>
        s.Style == ScalarStyle.Plain && (s.Value is null or "" or "~" or "null" or "Null" or "NULL");
}

/// <summary>Navigation helpers over the trees <see cref="Yaml"/> builds.</summary>
public static class Tree
{
    public static Dictionary<string, object?> Map(this object? node, string what = "node") =>
        node as Dictionary<string, object?> ?? throw new InvalidDataException($"{what} is not a mapping");

    public static Dictionary<string, object?>? MapOrNull(this Dictionary<string, object?> map, string key) =>
        map.TryGetValue(key, out var v) ? v as Dictionary<string, object?> : null;

    public static List<object?> ListOrEmpty(this Dictionary<string, object?> map, string key) =>
        map.TryGetValue(key, out var v) && v is List<object?> list ? list : [];

    public static string? Str(this Dictionary<string, object?> map, string key) =>
        map.TryGetValue(key, out var v) ? v as string : null;

    /// <summary>Follows a path of mapping keys; null when any step is missing.</summary>
    public static object? At(this object? node, params string[] path)
    {
        foreach (var key in path)
        {
            if (node is not Dictionary<string, object?> map || !map.TryGetValue(key, out node))
            {
                return null;
            }
        }

        return node;
    }
}
