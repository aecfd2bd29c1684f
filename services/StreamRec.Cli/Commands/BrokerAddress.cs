using Microsoft.Extensions.Configuration;

namespace StreamRec.Cli.Commands;

internal static class BrokerAddress
{
    /// <summary>When no configuration source set the bootstrap servers, use the dev broker's address (see <see cref="BrokerCommand.ResolveBootstrap"/>).</summary>
    public static void AddBrokerFileDefault(this IConfigurationManager configuration)
    {
        if (string.IsNullOrEmpty(configuration["StreamRec:Kafka:BootstrapServers"]))
        {
            configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["StreamRec:Kafka:BootstrapServers"] = BrokerCommand.ResolveBootstrap(null) });
        }
    }
}
