namespace PagesPlugin;

/// <summary>The bounds on what a client may send and ask for: anything a peer sends is untrusted.</summary>
internal static class PageLimits
{
    /// <summary>The longest page id, in chars (letters, digits, <c>-</c>, <c>_</c>, <c>.</c> and <c>:</c>).</summary>
    public const int MaxIdLength = 128;

    /// <summary>The longest title, in chars.</summary>
    public const int MaxTitleLength = 200;

    /// <summary>
    /// The largest content, in UTF-8 bytes (256 KiB): a page must fit, with its envelope, in a gateway message (the gateway's
    /// MaxMessageBytes, 1 MiB by default, bounds both the request that writes it and the answer that reads it).
    /// </summary>
    public const int MaxContentBytes = 256 * 1024;

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
    /// The most bytes of pages, as JSON (escapes included), in one export answer (512 KiB); past it the answer stops and names
    /// the next id (a first page larger than that is answered alone). Half the gateway's default MaxMessageBytes: an answer
    /// always passes the gateway, and paging always moves on.
    /// </summary>
    public const long MaxExportBytes = 512L * 1024;

    /// <summary>The previous versions kept per page; older ones are dropped.</summary>
    public const int MaxHistoryVersions = 100;
}
