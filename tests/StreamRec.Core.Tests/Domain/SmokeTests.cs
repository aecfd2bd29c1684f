namespace StreamRec.Core.Tests.Domain;

public sealed class SmokeTests
{
    [Fact]
    public void VectorStoreException_KeepsStatusCode() =>
        Assert.Equal(503, new StreamRec.Ports.VectorStoreException("x", 503, true).StatusCode);
}
