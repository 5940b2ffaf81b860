using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace PagesPlugin;

/// <summary>The SQL of the data actions, inside one transaction of the <see cref="PageStore"/>; it checks nothing a client sent.</summary>
internal sealed class PageTransaction
{
    private const string PageColumns = "id, title, content, version, updated_at";

    private readonly SqliteConnection _connection;
    private readonly SqliteTransaction _transaction;
    private readonly DateTimeOffset _now;

    public PageTransaction(SqliteConnection connection, SqliteTransaction transaction, DateTimeOffset now)
    {
        _connection = connection;
        _transaction = transaction;
        _now = now;
    }

    public Page? Find(string id)
    {
        using SqliteCommand command = Command($"SELECT {PageColumns} FROM pages WHERE id = $id", ("$id", id));
        using SqliteDataReader reader = command.ExecuteReader();
        return reader.Read() ? ReadPage(reader) : null;
    }

    public Page Insert(string id, string title, string content)
    {
        var page = new Page(id, title, content, 1, _now);
        using SqliteCommand command = Command(
            "INSERT INTO pages (id, title, content, version, updated_at) VALUES ($id, $title, $content, 1, $updatedAt)",
            ("$id", id), ("$title", title), ("$content", content), ("$updatedAt", Timestamp(_now)));
        command.ExecuteNonQuery();
        return page;
    }

    /// <summary>Keeps <paramref name="current"/> in the history and replaces it with the next version.</summary>
    public Page Replace(Page current, string title, string content)
    {
        Archive(current);
        var page = new Page(current.Id, title, content, current.Version + 1, _now);
        using SqliteCommand command = Command(
            "UPDATE pages SET title = $title, content = $content, version = $version, updated_at = $updatedAt WHERE id = $id",
            ("$id", page.Id), ("$title", title), ("$content", content), ("$version", page.Version), ("$updatedAt", Timestamp(_now)));
        command.ExecuteNonQuery();
        return page;
    }

    /// <summary>Deletes the page and its history: an id created again starts a new history at version 1.</summary>
    public void Remove(string id)
    {
        using SqliteCommand command = Command("DELETE FROM pages WHERE id = $id; DELETE FROM page_history WHERE id = $id", ("$id", id));
        command.ExecuteNonQuery();
    }

    /// <summary>Returns up to <paramref name="limit"/> previous versions of a page, newest first.</summary>
    public List<Page> History(string id, int limit)
    {
        using SqliteCommand command = Command(
            $"SELECT {PageColumns} FROM page_history WHERE id = $id ORDER BY version DESC LIMIT $limit", ("$id", id), ("$limit", limit));
        return ReadPages(command, int.MaxValue, long.MaxValue).Pages;
    }

    /// <summary>Runs a full-text query (FTS5 syntax, built by the caller) over titles and contents, best matches first.</summary>
    public List<SearchHit> Search(string match, int limit)
    {
        using SqliteCommand command = Command(
            """
            SELECT p.id, p.title, snippet(pages_fts, -1, '**', '**', '…', 12)
            FROM pages_fts JOIN pages p ON p.seq = pages_fts.rowid
            WHERE pages_fts MATCH $match ORDER BY rank LIMIT $limit
            """,
            ("$match", match), ("$limit", limit));
        using SqliteDataReader reader = command.ExecuteReader();
        var hits = new List<SearchHit>();
        while (reader.Read())
        {
            hits.Add(new SearchHit(reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        }

        return hits;
    }

    /// <summary>Returns pages in id order after <paramref name="after"/> (all, or those of <paramref name="idsJson"/>), within the bounds.</summary>
    /// <returns>The pages, and whether more remain.</returns>
    public (List<Page> Pages, bool More) Export(string? idsJson, string after, int maxPages, long maxBytes)
    {
        // One more row than answered tells whether more remain; the id list goes in as one JSON parameter, read by json_each.
        using SqliteCommand command = Command(
            $"""
            SELECT {PageColumns} FROM pages
            WHERE id > $after AND ($ids IS NULL OR id IN (SELECT value FROM json_each($ids)))
            ORDER BY id LIMIT $limit
            """,
            ("$after", after), ("$ids", (object?)idsJson ?? DBNull.Value), ("$limit", maxPages + 1));
        return ReadPages(command, maxPages, maxBytes);
    }

    public void Save(string savepoint) => _transaction.Save(savepoint);

    public void Release(string savepoint) => _transaction.Release(savepoint);

    public void RollbackTo(string savepoint) => _transaction.Rollback(savepoint);

    private void Archive(Page page)
    {
        using SqliteCommand command = Command(
            """
            INSERT INTO page_history (id, version, title, content, updated_at) VALUES ($id, $version, $title, $content, $updatedAt);
            DELETE FROM page_history WHERE id = $id AND version <= $version - $kept
            """,
            ("$id", page.Id), ("$version", page.Version), ("$title", page.Title), ("$content", page.Content),
            ("$updatedAt", Timestamp(page.UpdatedAt)), ("$kept", PageLimits.MaxHistoryVersions));
        command.ExecuteNonQuery();
    }

    private static (List<Page> Pages, bool More) ReadPages(SqliteCommand command, int maxPages, long maxBytes)
    {
        using SqliteDataReader reader = command.ExecuteReader();
        var pages = new List<Page>();
        long bytes = 0;
        while (reader.Read())
        {
            Page page = ReadPage(reader);
            if (maxBytes != long.MaxValue)
            {
                // Counted as answered: JSON escapes may make a page's text up to 6 times longer.
                bytes += JsonSerializer.SerializeToUtf8Bytes(page, PagesJsonContext.Default.Page).Length + 1;
            }

            if (pages.Count == maxPages || (bytes > maxBytes && pages.Count > 0))
            {
                return (pages, true);
            }

            pages.Add(page);
        }

        return (pages, false);
    }

    private static Page ReadPage(SqliteDataReader reader) =>
        new(
            reader.GetString(0),
            reader.GetString(1),
            reader.GetString(2),
            reader.GetInt64(3),
            DateTimeOffset.Parse(reader.GetString(4), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind));

    private static string Timestamp(DateTimeOffset time) => time.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    private SqliteCommand Command(string sql, params (string Name, object Value)[] parameters)
    {
        SqliteCommand command = _connection.CreateCommand();
        command.Transaction = _transaction;
        command.CommandText = sql;
        foreach ((string name, object value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }
}
