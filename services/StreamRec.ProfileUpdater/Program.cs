using StreamRec.Hosting;

// profile-updater: streamrec.user-events -> user state, streamrec.user-vectors, streamrec.engagements.
// What it reads, writes, keeps and exports: README.md beside this file. Its wiring: shared/StreamRec.Hosting/Roles/ProfileUpdaterRole.cs.
var builder = StreamRecHost.CreateBuilder(args, defaultPort: 9402);
builder.AddProfileUpdater();
var app = builder.Build();
app.MapStreamRecEndpoints();
await app.RunAsync();
