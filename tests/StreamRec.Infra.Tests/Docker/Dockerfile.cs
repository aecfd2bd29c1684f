using System.Text.RegularExpressions;

namespace StreamRec.Infra.Tests.Docker;

/// <summary>One Dockerfile instruction: keyword (upper case) and its arguments, continuation lines joined.</summary>
public sealed record Instruction(string Keyword, string Arguments, int Stage);

/// <summary>
/// A Dockerfile read just far enough to check it, as one set of build arguments builds it: instructions per stage, with
/// ARG values substituted where the build sees them (FROM from the ARGs before the first FROM, the rest from the ARGs
/// the stage declares). ENTRYPOINT, CMD and HEALTHCHECK are left as written: Docker does not substitute there, the
/// container's shell does, from ENV (<see cref="ExpandEnv"/>).
/// </summary>
public sealed partial class Dockerfile
{
    private static readonly HashSet<string> NotSubstituted = new(["ENTRYPOINT", "CMD", "HEALTHCHECK"], StringComparer.Ordinal);

    private Dockerfile(List<Instruction> instructions, Dictionary<string, string> globalArgs)
    {
        Instructions = instructions;
        GlobalArgs = globalArgs;
    }

    public IReadOnlyList<Instruction> Instructions { get; }

    /// <summary>ARGs declared before the first FROM, with their values (usable in FROM lines).</summary>
    public IReadOnlyDictionary<string, string> GlobalArgs { get; }

    public IReadOnlyList<Instruction> Froms => [.. Instructions.Where(i => i.Keyword == "FROM")];

    public int FinalStage => Froms.Count - 1;

    public IEnumerable<Instruction> InStage(int stage) => Instructions.Where(i => i.Stage == stage);

    /// <summary>The instructions an image built up to <paramref name="stage"/> carries: those of the earlier stage it
    /// starts from (when its FROM names one), recursively, then its own.</summary>
    public IEnumerable<Instruction> Chain(int stage)
    {
        var from = Froms[stage];
        var inherited = ImageOf(from) is null
            ? Chain(Froms.Take(stage).Select(StageName).ToList().FindIndex(n => string.Equals(n, BaseName(from), StringComparison.OrdinalIgnoreCase)))
            : [];
        return inherited.Concat(InStage(stage));
    }

    /// <summary>The image a stage's chain starts from (its FROM or the first FROM up its chain that names an image).</summary>
    public string BaseImageOf(int stage) => Chain(stage).Where(i => i.Keyword == "FROM").Select(ImageOf).OfType<string>().First();

    /// <summary>The image of a FROM line; null when it names an earlier stage.</summary>
    public string? ImageOf(Instruction from)
    {
        var image = BaseName(from);
        var stageNames = Froms.Take(from.Stage).Select(StageName).OfType<string>();
        return stageNames.Contains(image, StringComparer.OrdinalIgnoreCase) ? null : image;
    }

    public static string? StageName(Instruction from)
    {
        var parts = from.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var at = Array.FindIndex(parts, p => p.Equals("AS", StringComparison.OrdinalIgnoreCase));
        return at >= 0 && at + 1 < parts.Length ? parts[at + 1] : null;
    }

    /// <summary>ENV values set by <paramref name="instructions"/> (later ones win).</summary>
    public static Dictionary<string, string> EnvOf(IEnumerable<Instruction> instructions)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in instructions.Where(i => i.Keyword == "ENV").SelectMany(i => i.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                env[pair[..eq]] = pair[(eq + 1)..];
            }
        }

        return env;
    }

    /// <summary><c>$NAME</c> and <c>${NAME}</c> replaced by <paramref name="values"/>; other names are left as they are.</summary>
    public static string ExpandEnv(string text, IReadOnlyDictionary<string, string> values) =>
        Variable().Replace(text, m => values.TryGetValue(m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value, out var v) ? v : m.Value);

    public static Dockerfile Parse(string text, IReadOnlyDictionary<string, string>? buildArgs = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        buildArgs ??= new Dictionary<string, string>();
        var instructions = new List<Instruction>();
        var globalArgs = new Dictionary<string, string>(StringComparer.Ordinal);
        var stageArgs = new Dictionary<string, string>(StringComparer.Ordinal);
        var stage = -1;
        foreach (var line in LogicalLines(text))
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            var keyword = (space < 0 ? line : line[..space]).ToUpperInvariant();
            var args = space < 0 ? "" : string.Join(' ', line[(space + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries));
            if (keyword == "FROM")
            {
                stage++;
                stageArgs.Clear();
                args = ExpandEnv(args, globalArgs);
            }
            else if (keyword == "ARG")
            {
                var eq = args.IndexOf('=', StringComparison.Ordinal);
                var name = eq > 0 ? args[..eq] : args;
                var value = buildArgs.TryGetValue(name, out var given) ? given
                    : eq > 0 ? args[(eq + 1)..]
                    : stage >= 0 && globalArgs.TryGetValue(name, out var global) ? global
                    : null;
                if (value is not null)
                {
                    (stage < 0 ? globalArgs : stageArgs)[name] = value;
                }
            }
            else if (!NotSubstituted.Contains(keyword))
            {
                args = ExpandEnv(args, stageArgs);
            }

            instructions.Add(new Instruction(keyword, args, stage));
        }

        return new Dockerfile(instructions, globalArgs);
    }

    private static string BaseName(Instruction from) =>
        from.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries).First(a => !a.StartsWith("--", StringComparison.Ordinal));

    private static List<string> LogicalLines(string text)
    {
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

        return logical;
    }

    [GeneratedRegex(@"\$\{(\w+)\}|\$(\w+)")]
    private static partial Regex Variable();
}
