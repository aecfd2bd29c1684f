using StreamRec.Hosting;

// item-indexer: streamrec.items -> item vectors in the store.
// What it reads, writes, keeps and exports: README.md beside this file. Its wiring: shared/StreamRec.Hosting/Roles/ItemIndexerRole.cs.
var builder = StreamRecHost.CreateBuilder(args, defaultPort: 9401);
builder.AddItemIndexer();
var app = builder.Build();
app.MapStreamRecEndpoints();
await app.RunAsync();
