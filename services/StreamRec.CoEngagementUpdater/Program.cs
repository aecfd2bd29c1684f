using StreamRec.Hosting;

// co-engagement-updater (the item side): streamrec.engagements -> each item's co-engagement row. All wiring lives in StreamRec.Hosting.
var builder = StreamRecHost.CreateBuilder(args, Roles.CoEngagementUpdater, defaultPort: 9404);
var app = builder.Build();
app.MapStreamRecEndpoints();
await app.RunAsync();
