namespace PagesPlugin;

/// <summary>The answer of <c>export</c>: pages in id order; <paramref name="Next"/> is set when more remain (pass it as <c>after</c>).</summary>
internal sealed record ExportResult(IReadOnlyList<Page> Pages, string? Next);
