using System.Text;

namespace PagesPlugin;

/// <summary>Turns a client's words into an FTS5 query that cannot be a syntax error: each word a quoted prefix, all required.</summary>
internal static class SearchQuery
{
    public static string ToMatch(string? query)
    {
        if (string.IsNullOrWhiteSpace(query) || query.Length > PageLimits.MaxQueryLength)
        {
            throw PageErrors.Invalid("query", $"query has 1 to {PageLimits.MaxQueryLength} chars, not all blank.");
        }

        string[] words = query.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (words.Length > PageLimits.MaxQueryTerms)
        {
            throw PageErrors.Invalid("query", $"query has at most {PageLimits.MaxQueryTerms} words.");
        }

        var match = new StringBuilder(query.Length + (words.Length * 4));
        foreach (string word in words)
        {
            // A string in double quotes is taken literally by FTS5 (quotes doubled); the * after it matches words it begins.
            match.Append(match.Length == 0 ? "\"" : " \"").Append(word.Replace("\"", "\"\"", StringComparison.Ordinal)).Append("\"*");
        }

        return match.ToString();
    }
}
