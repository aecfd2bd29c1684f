using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StreamRec.Contracts;
using StreamRec.Hosting;
using StreamRec.Pipeline.ItemSide;
using StreamRec.TestSupport;

namespace StreamRec.Pipeline.Tests.EndToEnd;

/// <summary>Co-engagement learned in the stream: profile-updater → streamrec.engagements → item side → the recommender's lists.</summary>
public sealed class CoEngagementEndToEndTests
{
    [Fact]
    public async Task UsersWhoClickSpaceThenCooking_TeachTheItemSide_AndANewSpaceClickerIsOfferedTheCookingItemAsCoEngaged()
    {
        await using var h = new PipelineHarness();
        var app = await h.StartHostAsync(settings: new Dictionary<string, string?>
        {
            ["StreamRec:Ranking:ListSize"] = "4",
            // Read the rows fresh for every list: the test waits for what the item side just learned.
            ["StreamRec:CoEngagement:ReadCacheSeconds"] = "0",
        });
        await h.ProduceAsync([.. Catalog.Items()]);
        var t = Catalog.T0;
        for (var u = 0; u < 3; u++)
        {
            await h.ProduceAsync(Catalog.Click($"u{u}", "space-1", t.AddMinutes(u)), Catalog.Click($"u{u}", "cooking-1", t.AddMinutes(u).AddSeconds(30)));
        }

        // The item side learns asynchronously: wait until cooking-1's row holds space-1 (before that, cooking-1 can already
        // be offered as trending: three clicks in the last hour). Each attempt is a new click by alice on another space
        // item, so each brings a new list.
        RecommendationList? list = null;
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var at = t.AddHours(1).AddMinutes(attempt);
            await h.ProduceAsync(Catalog.Click("alice", attempt == 0 ? "space-1" : $"space-{2 + (attempt % 4)}", at));
            var seen = h.WaitForList("alice", l => l.Trigger.OccurredAt == at, TimeSpan.FromSeconds(5));
            if (seen is not null && seen.Trigger.OccurredAt == at && seen.Items.Any(i => i.ItemId == "cooking-1" && i.Reasons.Contains("co-engaged")))
            {
                list = seen;
                break;
            }
        }

        Assert.NotNull(list);
        var cooking = list.Items.Single(i => i.ItemId == "cooking-1");
        Assert.Contains("co-engaged", cooking.Reasons);
        Assert.DoesNotContain(list.Items, i => i.ItemId == "space-1");

        var rows = app.Services.GetRequiredService<CoEngagementStore>();
        var stored = await rows.LoadAsync(["space-1", "cooking-1"], TestContext.Current.CancellationToken);
        Assert.Equal(3, stored["cooking-1"].Count);
        Assert.Equal(3.0, stored["cooking-1"].Neighbours["space-1"]);
        Assert.Equal(3.0, stored["space-1"].Neighbours["cooking-1"]);
    }

    [Fact]
    public async Task CoEngagementUpdaterAlone_OnAnEmptyStore_IsReady_WithoutTheItemsCollection()
    {
        // Deployed as its own service it never creates or reads the items collection; readiness must not wait for it.
        await using var h = new PipelineHarness();
        var app = await h.StartHostAsync(roles: Roles.CoEngagementUpdater);

        var report = await app.Services.GetRequiredService<HealthCheckService>()
            .CheckHealthAsync(check => check.Tags.Contains("ready"), TestContext.Current.CancellationToken);

        Assert.True(report.Status == HealthStatus.Healthy, string.Join("; ", report.Entries.Select(e => $"{e.Key}: {e.Value.Status} {e.Value.Description}")));
        Assert.Contains("item-engagement", report.Entries["vector-store"].Description, StringComparison.Ordinal);
    }
}
