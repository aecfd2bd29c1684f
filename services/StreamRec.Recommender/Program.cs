using StreamRec.Hosting;

// recommender: streamrec.user-vectors (+ every click, for trending) -> streamrec.recommendations.
// What it reads, writes, keeps and exports: README.md beside this file. Its wiring: shared/StreamRec.Hosting/Roles/RecommenderRole.cs.
var builder = StreamRecHost.CreateBuilder(args, defaultPort: 9403);
builder.AddRecommender();
var app = builder.Build();
app.MapStreamRecEndpoints();
await app.RunAsync();
