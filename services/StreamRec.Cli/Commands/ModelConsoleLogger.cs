using Microsoft.Extensions.Logging;

namespace StreamRec.Cli.Commands;

/// <summary>
/// Minimal logger for the model verbs: warnings and errors go to stderr so the operator sees the CUDA fallback and the
/// "not semantically trained" notice, while stdout stays the command's own output.
/// </summary>
internal sealed class ModelConsoleLogger<T>(LogLevel minimum = LogLevel.Information) : ILogger<T>
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        var line = $"[{logLevel.ToString().ToLowerInvariant()}] {formatter(state, exception)}";
        if (logLevel >= LogLevel.Warning)
        {
            Console.Error.WriteLine(line);
        }
        else
        {
            Console.WriteLine(line);
        }
    }
}
