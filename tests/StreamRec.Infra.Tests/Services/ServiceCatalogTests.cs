using System.Text.RegularExpressions;
using StreamRec.Hosting;
using StreamRec.Infra.Tests.Support;

namespace StreamRec.Infra.Tests.Services;

/// <summary>The catalog the other infrastructure tests use must be the services the code has.</summary>
public sealed partial class ServiceCatalogTests
{
    private static readonly Roles[] SingleRoles = [.. Enum.GetValues<Roles>().Where(r => r is not Roles.None and not Roles.All)];

    private static string NameOf(Roles role) => KebabBoundary().Replace(role.ToString(), "-$1").ToLowerInvariant();

    [Fact]
    public void EveryRole_IsACatalogedService()
    {
        Assert.Equal(SingleRoles.Select(NameOf).Order(StringComparer.Ordinal), ServiceCatalog.Names.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void EveryServiceProject_IsCataloged_AndItsProgramRunsItsRoleOnItsPort()
    {
        var projects = Directory.EnumerateDirectories(Repo.PathOf("services")).Select(Path.GetFileName).OfType<string>()
            .Where(p => p != "StreamRec.Cli").Order(StringComparer.Ordinal);
        Assert.Equal(projects, ServiceCatalog.All.Select(s => s.Project).Order(StringComparer.Ordinal));

        var solution = Repo.Read("StreamRec.sln");
        foreach (var service in ServiceCatalog.All)
        {
            var role = SingleRoles.Single(r => NameOf(r) == service.Name);
            var program = Repo.Read($"services/{service.Project}/Program.cs");
            Assert.Contains($"Roles.{role}, defaultPort: {service.Port})", program, StringComparison.Ordinal);
            Assert.Contains($"services\\{service.Project}\\{service.Project}.csproj", solution, StringComparison.Ordinal);
        }
    }

    [GeneratedRegex("(?<=[a-z])([A-Z])")]
    private static partial Regex KebabBoundary();
}
