using StreamRec.Datasets;

namespace StreamRec.Evaluation.Tests.Datasets;

public class CsvReaderTests
{
    [Fact]
    public void ParseLine_QuotedTitleWithComma_IsOneField()
    {
        var fields = CsvReader.ParseLine("11,\"American President, The (1995)\",Comedy|Drama|Romance");

        Assert.Equal(["11", "American President, The (1995)", "Comedy|Drama|Romance"], fields);
    }

    [Fact]
    public void ParseLine_DoubledQuotesInsideQuotes_BecomeOneQuote()
    {
        var fields = CsvReader.ParseLine("1,\"Dr. \"\"Strange\"\", or: Love, the Bomb (1964)\",War");

        Assert.Equal(["1", "Dr. \"Strange\", or: Love, the Bomb (1964)", "War"], fields);
    }

    [Fact]
    public void ReadRecords_LineBreakInsideQuotes_StaysInTheField()
    {
        using var reader = new StringReader("a,\"two\r\nlines\",c\r\nd,e,f\n");

        var records = CsvReader.ReadRecords(reader).ToList();

        Assert.Equal(2, records.Count);
        // Inside quotes the line break is data, kept verbatim (RFC 4180).
        Assert.Equal("two\r\nlines", records[0][1]);
        Assert.Equal(["d", "e", "f"], records[1]);
    }

    [Fact]
    public void ReadRecords_EmptyFieldsAndBlankLines_AreKeptAndSkipped()
    {
        using var reader = new StringReader("a,,\"\"\n\n,x\n");

        var records = CsvReader.ReadRecords(reader).ToList();

        Assert.Equal(2, records.Count);
        Assert.Equal(["a", "", ""], records[0]);
        Assert.Equal(["", "x"], records[1]);
    }

    [Fact]
    public void ReadRecords_NoTrailingNewline_ReturnsLastRecord()
    {
        using var reader = new StringReader("h1,h2\n1,\"x\"");

        var records = CsvReader.ReadRecords(reader).ToList();

        Assert.Equal(["1", "x"], records[1]);
    }

    [Fact]
    public void ReadRecords_UnclosedQuote_Throws()
    {
        using var reader = new StringReader("1,\"never closed\n2,b\n");

        var ex = Assert.Throws<FormatException>(() => CsvReader.ReadRecords(reader).ToList());
        Assert.Contains("line 1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadRecords_TextAfterClosingQuote_Throws()
    {
        using var reader = new StringReader("\"a\"b,c\n");

        Assert.Throws<FormatException>(() => CsvReader.ReadRecords(reader).ToList());
    }
}
