namespace StreamRec.Encoding.Quantization;

/// <summary>
/// The fixed texts a quantized model is checked on: item titles and review-like sentences, short and long, generated
/// from StreamRec's own templates and word lists with a fixed seed, so the set is the same on every machine and needs no
/// dataset. Titles look like catalogue entries (some with a year, a subtitle, a number or an accented word); reviews
/// range from a few words to a paragraph, positive and negative, so the check covers the lengths the encoder sees.
/// </summary>
public static class GateTexts
{
    /// <summary>How many texts the quality gate of <c>streamrec model quantize</c> uses. Default 600.</summary>
    public const int DefaultCount = 600;

    public const int Seed = 17;

    private static readonly string[] Adjectives =
    [
        "silent", "broken", "golden", "last", "hidden", "electric", "lonely", "crimson", "endless", "forgotten", "wild", "frozen",
        "secret", "little", "dark", "bright", "strange", "final", "lost", "savage", "quiet", "burning", "distant", "midnight",
        "paper", "iron", "glass", "velvet", "hollow", "restless", "sweet", "bitter", "ancient", "modern", "tiny", "giant",
    ];

    private static readonly string[] Nouns =
    [
        "river", "city", "garden", "kingdom", "detective", "summer", "winter", "machine", "island", "orchestra", "highway", "mirror",
        "letter", "village", "empire", "harbour", "forest", "dancer", "soldier", "stranger", "daughter", "engine", "lighthouse", "station",
        "planet", "circus", "library", "bridge", "storm", "witness", "hunter", "queen", "robot", "painter", "chef", "ghost",
    ];

    private static readonly string[] Places =
    [
        "Paris", "Tokyo", "the Desert", "Brooklyn", "Mars", "the North", "Venice", "Berlin", "the Valley", "Saint-Étienne", "Kyoto", "the Moon",
        "Mexico City", "the Coast", "São Paulo", "Dublin", "Reykjavík", "the Old Town",
    ];

    private static readonly string[] Genres =
    [
        "thriller", "comedy", "drama", "documentary", "animated film", "western", "horror film", "romance", "musical", "war film",
        "science fiction film", "mystery", "crime series", "cookbook", "novel", "board game", "album", "podcast",
    ];

    private static readonly string[] Products =
    [
        "wireless headphones", "espresso machine", "running shoes", "rain jacket", "desk lamp", "travel backpack", "mechanical keyboard",
        "cast iron pan", "electric toothbrush", "yoga mat", "phone case", "water bottle", "bluetooth speaker", "winter gloves",
    ];

    private static readonly string[] Aspects =
    [
        "the story", "the acting", "the soundtrack", "the ending", "the pacing", "the dialogue", "the photography", "the characters",
        "the battery life", "the build quality", "the price", "the delivery", "the sound", "the fit", "the instructions", "the packaging",
    ];

    private static readonly string[] Praise =
    [
        "was wonderful", "felt honest", "surprised me", "was beautifully done", "worked perfectly", "exceeded my expectations",
        "made me laugh out loud", "kept me hooked until the end", "is worth every penny", "was better than the reviews said",
    ];

    private static readonly string[] Complaints =
    [
        "was a letdown", "dragged on far too long", "felt cheap", "broke after a week", "made no sense", "was painfully slow",
        "never arrived on time", "was much louder than advertised", "felt like a copy of something better", "ruined the whole thing",
    ];

    private static readonly string[] Openers =
    [
        "Honestly,", "I have to say", "After two weeks,", "To be fair,", "My kids and I agree:", "As a long-time fan,", "Short version:",
        "I wanted to like it, but", "Five stars:", "One star.", "Bought this on a whim and", "Watched it twice:",
    ];

    private static readonly string[] Details =
    [
        "the second half is where it really comes together", "the colours look different from the photos",
        "it reminded me of the films I watched as a child", "customer service replied within a day",
        "the main character's decisions were hard to believe", "it fits in a small kitchen without trouble",
        "the twist in the last chapter is clever", "the music stays with you long after", "it is lighter than my old one",
        "some scenes are too dark to see on a laptop", "the subtitles were out of sync", "I would buy it again for my brother",
        "the cast clearly had fun making it", "it took three evenings to finish", "the price dropped a week after I bought it",
    ];

    /// <summary>The texts: half titles, half reviews, interleaved; the same list for the same count on every machine.</summary>
    public static IReadOnlyList<string> Create(int count = DefaultCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 2);
        // System.Random with a seed is specified to give the same sequence across runs and platforms.
        var random = new Random(Seed);
        var texts = new List<string>(count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (texts.Count < count)
        {
            var text = texts.Count % 2 == 0 ? Title(random) : Review(random);
            if (seen.Add(text))
            {
                texts.Add(text);
            }
        }

        return texts;
    }

    private static string Pick(Random random, string[] words) => words[random.Next(words.Length)];

    private static string Cap(string word) => char.ToUpperInvariant(word[0]) + word[1..];

    private static string Title(Random random)
    {
        var year = 1950 + random.Next(75);
        return random.Next(8) switch
        {
            0 => $"The {Cap(Pick(random, Adjectives))} {Cap(Pick(random, Nouns))} ({year})",
            1 => $"{Cap(Pick(random, Nouns))} of {Places[random.Next(Places.Length)]} ({year})",
            2 => $"{Cap(Pick(random, Adjectives))} {Cap(Pick(random, Nouns))} {random.Next(2, 5)}: Return to {Places[random.Next(Places.Length)]}",
            3 => $"A {Pick(random, Adjectives)} {Pick(random, Genres)} about a {Pick(random, Nouns)} in {Places[random.Next(Places.Length)]}",
            4 => $"{Cap(Pick(random, Products))}, {Pick(random, Adjectives)} edition, {random.Next(1, 20) * 50} ml",
            5 => $"The {Cap(Pick(random, Nouns))} and the {Cap(Pick(random, Nouns))}",
            6 => $"{Cap(Pick(random, Adjectives))} {Cap(Pick(random, Nouns))}, The ({year})",
            _ => $"{Cap(Pick(random, Nouns))}s of the {Cap(Pick(random, Adjectives))} {Cap(Pick(random, Nouns))}: a {Pick(random, Genres)}",
        };
    }

    private static string Review(Random random)
    {
        var positive = random.Next(2) == 0;
        var subject = random.Next(2) == 0 ? $"this {Pick(random, Genres)}" : $"these {Pick(random, Products)}";
        var first = $"{Pick(random, Openers)} {Pick(random, Aspects)} of {subject} {Pick(random, positive ? Praise : Complaints)}.";
        var sentences = random.Next(4) switch
        {
            0 => 0,
            1 => 1,
            2 => 3,
            _ => 8,
        };
        var parts = new List<string> { first };
        for (var s = 0; s < sentences; s++)
        {
            var mood = random.Next(4) == 0 ? !positive : positive;
            parts.Add(random.Next(2) == 0
                ? $"{Cap(Pick(random, Details))}."
                : $"{Cap(Pick(random, Aspects))} {Pick(random, mood ? Praise : Complaints)}, and {Pick(random, Details)}.");
        }

        if (sentences == 0 && random.Next(3) == 0)
        {
            return positive ? $"Loved it, {random.Next(7, 11)}/10" : $"Not for me, {random.Next(1, 5)}/10";
        }

        return string.Join(' ', parts);
    }
}
