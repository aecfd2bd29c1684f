using BenchmarkDotNet.Attributes;
using StreamRec.Contracts;

namespace StreamRec.MicroBenchmarks;

/// <summary>Every consumed message goes through <see cref="EventParser.Parse"/>: validation included, so this is the
/// decode stage's cost per event.</summary>
[MemoryDiagnoser]
public class ParserBenchmarks
{
    private readonly byte[] _click = System.Text.Encoding.UTF8.GetBytes(
        """{"schema":"streamrec.click/v1","event_id":"ml-c-414-2571","occurred_at":"2016-03-04T18:42:11+00:00","user_id":"ml-u414","item_id":"ml-2571","context":{"surface":"home","device":"android"}}""");

    private readonly byte[] _review = System.Text.Encoding.UTF8.GetBytes(
        """{"schema":"streamrec.review/v1","event_id":"ml-r-414-2571","occurred_at":"2016-03-04T18:42:11+00:00","user_id":"ml-u414","item_id":"ml-2571","rating":4.5,"text":"cyberpunk, dystopia, philosophy, martial arts, virtual reality, great special effects"}""");

    [GlobalSetup]
    public void Setup()
    {
        // A benchmark of a failing parse would measure the error path: refuse to run on bad fixtures.
        foreach (var bytes in new[] { _click, _review })
        {
            var result = EventParser.Parse(bytes);
            if (!result.IsSuccess)
            {
                throw new InvalidOperationException("fixture does not parse: " + result.Error);
            }
        }
    }

    [Benchmark(Description = "EventParser.Parse click")]
    public IStreamRecEvent? Click() => EventParser.Parse(_click).Event;

    [Benchmark(Description = "EventParser.Parse review (rating + text)")]
    public IStreamRecEvent? Review() => EventParser.Parse(_review).Event;
}
