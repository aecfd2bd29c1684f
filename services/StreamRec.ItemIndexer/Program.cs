using StreamRec.Hosting;

// item-indexer: see README.md beside this file. All wiring lives in StreamRec.Hosting.
var builder = StreamRecHost.CreateBuilder(args, Roles.ItemIndexer, defaultPort: 9401);
var app = builder.Build();
app.MapStreamRecEndpoints();
await app.RunAsync();
