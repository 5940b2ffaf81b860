using System.Text;

namespace PluginIpc.Tests.Processes;

/// <summary>Lines of plugin output with a maximum length: the same line ends as <see cref="StreamReader.ReadLine"/>, longer lines in marked pieces.</summary>
[TestFixture]
public sealed class BoundedLineReaderTests
{
    private const string Continues = BoundedLineReader.ContinuesMarker;
    private const string Continued = BoundedLineReader.ContinuedMarker;

    private static readonly string[] s_lineEndCases =
    [
        "", "a", "a\n", "\n", "\r", "\r\n", "\n\n\r\n\r", "a\nb\r\nc\rd", "a\r\r\nb", "a\n\rb", "x\r\n\r\ny\r", "é€😀\r\nü",
    ];

    [Test, CancelAfter(10_000)]
    public async Task ReadLineAsync_LinesWithinTheLimit_SameLinesAsStreamReader(
        [ValueSource(nameof(s_lineEndCases))] string input, [Values] bool byteByByte, CancellationToken cancellationToken)
    {
        using var expectedReader = new StringReader(input);
        var expected = new List<string>();
        while (expectedReader.ReadLine() is { } line)
        {
            expected.Add(line);
        }

        Stream stream = byteByByte ? ChunkedStream.ByteByByte(input) : ChunkedStream.Parts(input);
        List<PluginOutputLine> lines = await ReadAllAsync(stream, maxLength: 100, cancellationToken);

        Assert.That(lines.Select(l => l.Text), Is.EqualTo(expected));
        Assert.That(lines.Any(l => l.IsContinuation || l.Continues), Is.False, "no line was cut");
    }

    [Test, CancelAfter(10_000)]
    public async Task ReadLineAsync_LineOfExactlyTheLimit_IsOneUnmarkedLine(CancellationToken cancellationToken)
    {
        List<PluginOutputLine> lines = await ReadAllAsync(ChunkedStream.Parts("abcd\nefgh\r\nijkl"), maxLength: 4, cancellationToken);

        Assert.That(lines, Is.EqualTo(new[] { Line("abcd"), Line("efgh"), Line("ijkl") }));
    }

    [Test, CancelAfter(10_000)]
    public async Task ReadLineAsync_LineOfTheLimitPlusOne_IsTwoMarkedPieces(CancellationToken cancellationToken)
    {
        List<PluginOutputLine> lines = await ReadAllAsync(ChunkedStream.Parts("abcde\nnext\n"), maxLength: 4, cancellationToken);

        Assert.That(lines, Is.EqualTo(new[]
        {
            new PluginOutputLine(PluginOutputSource.StandardError, "abcd" + Continues, IsContinuation: false, Continues: true),
            new PluginOutputLine(PluginOutputSource.StandardError, Continued + "e", IsContinuation: true, Continues: false),
            Line("next"),
        }));
    }

    [Test, CancelAfter(10_000)]
    public async Task ReadLineAsync_LongLineWithoutLineEnd_PiecesOfTheLimitThenTheRest(
        [Values] bool byteByByte, CancellationToken cancellationToken)
    {
        const string Input = "abcdefghij";
        Stream stream = byteByByte ? ChunkedStream.ByteByByte(Input) : ChunkedStream.Parts(Input);

        List<PluginOutputLine> lines = await ReadAllAsync(stream, maxLength: 3, cancellationToken);

        Assert.That(lines.Select(l => l.Text), Is.EqualTo(new[]
        {
            "abc" + Continues, Continued + "def" + Continues, Continued + "ghi" + Continues, Continued + "j",
        }));
        Assert.That(lines.Select(l => (l.IsContinuation, l.Continues)), Is.EqualTo(new[] { (false, true), (true, true), (true, true), (true, false) }));
    }

    [Test, CancelAfter(10_000)]
    public async Task ReadLineAsync_LongLineEndingInAPieceOfTheLimit_LastPieceIsWholeAndNoEmptyPieceFollows(
        [Values("\n", "\r", "\r\n", "")] string lineEnd, CancellationToken cancellationToken)
    {
        List<PluginOutputLine> lines = await ReadAllAsync(ChunkedStream.Parts("abcdef" + lineEnd), maxLength: 3, cancellationToken);

        Assert.That(lines.Select(l => l.Text), Is.EqualTo(new[] { "abc" + Continues, Continued + "def" }));
    }

    [Test, CancelAfter(10_000)]
    public async Task ReadLineAsync_CarriageReturnAndLineFeedInDifferentReads_OneLineEnd(
        [Values(2, 4)] int maxLength, CancellationToken cancellationToken)
    {
        // With a limit of 2 the \r also arrives right after a full piece.
        List<PluginOutputLine> lines = await ReadAllAsync(ChunkedStream.Parts("ab\r", "\ncd\r", "\n", "\r", "\nef"), maxLength, cancellationToken);

        Assert.That(lines, Is.EqualTo(new[] { Line("ab"), Line("cd"), Line(string.Empty), Line("ef") }));
    }

    [Test, CancelAfter(10_000)]
    public async Task ReadLineAsync_CarriageReturnAtTheEndOfTheReadBuffer_LineFeedInTheNextReadEndsNoLine(
        [Values(4095, 10_000)] int maxLength, CancellationToken cancellationToken)
    {
        // One read of the reader's 4096 chars ends with the \r; the \n starts the next.
        string first = new('x', 4095);
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(first + "\r\ny"));

        List<PluginOutputLine> lines = await ReadAllAsync(stream, maxLength, cancellationToken);

        Assert.That(lines, Is.EqualTo(new[] { Line(first), Line("y") }));
    }

    [Test, CancelAfter(10_000)]
    public async Task ReadLineAsync_CarriageReturnAlone_EndsTheLine(CancellationToken cancellationToken)
    {
        List<PluginOutputLine> lines = await ReadAllAsync(ChunkedStream.Parts("one\rtwo\r", "three\r"), maxLength: 10, cancellationToken);

        Assert.That(lines.Select(l => l.Text), Is.EqualTo(new[] { "one", "two", "three" }));
    }

    [Test, CancelAfter(10_000)]
    public async Task ReadLineAsync_EmptyLines_AreKept(CancellationToken cancellationToken)
    {
        List<PluginOutputLine> lines = await ReadAllAsync(ChunkedStream.Parts("\n\na\n\n"), maxLength: 1, cancellationToken);

        Assert.That(lines, Is.EqualTo(new[] { Line(string.Empty), Line(string.Empty), Line("a"), Line(string.Empty) }));
    }

    [Test, CancelAfter(10_000)]
    public async Task ReadLineAsync_EmptyInput_ReturnsNullAtOnceAndAfterwards(CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(ChunkedStream.Parts());
        var lines = new BoundedLineReader(reader, PluginOutputSource.StandardError, 8);

        Assert.That(await lines.ReadLineAsync(cancellationToken), Is.Null);
        Assert.That(await lines.ReadLineAsync(cancellationToken), Is.Null);
    }

    [Test, CancelAfter(10_000)]
    public async Task ReadLineAsync_MultiByteCharsSplitAcrossReads_DecodedWhole(CancellationToken cancellationToken)
    {
        // 2, 3 and 4 bytes (the last a surrogate pair), each delivered one byte per read.
        const string Text = "é€😀 ü";

        List<PluginOutputLine> lines = await ReadAllAsync(ChunkedStream.ByteByByte(Text + "\n" + Text), maxLength: 100, cancellationToken);

        Assert.That(lines, Is.EqualTo(new[] { Line(Text), Line(Text) }));
    }

    [Test, CancelAfter(10_000)]
    public async Task ReadLineAsync_LimitFallsInsideASurrogatePair_PieceEndsBeforeThePair(CancellationToken cancellationToken)
    {
        List<PluginOutputLine> lines = await ReadAllAsync(ChunkedStream.ByteByByte("a😀b"), maxLength: 2, cancellationToken);

        Assert.That(lines.Select(l => l.Text), Is.EqualTo(new[] { "a" + Continues, Continued + "😀" + Continues, Continued + "b" }));
    }

    [Test, CancelAfter(10_000)]
    public async Task ReadLineAsync_LineAfterALongLine_IsUnmarked(CancellationToken cancellationToken)
    {
        List<PluginOutputLine> lines = await ReadAllAsync(ChunkedStream.Parts("abc\nde\n"), maxLength: 2, cancellationToken);

        Assert.That(lines.Select(l => l.Text), Is.EqualTo(new[] { "ab" + Continues, Continued + "c", "de" }));
    }

    [Test, CancelAfter(30_000)]
    public async Task ReadLineAsync_ManyMebibytesWithoutLineEnd_EveryPieceHoldsTheLimitAndAllTextArrives(CancellationToken cancellationToken)
    {
        const int MaxLength = 1000;
        const int Total = 4 * 1024 * 1024 + 7;
        using var reader = new StreamReader(new MemoryStream(Encoding.ASCII.GetBytes(new string('x', Total))));
        var lines = new BoundedLineReader(reader, PluginOutputSource.StandardOutput, MaxLength);
        long chars = 0;
        int pieces = 0;

        while (await lines.ReadLineAsync(cancellationToken) is { } line)
        {
            int length = line.Text.Length - (line.IsContinuation ? Continued.Length : 0) - (line.Continues ? Continues.Length : 0);
            Assert.That(length, Is.InRange(1, MaxLength));
            Assert.That(line.Source, Is.EqualTo(PluginOutputSource.StandardOutput));
            chars += length;
            pieces++;
        }

        Assert.That(chars, Is.EqualTo(Total));
        Assert.That(pieces, Is.EqualTo((Total + MaxLength - 1) / MaxLength));
    }

    [Test]
    public void Constructor_LimitNotPositive_Throws([Values(0, -1)] int maxLength) =>
        Assert.That(
            () => new BoundedLineReader(new StringReader(string.Empty), PluginOutputSource.StandardError, maxLength),
            Throws.InstanceOf<ArgumentOutOfRangeException>());

    private static PluginOutputLine Line(string text) => new(PluginOutputSource.StandardError, text);

    private static async Task<List<PluginOutputLine>> ReadAllAsync(Stream stream, int maxLength, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        var lines = new BoundedLineReader(reader, PluginOutputSource.StandardError, maxLength);
        var read = new List<PluginOutputLine>();
        while (await lines.ReadLineAsync(cancellationToken) is { } line)
        {
            read.Add(line);
        }

        return read;
    }
}
