using StreamRec.Domain;

namespace StreamRec.Core.Tests.Domain;

public sealed class DecayTests
{
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);

    [Theory]
    [InlineData(1.0, 0.5)]
    [InlineData(2.0, 0.25)]
    [InlineData(3.0, 0.125)]
    [InlineData(0.5, 0.70710678118654752)]
    [InlineData(10.0, 0.0009765625)]
    public void Factor_AfterSomeHalfLives_IsTwoToTheMinusThatMany(double halfLives, double expected) =>
        Assert.Equal(expected, Decay.Factor(Day * halfLives, Day), 12);

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(-1_000_000)]
    public void Factor_ZeroOrNegativeElapsed_IsOne(int seconds) =>
        Assert.Equal(1.0, Decay.Factor(TimeSpan.FromSeconds(seconds), Day));

    [Fact]
    public void Factor_NonPositiveOrInfiniteHalfLife_MeansNeverDecays()
    {
        Assert.Equal(1.0, Decay.Factor(Day, TimeSpan.Zero));
        Assert.Equal(1.0, Decay.Factor(Day, -Day));
        Assert.Equal(1.0, Decay.Factor(Day * 1_000, TimeSpan.MaxValue));
    }

    [Fact]
    public void Factor_IsMultiplicativeOverConsecutiveIntervals()
    {
        var halfLife = TimeSpan.FromHours(6);
        var a = TimeSpan.FromMinutes(95);
        var b = TimeSpan.FromHours(13.25);

        Assert.Equal(Decay.Factor(a + b, halfLife), Decay.Factor(a, halfLife) * Decay.Factor(b, halfLife), 12);
    }
}
