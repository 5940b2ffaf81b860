namespace PluginIpc;

/// <summary>Reads the lines of a plugin's stderr or free stdout with a maximum length, in memory that no input can grow.</summary>
/// <remarks>
/// <para>
/// Lines end at <c>\n</c>, <c>\r</c> or <c>\r\n</c>, as <see cref="StreamReader.ReadLine"/> ends them, also when the
/// <c>\r</c> and the <c>\n</c> arrive in different reads; the last line needs no line end.
/// </para>
/// <para>
/// A line longer than the maximum is delivered in pieces of at most that many of its chars: each piece but the last
/// ends with <see cref="ContinuesMarker"/> and has <see cref="PluginOutputLine.Continues"/> set, each piece but the
/// first starts with <see cref="ContinuedMarker"/> and has <see cref="PluginOutputLine.IsContinuation"/> set. The
/// markers are part of <see cref="PluginOutputLine.Text"/>, so that every log, tail and callback shows that a line
/// was cut, and do not count towards the maximum. A line of exactly the maximum is one piece, unmarked. A piece does
/// not end between the two halves of a surrogate pair unless the maximum is 1 char.
/// </para>
/// <para>
/// It holds a read buffer of 4096 chars and the unfinished line, at most the maximum, whatever the input; each piece
/// costs one string. Not thread safe: one reading loop owns it.
/// </para>
/// </remarks>
internal sealed class BoundedLineReader
{
    /// <summary>The text that ends a piece whose line goes on in the next piece.</summary>
    public const string ContinuesMarker = " [line continues]";

    /// <summary>The text that starts a piece that carries on the line of the previous piece.</summary>
    public const string ContinuedMarker = "[continued] ";

    private const int ReadBufferChars = 4096;
    private const int InitialLineChars = 256;

    private readonly TextReader _reader;
    private readonly PluginOutputSource _source;
    private readonly int _maxLength;
    private readonly char[] _buffer = new char[ReadBufferChars];
    private char[] _line;
    private int _lineLength;
    private int _position;
    private int _end;
    private bool _skipLineFeed; // the last line ended with \r: a \n right after it belongs to that line end
    private bool _inLongLine; // the last piece was cut: the next one continues its line

    /// <summary>Initializes a new instance that reads from <paramref name="reader"/>.</summary>
    /// <param name="reader">The decoded output; the caller owns it.</param>
    /// <param name="source">The stream the output comes from, copied into every line.</param>
    /// <param name="maxLength">The most chars of a line that one piece carries, besides the markers.</param>
    public BoundedLineReader(TextReader reader, PluginOutputSource source, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxLength);
        _reader = reader;
        _source = source;
        _maxLength = maxLength;
        _line = new char[Math.Min(maxLength, InitialLineChars)];
    }

    /// <summary>Reads the next line, or the next piece of a long line.</summary>
    /// <param name="cancellationToken">Cancels the wait for more input.</param>
    /// <returns>The line or piece, or <see langword="null"/> at the end of the input.</returns>
    public async ValueTask<PluginOutputLine?> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_position == _end)
            {
                _position = 0;
                _end = await _reader.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false);
                if (_end == 0)
                {
                    // A cut piece always leaves at least one char for the next, so an open long line is never empty here.
                    return _lineLength > 0 ? TakePiece(_lineLength, continues: false) : null;
                }
            }

            if (_skipLineFeed)
            {
                _skipLineFeed = false;
                if (_buffer[_position] == '\n')
                {
                    _position++;
                    continue;
                }
            }

            if (_lineLength == _maxLength)
            {
                // The piece is full and the next char is known: only a line end keeps the line whole.
                char next = _buffer[_position];
                if (next is '\r' or '\n')
                {
                    _position++;
                    _skipLineFeed = next == '\r';
                    return TakePiece(_lineLength, continues: false);
                }

                bool splitsPair = _lineLength > 1 && char.IsHighSurrogate(_line[_lineLength - 1]) && char.IsLowSurrogate(next);
                return TakePiece(splitsPair ? _lineLength - 1 : _lineLength, continues: true);
            }

            // Look for a line end only as far as the piece has room; a line end right after a full piece is handled above.
            ReadOnlySpan<char> available = _buffer.AsSpan(_position, Math.Min(_end - _position, _maxLength - _lineLength));
            int lineEnd = available.IndexOfAny('\r', '\n');
            if (lineEnd >= 0)
            {
                Append(available[..lineEnd]);
                _position += lineEnd + 1;
                _skipLineFeed = available[lineEnd] == '\r';
                return TakePiece(_lineLength, continues: false);
            }

            Append(available);
            _position += available.Length;
        }
    }

    private void Append(ReadOnlySpan<char> chars)
    {
        int needed = _lineLength + chars.Length;
        if (needed > _line.Length)
        {
            // Doubling up to the maximum: short lines keep the array small, the longest costs the maximum once.
            char[] grown = new char[(int)Math.Min(Math.Max(needed, 2L * _line.Length), _maxLength)];
            _line.AsSpan(0, _lineLength).CopyTo(grown);
            _line = grown;
        }

        chars.CopyTo(_line.AsSpan(_lineLength));
        _lineLength = needed;
    }

    /// <summary>Returns the first <paramref name="length"/> chars of the line as one piece and keeps the rest for the next.</summary>
    private PluginOutputLine TakePiece(int length, bool continues)
    {
        bool isContinuation = _inLongLine;
        string text = string.Concat(
            isContinuation ? ContinuedMarker : string.Empty,
            _line.AsSpan(0, length),
            continues ? ContinuesMarker : string.Empty);
        _line.AsSpan(length, _lineLength - length).CopyTo(_line);
        _lineLength -= length;
        _inLongLine = continues;
        return new PluginOutputLine(_source, text, isContinuation, continues);
    }
}
