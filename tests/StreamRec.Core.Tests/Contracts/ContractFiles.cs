using NJsonSchema;
using StreamRec.Contracts;

namespace StreamRec.Core.Tests.Contracts;

/// <summary>The JSON Schema files and example lines under contracts/, copied next to the test assembly by the csproj.</summary>
internal static class ContractFiles
{
    private static readonly Dictionary<string, Lazy<Task<JsonSchema>>> Cache = Schemas.All.ToDictionary(
        id => id,
        id => new Lazy<Task<JsonSchema>>(() => JsonSchema.FromFileAsync(SchemaPath(id))),
        StringComparer.Ordinal);

    public static string Directory => Path.Combine(AppContext.BaseDirectory, "contracts");

    /// <summary><c>streamrec.click/v1</c> → <c>click.v1</c>: the file stem shared by the schema and the examples.</summary>
    public static string Stem(string schemaId)
    {
        var slash = schemaId.IndexOf('/', StringComparison.Ordinal);
        return string.Concat(schemaId.AsSpan("streamrec.".Length, slash - "streamrec.".Length), ".", schemaId.AsSpan(slash + 1));
    }

    public static string SchemaPath(string schemaId) => Path.Combine(Directory, Stem(schemaId) + ".schema.json");

    public static string ExamplesPath(string schemaId) => Path.Combine(Directory, "examples", Stem(schemaId) + ".jsonl");

    public static Task<JsonSchema> SchemaAsync(string schemaId) => Cache[schemaId].Value;

    public static IReadOnlyList<string> Examples(string schemaId) =>
        File.ReadAllLines(ExamplesPath(schemaId)).Where(l => !string.IsNullOrWhiteSpace(l)).ToArray();

    /// <summary>Validation errors, flattened to one line each so a failing assertion says what the schema disliked.</summary>
    public static async Task<IReadOnlyList<string>> ValidateAsync(string schemaId, string json)
    {
        var schema = await SchemaAsync(schemaId);
        return schema.Validate(json).Select(e => e.ToString()).ToArray();
    }
}
