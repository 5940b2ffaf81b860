namespace PagesPlugin;

/// <summary>The bounds on what a client may send and ask for: anything a peer sends is untrusted.</summary>
internal static class PageLimits
{
    /// <summary>The longest page id, in chars (letters, digits, <c>-</c>, <c>_</c>, <c>.</c> and <c>:</c>).</summary>
    public const int MaxIdLength = 128;

    /// <summary>The longest title, in chars.</summary>
    public const int MaxTitleLength = 200;

    /// <summary>The largest content, in UTF-8 bytes (1 MiB).</summary>
    public const int MaxContentBytes = 1024 * 1024;

    /// <summary>The most operations in one batch.</summary>
    public const int MaxBatchOperations = 100;

    /// <summary>The longest search query, in chars.</summary>
    public const int MaxQueryLength = 200;

    /// <summary>The most words of a search query.</summary>
    public const int MaxQueryTerms = 16;

    /// <summary>The most search hits or history versions answered.</summary>
    public const int MaxListLimit = 100;

    /// <summary>The number of search hits or history versions answered when the request names no limit.</summary>
    public const int DefaultListLimit = 20;

    /// <summary>The most pages of one export answer, and the most ids it may name.</summary>
    public const int MaxExportPages = 500;

    /// <summary>
    /// The most UTF-8 bytes of titles and contents in one export answer (8 MiB); past it the answer stops and names the next id.
    /// JSON escapes at most 6 bytes per byte, so the answer stays under the framers' 64 MiB buffer limit.
    /// </summary>
    public const long MaxExportBytes = 8L * 1024 * 1024;

    /// <summary>The previous versions kept per page; older ones are dropped.</summary>
    public const int MaxHistoryVersions = 100;
}
