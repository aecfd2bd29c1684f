using StreamRec.Contracts;

namespace StreamRec.Evaluation;

/// <summary>
/// A system under test. The evaluator feeds it every event in time order through <see cref="ObserveAsync"/> and,
/// before each target interaction, asks it for the user's list. A system learns only from what it observed: the
/// evaluator never shows it an event before asking for the list that event is scored against.
/// </summary>
public interface IRecommenderSystem
{
    /// <summary>Short name for tables and charts, e.g. <c>most-popular</c>.</summary>
    string Name { get; }

    /// <summary>Learns from one event (item, click, review, retirement, forget), in stream order.</summary>
    ValueTask ObserveAsync(IStreamRecEvent e, CancellationToken cancellationToken);

    /// <summary>
    /// The user's top <paramref name="count"/> items at event time <paramref name="now"/>, best first. Items in
    /// <paramref name="exclude"/> (what the user already interacted with) must not appear; the evaluator counts
    /// violations rather than silently fixing them.
    /// </summary>
    ValueTask<IReadOnlyList<string>> RecommendAsync(string userId, int count, DateTimeOffset now, IReadOnlySet<string> exclude, CancellationToken cancellationToken);
}
