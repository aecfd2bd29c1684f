using System.Text;
using StreamRec.Contracts;
using StreamRec.Datasets;

namespace StreamRec.Evaluation.Tests.Datasets;

public class JsonLinesDatasetTests
{
    private static readonly DateTimeOffset T0 = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void WriteThenRead_RoundTripsEveryEventType()
    {
        IStreamRecEvent[] events =
        [
            new ItemUpserted { EventId = "i1", OccurredAt = T0, ItemId = "a", Title = "A, \"quoted\"", Tags = ["x"], PublishedAt = T0, Version = 1 },
            new Click { EventId = "c1", OccurredAt = T0.AddMinutes(1), UserId = "u", ItemId = "a" },
            new Review { EventId = "r1", OccurredAt = T0.AddMinutes(2), UserId = "u", ItemId = "a", Rating = 4.5, Text = "great\nfilm" },
            new ItemRetired { EventId = "x1", OccurredAt = T0.AddMinutes(3), ItemId = "a", Version = 2 },
            new UserForget { EventId = "f1", OccurredAt = T0.AddMinutes(4), UserId = "u" },
        ];
        using var stream = new MemoryStream();

        Assert.Equal(5, JsonLinesDataset.Write(events, stream));
        stream.Position = 0;
        var errors = new List<JsonLineError>();
        var read = JsonLinesDataset.Read(stream, errors.Add).ToList();

        Assert.Empty(errors);
        Assert.Equal(5, Encoding.UTF8.GetString(stream.ToArray()).Count(c => c == '\n'));
        Assert.Equal(events.Select(e => e.GetType()), read.Select(e => e.GetType()));
        Assert.Equal((Review)events[2], (Review)read[2]);
        Assert.Equal("A, \"quoted\"", ((ItemUpserted)read[0]).Title);
    }

    [Fact]
    public void Read_BadLines_AreReportedWithLineNumbersAndSkipped()
    {
        var good = Encoding.UTF8.GetString(EventParser.Serialize(new Click { EventId = "c1", OccurredAt = T0, UserId = "u", ItemId = "a" }));
        var lines = string.Join("\n",
            good,                                  // 1
            "{not json",                           // 2
            "",                                    // 3 blank: ignored, not an error
            """{"schema":"streamrec.nope/v9"}""",  // 4
            good.Replace("\"u\"", "\"\"", StringComparison.Ordinal), // 5 empty user id
            good + "\r");                          // 6 CRLF line: fine
        var bytes = Encoding.UTF8.GetBytes(lines).Concat(new byte[] { (byte)'\n', 0xFF, 0xFE, (byte)'\n' }).ToArray(); // 7 invalid UTF-8
        var errors = new List<JsonLineError>();

        var events = JsonLinesDataset.Read(new MemoryStream(bytes), errors.Add).ToList();

        Assert.Equal(2, events.Count);
        Assert.Equal([2L, 4L, 5L, 7L], errors.Select(e => e.LineNumber));
        Assert.Equal(ParseErrorKind.MalformedJson, errors[0].Error.Kind);
        Assert.Equal(ParseErrorKind.UnknownSchema, errors[1].Error.Kind);
        Assert.Equal(ParseErrorKind.InvalidValue, errors[2].Error.Kind);
        Assert.Equal(ParseErrorKind.InvalidUtf8, errors[3].Error.Kind);
        Assert.StartsWith("line 2: MalformedJson", errors[0].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Write_ToPath_CreatesFolderAndReadsBackFromFile()
    {
        var dir = Path.Combine(Path.GetTempPath(), "streamrec-jsonl-" + Guid.NewGuid().ToString("N"));
        try
        {
            var path = Path.Combine(dir, "nested", "events.jsonl");
            JsonLinesDataset.Write([new Click { EventId = "c1", OccurredAt = T0, UserId = "u", ItemId = "a" }], path);

            var read = JsonLinesDataset.Read(path).ToList();

            Assert.Equal("c1", Assert.Single(read).EventId);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
