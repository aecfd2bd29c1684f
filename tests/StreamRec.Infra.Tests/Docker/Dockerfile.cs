namespace StreamRec.Infra.Tests.Docker;

/// <summary>One Dockerfile instruction: keyword (upper case) and its arguments, continuation lines joined.</summary>
public sealed record Instruction(string Keyword, string Arguments, int Stage);

/// <summary>A Dockerfile read just far enough to check it: instructions per stage, ARG defaults.</summary>
public sealed class Dockerfile
{
    private Dockerfile(List<Instruction> instructions, Dictionary<string, string> globalArgs)
    {
        Instructions = instructions;
        GlobalArgs = globalArgs;
    }

    public IReadOnlyList<Instruction> Instructions { get; }

    /// <summary>ARGs declared before the first FROM, with their defaults (usable in FROM lines).</summary>
    public IReadOnlyDictionary<string, string> GlobalArgs { get; }

    public IReadOnlyList<Instruction> Froms => [.. Instructions.Where(i => i.Keyword == "FROM")];

    public int FinalStage => Froms.Count - 1;

    public IEnumerable<Instruction> InStage(int stage) => Instructions.Where(i => i.Stage == stage);

    /// <summary>The image of a FROM line with ARG defaults substituted; null when it names an earlier stage.</summary>
    public string? ImageOf(Instruction from)
    {
        var image = from.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries).First(a => !a.StartsWith("--", StringComparison.Ordinal));
        foreach (var (name, value) in GlobalArgs)
        {
            image = image.Replace("${" + name + "}", value, StringComparison.Ordinal).Replace("$" + name, value, StringComparison.Ordinal);
        }

        var stageNames = Froms.Take(from.Stage).Select(StageName).OfType<string>();
        return stageNames.Contains(image, StringComparer.OrdinalIgnoreCase) ? null : image;
    }

    public static string? StageName(Instruction from)
    {
        var parts = from.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var at = Array.FindIndex(parts, p => p.Equals("AS", StringComparison.OrdinalIgnoreCase));
        return at >= 0 && at + 1 < parts.Length ? parts[at + 1] : null;
    }

    public static Dockerfile Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var logical = new List<string>();
        var current = "";
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.TrimStart().StartsWith('#'))
            {
                continue;
            }

            if (line.EndsWith('\\'))
            {
                current += line[..^1] + " ";
                continue;
            }

            current += line;
            if (current.Trim().Length > 0)
            {
                logical.Add(current.Trim());
            }

            current = "";
        }

        var instructions = new List<Instruction>();
        var globalArgs = new Dictionary<string, string>(StringComparer.Ordinal);
        var stage = -1;
        foreach (var line in logical)
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            var keyword = (space < 0 ? line : line[..space]).ToUpperInvariant();
            var args = space < 0 ? "" : string.Join(' ', line[(space + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries));
            if (keyword == "FROM")
            {
                stage++;
            }
            else if (keyword == "ARG" && stage < 0)
            {
                var eq = args.IndexOf('=', StringComparison.Ordinal);
                if (eq > 0)
                {
                    globalArgs[args[..eq]] = args[(eq + 1)..];
                }
            }

            instructions.Add(new Instruction(keyword, args, stage));
        }

        return new Dockerfile(instructions, globalArgs);
    }
}
