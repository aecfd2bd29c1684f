using System.ComponentModel.DataAnnotations;
using StreamRec.Domain;

namespace StreamRec.Core.Tests.Domain;

/// <summary>The options are bound with ValidateDataAnnotations: the defaults must pass, and nonsense must not.</summary>
public sealed class OptionsTests
{
    [Fact]
    public void Defaults_AreValid_AndAsDocumented()
    {
        var profile = new ProfileOptions();
        var ranking = new RankingOptions();

        Assert.Empty(Errors(profile));
        Assert.Empty(Errors(ranking));
        Assert.Equal("StreamRec:Profile", ProfileOptions.SectionName);
        Assert.Equal("StreamRec:Ranking", RankingOptions.SectionName);
        Assert.Equal((TimeSpan.FromDays(1), TimeSpan.FromDays(90), 0.6, 0.7, 3.0, 200), (profile.ShortTermHalfLife, profile.LongTermHalfLife, profile.ShortTermWeight, profile.ReviewItemBlend, profile.NeutralRating, profile.SeenHistory));
        Assert.Equal((200, 10, 0.5, 0.1, 0.3), (ranking.Candidates, ranking.ListSize, ranking.MmrLambda, ranking.FreshnessWeight, ranking.TrendWeight));
        Assert.Equal((TimeSpan.FromDays(30), TimeSpan.FromHours(6), TimeSpan.FromDays(7)), (ranking.FreshnessHalfLife, ranking.TrendingHalfLife, ranking.FreshHorizon));
    }

    [Fact]
    public void OutOfRangeValues_AreRejected_NamingTheMember()
    {
        Assert.Contains(nameof(ProfileOptions.ShortTermWeight), Errors(new ProfileOptions { ShortTermWeight = 1.5 }));
        Assert.Contains(nameof(ProfileOptions.NeutralRating), Errors(new ProfileOptions { NeutralRating = -1 }));
        Assert.Contains(nameof(ProfileOptions.SeenHistory), Errors(new ProfileOptions { SeenHistory = -1 }));
        Assert.Contains(nameof(RankingOptions.MmrLambda), Errors(new RankingOptions { MmrLambda = -0.1 }));
        Assert.Contains(nameof(RankingOptions.ListSize), Errors(new RankingOptions { ListSize = 0 }));
        Assert.Contains(nameof(RankingOptions.Candidates), Errors(new RankingOptions { Candidates = 0 }));
    }

    private static List<string> Errors(object options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return results.SelectMany(r => r.MemberNames).ToList();
    }
}
