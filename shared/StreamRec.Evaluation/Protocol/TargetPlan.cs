using StreamRec.Contracts;

namespace StreamRec.Evaluation.Protocol;

/// <summary>One scored moment: the list is asked for just before <see cref="EvalIndex"/> and scored against the click at <see cref="ClickIndex"/>.</summary>
/// <param name="ClickIndex">Index (in the time-ordered stream) of the target click.</param>
/// <param name="EvalIndex">Index of the first event of the same interaction (same user, item and instant, e.g. the review a
/// MovieLens rating also produces). The list is computed before it, so no part of the interaction leaks into its own prediction.</param>
/// <param name="ColdUser">The user had fewer prior interactions than the cold-user threshold.</param>
/// <param name="ColdItem">The item had fewer prior interacting users than the cold-item threshold.</param>
/// <param name="Relevant">For Recall: the target item plus the user's next clicks within the window that were recommendable then (unseen, already in the catalogue).</param>
public sealed record Target(int ClickIndex, int EvalIndex, string UserId, string ItemId, DateTimeOffset At, bool ColdUser, bool ColdItem, IReadOnlySet<string> Relevant);

/// <summary>The targets of a time-ordered stream, chosen before any system runs (so the choice cannot depend on a system).</summary>
public sealed class TargetPlan
{
    private TargetPlan(DateTimeOffset first, DateTimeOffset last, DateTimeOffset warmupEnd, int eligible, IReadOnlyList<Target> targets)
    {
        First = first;
        Last = last;
        WarmupEnd = warmupEnd;
        Eligible = eligible;
        Targets = targets;
    }

    public DateTimeOffset First { get; }

    public DateTimeOffset Last { get; }

    /// <summary>Clicks before this instant only train.</summary>
    public DateTimeOffset WarmupEnd { get; }

    /// <summary>Targets before sampling.</summary>
    public int Eligible { get; }

    /// <summary>Scored targets, in stream order.</summary>
    public IReadOnlyList<Target> Targets { get; }

    /// <summary>
    /// Targets are clicks at or after the warm-up end on an item that is in the catalogue (upserted, not retired)
    /// and that the user has not interacted with before (a re-click cannot be recommended: seen items are excluded).
    /// When there are more than <see cref="EvaluationOptions.MaxTargets"/>, a uniform sample is drawn with the seed.
    /// </summary>
    public static TargetPlan Build(IReadOnlyList<IStreamRecEvent> events, EvaluationOptions options)
    {
        if (events.Count == 0)
        {
            return new TargetPlan(default, default, default, 0, []);
        }

        var first = events[0].OccurredAt;
        var last = events[^1].OccurredAt;
        var warmupEnd = first + (last - first) * options.WarmupFraction;

        var arrival = new Dictionary<string, int>(StringComparer.Ordinal);
        var live = new Dictionary<string, bool>(StringComparer.Ordinal);
        var seen = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        var itemUsers = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        var groups = new Dictionary<string, Group>(StringComparer.Ordinal);
        var firstTouch = new Dictionary<(string User, string Item), int>();
        var clicks = new Dictionary<string, List<(int Index, string Item, DateTimeOffset At)>>(StringComparer.Ordinal);
        var candidates = new List<(int ClickIndex, Group Group)>();

        for (var j = 0; j < events.Count; j++)
        {
            switch (events[j])
            {
                case ItemUpserted u:
                    arrival.TryAdd(u.ItemId, j);
                    live[u.ItemId] = true;
                    break;
                case ItemRetired r:
                    live[r.ItemId] = false;
                    break;
                case UserForget f:
                    seen.Remove(f.UserId);
                    groups.Remove(f.UserId);
                    break;
                case Click or Review:
                    var (user, item) = UserItem(events[j]);
                    var at = events[j].OccurredAt;
                    var userSeen = GetOrAdd(seen, user);
                    if (!groups.TryGetValue(user, out var group) || group.Item != item || group.At != at)
                    {
                        group = new Group(user, item, at, j, userSeen.Contains(item), userSeen.Count,
                            itemUsers.TryGetValue(item, out var users) ? users.Count : 0, live.GetValueOrDefault(item));
                        groups[user] = group;
                    }

                    firstTouch.TryAdd((user, item), group.Start);
                    if (events[j] is Click)
                    {
                        GetOrAdd(clicks, user).Add((j, item, at));
                        if (at >= warmupEnd && !group.SeenBefore && group.ItemLive)
                        {
                            candidates.Add((j, group));
                        }
                    }

                    userSeen.Add(item);
                    GetOrAdd(itemUsers, item).Add(user);
                    break;
            }
        }

        var eligible = candidates.Count;
        if (options.MaxTargets is { } max && max < candidates.Count)
        {
            // Partial Fisher-Yates with the seed: a uniform sample, the same for every run with that seed.
            var random = new Random(options.Seed);
            for (var i = 0; i < max; i++)
            {
                var k = random.Next(i, candidates.Count);
                (candidates[i], candidates[k]) = (candidates[k], candidates[i]);
            }

            candidates.RemoveRange(max, candidates.Count - max);
            candidates.Sort((a, b) => a.ClickIndex.CompareTo(b.ClickIndex));
        }

        var targets = new List<Target>(candidates.Count);
        foreach (var (clickIndex, g) in candidates)
        {
            var relevant = new HashSet<string>(StringComparer.Ordinal) { g.Item };
            var userClicks = clicks[g.User];
            var from = userClicks.BinarySearch((clickIndex, g.Item, g.At), Comparer<(int Index, string Item, DateTimeOffset At)>.Create((a, b) => a.Index.CompareTo(b.Index)));
            for (var i = from + 1; i < userClicks.Count && userClicks[i].At <= g.At + options.RecallWindow; i++)
            {
                var (_, item, _) = userClicks[i];
                // Recommendable at list time: not touched before this interaction, and already in the catalogue.
                if (firstTouch[(g.User, item)] >= g.Start && arrival.TryGetValue(item, out var arrived) && arrived < g.Start)
                {
                    relevant.Add(item);
                }
            }

            targets.Add(new Target(clickIndex, g.Start, g.User, g.Item, g.At, g.PriorUserItems < options.ColdUserThreshold, g.PriorItemUsers < options.ColdItemThreshold, relevant));
        }

        return new TargetPlan(first, last, warmupEnd, eligible, targets);
    }

    internal static (string User, string Item) UserItem(IStreamRecEvent e) => e switch
    {
        Click c => (c.UserId, c.ItemId),
        Review r => (r.UserId, r.ItemId),
        _ => throw new ArgumentException("not a user-item event", nameof(e)),
    };

    private static TValue GetOrAdd<TValue>(Dictionary<string, TValue> map, string key)
        where TValue : new()
    {
        if (!map.TryGetValue(key, out var value))
        {
            map[key] = value = new TValue();
        }

        return value;
    }

    /// <summary>An interaction: a user's events on one item at one instant (a MovieLens rating is a review and maybe a click).</summary>
    private sealed record Group(string User, string Item, DateTimeOffset At, int Start, bool SeenBefore, int PriorUserItems, int PriorItemUsers, bool ItemLive);
}
