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
    public void EveryServiceProject_IsCataloged_AndItsProgramAddsOnlyItsOwnRoleOnItsPort()
    {
        var projects = Directory.EnumerateDirectories(Repo.PathOf("services")).Select(Path.GetFileName).OfType<string>()
            .Where(p => p != "StreamRec.Cli").Order(StringComparer.Ordinal);
        Assert.Equal(projects, ServiceCatalog.All.Select(s => s.Project).Order(StringComparer.Ordinal));

        var solution = Repo.Read("StreamRec.sln");
        foreach (var service in ServiceCatalog.All)
        {
            var role = SingleRoles.Single(r => NameOf(r) == service.Name);
            var program = Repo.Read($"services/{service.Project}/Program.cs");
            Assert.Contains($"StreamRecHost.CreateBuilder(args, defaultPort: {service.Port})", program, StringComparison.Ordinal);
            Assert.Equal([$"Add{role}"], RoleCalls().Matches(program).Select(m => m.Groups[1].Value));
            Assert.True(File.Exists(Repo.PathOf($"shared/StreamRec.Hosting/Roles/{role}Role.cs")), $"{role}'s wiring has no file of its own");
            Assert.True(File.Exists(Repo.PathOf($"services/{service.Project}/README.md")), $"{service.Project} has no README.md");
            Assert.Contains($"services\\{service.Project}\\{service.Project}.csproj", solution, StringComparison.Ordinal);
        }
    }

    [GeneratedRegex(@"builder\.(Add\w+)\(")]
    private static partial Regex RoleCalls();

    [GeneratedRegex("(?<=[a-z])([A-Z])")]
    private static partial Regex KebabBoundary();
}
