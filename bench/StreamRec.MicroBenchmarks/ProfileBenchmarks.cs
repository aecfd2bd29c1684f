using BenchmarkDotNet.Attributes;
using StreamRec.Domain;

namespace StreamRec.MicroBenchmarks;

/// <summary>The profile-updater's per-event math: the two decayed sums updated with one 384-dim item vector.</summary>
[MemoryDiagnoser]
public class ProfileBenchmarks
{
    private readonly ProfileOptions _options = new();
    private UserProfile _profile = null!;
    private float[] _item = [];
    private DateTimeOffset _at;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(3);
        _item = Vectors.RandomUnit(random, 384);
        _profile = new UserProfile("user-1", 384);
        _at = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        _profile.AddContribution(Vectors.RandomUnit(random, 384), 1.0, _at, _options);
    }

    /// <summary>In-order event: the sums decay to the new reference time, then add.</summary>
    [Benchmark(Description = "AddContribution in order (decay + add, 384 dims)")]
    public DateTimeOffset InOrder()
    {
        _at = _at.AddMinutes(1);
        _profile.AddContribution(_item, 1.0, _at, _options);
        return _profile.ReferenceTime;
    }

    /// <summary>Late event: its own contribution is decayed back instead.</summary>
    [Benchmark(Description = "AddContribution late event (384 dims)")]
    public DateTimeOffset Late()
    {
        _profile.AddContribution(_item, 1.0, _profile.ReferenceTime.AddHours(-3), _options);
        return _profile.ReferenceTime;
    }

    [Benchmark(Description = "QueryVector (normalize ŝ, l̂, blend)")]
    public float[]? Query() => _profile.QueryVector(_options.ShortTermWeight);
}
