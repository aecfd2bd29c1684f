using StreamRec.Contracts;
using StreamRec.Domain;

namespace StreamRec.Core.Tests.Domain;

public sealed class ProfileUpdateTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private static readonly ProfileOptions Options = new();

    private static Click ClickOn(string item) => new() { EventId = "c-" + item, OccurredAt = T0, UserId = "u", ItemId = item };

    [Fact]
    public void Apply_Click_AddsTheItemVectorRemembersTheItemAndBumpsTheVersion()
    {
        var profile = new UserProfile("u", 2);

        var result = ProfileUpdate.Apply(profile, ClickOn("a"), Topics.UserEvents, [1, 0], null, Options);

        Assert.Equal(ApplyOutcome.Applied, result.Outcome);
        Assert.Equal((1L, 1L), (profile.Clicks, profile.Version));
        Assert.Equal(["a"], profile.RecentItems);
        Assert.Equal(Options.ClickWeight, profile.ShortTerm[0], 1e-6);
    }

    [Fact]
    public void Apply_ClickWithoutItemVector_IsItemNotReady_AndChangesNothing()
    {
        var profile = new UserProfile("u", 2);

        var result = ProfileUpdate.Apply(profile, ClickOn("missing"), Topics.UserEvents, null, null, Options);

        Assert.Equal(ApplyOutcome.ItemNotReady, result.Outcome);
        Assert.Equal((0L, 0L), (profile.Clicks, profile.Version));
        Assert.Empty(profile.RecentItems);
    }

    [Fact]
    public void Apply_OneStarReview_PushesTheProfileAwayFromTheItem()
    {
        var profile = new UserProfile("u", 2);
        var review = new Review { EventId = "r", OccurredAt = T0, UserId = "u", ItemId = "a", Rating = 1 };

        ProfileUpdate.Apply(profile, review, Topics.UserEvents, [1, 0], null, Options);

        Assert.True(profile.LongTerm[0] < 0);
        Assert.Equal(1, profile.Reviews);
    }

    [Fact]
    public void Apply_ForgetRequest_ClearsTheStateAndReportsForgotten()
    {
        var profile = new UserProfile("u", 2);
        ProfileUpdate.Apply(profile, ClickOn("a"), Topics.UserEvents, [1, 0], null, Options);

        var result = ProfileUpdate.Apply(profile, new UserForget { EventId = "f", OccurredAt = T0, UserId = "u" }, Topics.UserEvents, null, null, Options);

        Assert.Equal(ApplyOutcome.Forgotten, result.Outcome);
        Assert.True(profile.Forgotten);
        Assert.Empty(profile.RecentItems);
        Assert.Equal(0, profile.ShortTerm[0]);
    }

    [Fact]
    public void Apply_ItemEvent_IsRejectedAsWrongTopic()
    {
        var item = new ItemRetired { EventId = "i", OccurredAt = T0, ItemId = "a", Version = 1 };

        var result = ProfileUpdate.Apply(new UserProfile("u", 2), item, Topics.UserEvents, null, null, Options);

        Assert.Equal(ApplyOutcome.Rejected, result.Outcome);
        Assert.StartsWith(DeadLetterCodes.WrongTopic, result.Reason, StringComparison.Ordinal);
    }
}
