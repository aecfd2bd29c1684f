using StreamRec.Evaluation.Protocol;

namespace StreamRec.Evaluation.Tests.Protocol;

public class TargetPlanTests
{
    private static readonly EvaluationOptions Options = new() { WarmupFraction = 0.2, RecallWindow = TimeSpan.FromMinutes(30) };

    [Fact]
    public void Build_ClicksInWarmup_AreNotTargets()
    {
        // Timeline 0..100 minutes: warm-up ends at 20.
        var s = new StreamBuilder().Item("a", 0).Item("b", 0).Click("u", "a", 10).Click("u", "b", 25).Click("v", "a", 100);

        var plan = TargetPlan.Build(s.Events, Options);

        Assert.Equal(StreamBuilder.At(20), plan.WarmupEnd);
        Assert.Equal([("u", "b"), ("v", "a")], plan.Targets.Select(t => (t.UserId, t.ItemId)));
    }

    [Fact]
    public void Build_RatingWithReviewAndClick_IsScoredBeforeTheReview()
    {
        var s = new StreamBuilder().Item("a", 0).Item("b", 0).Rate("u", "a", 50, 4.0).Click("w", "b", 100);

        var target = TargetPlan.Build(s.Events, Options).Targets[0];

        Assert.Equal(3, target.ClickIndex);
        Assert.Equal(2, target.EvalIndex); // the review of the same rating
    }

    [Fact]
    public void Build_RepeatClickOrUnknownOrRetiredItem_IsNotATarget()
    {
        var s = new StreamBuilder()
            .Item("a", 0).Item("b", 0).Item("c", 0)
            .Review("u", "a", 10, 2)     // seen (even a bad review)
            .Click("u", "a", 50)         // repeat: not a target
            .Click("u", "ghost", 55)     // never in the catalogue
            .Retire("b", 56).Click("u", "b", 60) // retired
            .Click("u", "c", 100);

        var plan = TargetPlan.Build(s.Events, Options);

        Assert.Equal("c", Assert.Single(plan.Targets).ItemId);
    }

    [Fact]
    public void Build_Relevant_HoldsNextUnseenCataloguedClicksWithinWindow()
    {
        var s = new StreamBuilder()
            .Item("a", 0).Item("b", 0).Item("c", 0).Item("d", 0)
            .Click("u", "d", 5)
            .Click("u", "a", 40)
            .Click("u", "b", 60)      // within 30 min of 40: relevant
            .Click("u", "d", 65)      // seen before the target: not relevant
            .Item("late", 66).Click("u", "late", 67) // not in the catalogue at list time
            .Click("u", "c", 80)      // beyond the window
            .Click("z", "a", 100);

        var first = TargetPlan.Build(s.Events, Options).Targets.First(t => t.ItemId == "a");

        Assert.Equal(new HashSet<string> { "a", "b" }, first.Relevant.ToHashSet());
    }

    [Fact]
    public void Build_ColdFlags_CountPriorInteractions()
    {
        var s = new StreamBuilder().Item("a", 0).Item("b", 0);
        for (var i = 0; i < 5; i++)
        {
            s.Item($"x{i}", 0).Click("u", $"x{i}", 1 + i).Click($"o{i}", "a", 1 + i);
        }

        s.Click("u", "a", 50).Click("new", "b", 60).Click("w", "x0", 100);

        var targets = TargetPlan.Build(s.Events, Options).Targets.ToDictionary(t => (t.UserId, t.ItemId));

        Assert.False(targets[("u", "a")].ColdUser);  // 5 prior items
        Assert.False(targets[("u", "a")].ColdItem);  // 5 prior users
        Assert.True(targets[("new", "b")].ColdUser);
        Assert.True(targets[("new", "b")].ColdItem);
    }

    [Fact]
    public void Build_Sampling_IsDeterministicForASeed()
    {
        var s = new StreamBuilder();
        for (var i = 0; i < 200; i++)
        {
            s.Item($"i{i}", i).Click($"u{i % 17}", $"i{i}", i + 0.5);
        }

        var a = TargetPlan.Build(s.Events, new EvaluationOptions { MaxTargets = 30, Seed = 7 });
        var b = TargetPlan.Build(s.Events, new EvaluationOptions { MaxTargets = 30, Seed = 7 });
        var c = TargetPlan.Build(s.Events, new EvaluationOptions { MaxTargets = 30, Seed = 8 });

        Assert.Equal(30, a.Targets.Count);
        Assert.True(a.Eligible > 100);
        Assert.Equal(a.Targets.Select(t => t.ClickIndex), b.Targets.Select(t => t.ClickIndex));
        Assert.NotEqual(a.Targets.Select(t => t.ClickIndex), c.Targets.Select(t => t.ClickIndex));
        Assert.Equal(a.Targets.Select(t => t.ClickIndex).Order(), a.Targets.Select(t => t.ClickIndex));
    }
}
