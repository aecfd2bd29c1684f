using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using StreamRec.FaultInjection;
using StreamRec.Hosting;

namespace StreamRec.Cli.Commands;

/// <summary><c>streamrec serve</c>: runs one, several or all services in this process, configured like the service images
/// (environment variables <c>StreamRec__...</c>, appsettings.json, or --set key=value).</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var roles = new Option<string>("--roles")
        {
            Description = "Services to run: all, or a comma-separated list of item-indexer, profile-updater, recommender, co-engagement-updater.",
            DefaultValueFactory = _ => "all",
        };
        var set = new Option<string[]>("--set")
        {
            Description = "Configuration overrides, e.g. --set StreamRec:Kafka:BootstrapServers=127.0.0.1:9092 (repeatable).",
            AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command("serve", "Run StreamRec services in this process until stopped (Ctrl+C / SIGTERM drains and commits).") { roles, set };
        command.SetAction(async (parse, ct) =>
        {
            var selected = ParseRoles(parse.GetValue(roles)!);
            var args = (parse.GetValue(set) ?? []).Select(s => "--" + s).ToArray();
            var builder = StreamRecHost.CreateBuilder(args, defaultPort: selected == Roles.All ? 9400 : DefaultPort(selected)).AddRoles(selected);
            // The reliability suite's and `streamrec chaos`'s crash hooks: inert unless StreamRec:FaultInjection arms one.
            // Only this verb composes them; the service images do not carry them.
            builder.Services.AddStreamRecFaultInjection(builder.Configuration);
            builder.Configuration.AddBrokerFileDefault();
            var app = builder.Build();
            app.MapStreamRecEndpoints();
            try
            {
                await app.StartAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested || app.Lifetime.ApplicationStopping.IsCancellationRequested)
            {
                // Stopped (SIGTERM / Ctrl+C) while starting: stop what did start, cleanly, like a stop after start.
                await app.StopAsync(CancellationToken.None);
                return 0;
            }

            await app.WaitForShutdownAsync(ct);
            return 0;
        });
        return command;
    }

    internal static Roles ParseRoles(string value)
    {
        if (string.Equals(value.Trim(), "all", StringComparison.OrdinalIgnoreCase))
        {
            return Roles.All;
        }

        var roles = Roles.None;
        foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            roles |= part.ToLowerInvariant() switch
            {
                "item-indexer" => Roles.ItemIndexer,
                "profile-updater" => Roles.ProfileUpdater,
                "recommender" => Roles.Recommender,
                "co-engagement-updater" => Roles.CoEngagementUpdater,
                _ => throw new ArgumentException($"unknown service '{part}': use all, item-indexer, profile-updater, recommender or co-engagement-updater"),
            };
        }

        return roles;
    }

    private static int DefaultPort(Roles roles) => roles switch
    {
        Roles.ItemIndexer => 9401,
        Roles.ProfileUpdater => 9402,
        Roles.Recommender => 9403,
        Roles.CoEngagementUpdater => 9404,
        _ => 9400,
    };
}
