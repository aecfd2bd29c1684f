using System.Globalization;
using System.Text.Json.Nodes;
using StreamRec.Ports;
using StreamRec.VectorStore.Embedded;

// Usage: crashwriter <db path> <points>. The parent test SIGKILLs this process mid-stream, then checks
// that every point acknowledged here survived. Vectors are derived from the index so the parent can
// recompute them.
var path = args[0];
var total = int.Parse(args[1], CultureInfo.InvariantCulture);
using var store = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { Path = path });
await store.EnsureCollectionAsync(new CollectionSpec("crash", new Dictionary<string, int> { ["v"] = 8 }, Distance.Dot), CancellationToken.None);
Console.Out.WriteLine("READY");
for (var i = 0; i < total; i++)
{
    var vector = new float[8];
    for (var d = 0; d < vector.Length; d++)
    {
        vector[d] = i + (d * 0.5f);
    }

    var id = $"p-{i}";
    await store.UpsertAsync("crash", [new VectorPoint(id, new Dictionary<string, float[]> { ["v"] = vector }, new JsonObject { ["i"] = i })], CancellationToken.None);
    Console.Out.WriteLine($"ACK {id}");
    Console.Out.Flush();
}

return 0;
