using StreamRec.Hosting;

// co-engagement-updater: the item side: streamrec.engagements -> each item's co-engagement row.
// What it reads, writes, keeps and exports: README.md beside this file. Its wiring: shared/StreamRec.Hosting/Roles/CoEngagementUpdaterRole.cs.
var builder = StreamRecHost.CreateBuilder(args, defaultPort: 9404);
builder.AddCoEngagementUpdater();
var app = builder.Build();
app.MapStreamRecEndpoints();
await app.RunAsync();
