using StreamRec.Hosting;

// recommender: see README.md beside this file. All wiring lives in StreamRec.Hosting.
var builder = StreamRecHost.CreateBuilder(args, Roles.Recommender, defaultPort: 9403);
var app = builder.Build();
app.MapStreamRecEndpoints();
await app.RunAsync();
