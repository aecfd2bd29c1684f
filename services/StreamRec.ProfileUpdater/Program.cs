using StreamRec.Hosting;

// profile-updater: see README.md beside this file. All wiring lives in StreamRec.Hosting.
var builder = StreamRecHost.CreateBuilder(args, Roles.ProfileUpdater, defaultPort: 9402);
var app = builder.Build();
app.MapStreamRecEndpoints();
await app.RunAsync();
