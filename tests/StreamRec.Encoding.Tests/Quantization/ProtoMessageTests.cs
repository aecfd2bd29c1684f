using StreamRec.Encoding.Quantization;

namespace StreamRec.Encoding.Tests.Quantization;

[Collection(TinyModelCollection.Name)]
public sealed class ProtoMessageTests(TinyModelFixture fixture)
{
    [Fact]
    public void ParseThenWrite_SynthesizedModel_GivesTheSameBytes()
    {
        var source = File.ReadAllBytes(fixture.Model.Path);

        var model = ProtoMessage.Parse(source);

        Assert.Equal(source, model.ToArray());
        // And nested: the graph, rewritten from its parsed fields, is byte-identical too.
        var graphField = model.All(7).Single();
        Assert.Equal(graphField.Payload.ToArray(), graphField.AsMessage().ToArray());
    }

    [Fact]
    public void Int64s_ReadsPackedAndUnpackedRepeatedFields()
    {
        var unpacked = new ProtoMessage([ProtoField.Varint(1, 3), ProtoField.Varint(1, 384)]);
        // Packed: one length-delimited field holding the varints 3 and 384 (0x80 0x03).
        var packed = new ProtoMessage([ProtoField.Bytes(1, new byte[] { 3, 0x80, 0x03 })]);

        Assert.Equal([3L, 384L], ProtoMessage.Parse(unpacked.ToArray()).Int64s(1));
        Assert.Equal([3L, 384L], ProtoMessage.Parse(packed.ToArray()).Int64s(1));
    }

    [Theory]
    [InlineData(new byte[] { 0x0a, 0x05, 0x61 })]          // field 1, 5 bytes announced, 1 present
    [InlineData(new byte[] { 0x08, 0x80 })]                // a varint cut off
    [InlineData(new byte[] { 0x0b })]                      // wire type 3 (groups), not used by ONNX
    [InlineData(new byte[] { 0x00, 0x01 })]                // field number 0
    public void Parse_Damaged_ThrowsInvalidData(byte[] bytes)
    {
        Assert.Throws<InvalidDataException>(() => ProtoMessage.Parse(bytes));
    }
}
