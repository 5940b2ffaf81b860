using Microsoft.Data.Sqlite;

namespace PagesPlugin;

/// <summary>
/// The pages' SQLite database: one connection, one transaction at a time. Writes commit before their handler answers, in WAL mode
/// with synchronous=FULL, so whatever was acknowledged survives a crash of the plugin (and of the machine).
/// </summary>
/// <remarks>
/// Microsoft.Data.Sqlite runs every command synchronously (its async methods too), so the work runs as plain calls behind an
/// async gate: callers wait for their turn without blocking a thread, then the SQL runs on the handler's thread.
/// </remarks>
internal sealed class PageStore : IDisposable
{
    private const int SchemaVersion = 1;

    private readonly SqliteConnection _connection;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);

    private PageStore(SqliteConnection connection, TimeProvider time)
    {
        _connection = connection;
        _time = time;
    }

    /// <summary>Opens (or creates) the database at <paramref name="path"/> and its schema.</summary>
    public static PageStore Open(string path, TimeProvider time)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }

        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false, // one connection for the process's life; closing it checkpoints the WAL
            DefaultTimeout = 30,
        }.ToString());
        try
        {
            connection.Open();
            Execute(connection, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;");
            CreateSchema(connection);
            return new PageStore(connection, time);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Runs <paramref name="work"/> in a read transaction.</summary>
    public Task<T> ReadAsync<T>(Func<PageTransaction, T> work, CancellationToken cancellationToken) =>
        RunAsync(work, write: false, cancellationToken);

    /// <summary>Runs <paramref name="work"/> in a write transaction and commits it; a <paramref name="work"/> that throws leaves nothing behind.</summary>
    public Task<T> WriteAsync<T>(Func<PageTransaction, T> work, CancellationToken cancellationToken) =>
        RunAsync(work, write: true, cancellationToken);

    public void Dispose()
    {
        _connection.Dispose();
        _gate.Dispose();
    }

    private async Task<T> RunAsync<T>(Func<PageTransaction, T> work, bool write, CancellationToken cancellationToken)
    {
        // Cancellation ends the wait only: a transaction that started runs to its end, so an answer never hides a half-done write.
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // A write takes the write lock at BEGIN (IMMEDIATE), so it never fails half-way for a lock another process holds.
            using SqliteTransaction transaction = _connection.BeginTransaction(deferred: !write);
            T result = work(new PageTransaction(_connection, transaction, _time.GetUtcNow()));
            if (write)
            {
                transaction.Commit(); // synchronous=FULL: the WAL is on disk when this returns, and only then is the answer sent
            }

            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    private static void CreateSchema(SqliteConnection connection)
    {
        using SqliteTransaction transaction = connection.BeginTransaction();
        using SqliteCommand version = connection.CreateCommand();
        version.Transaction = transaction;
        version.CommandText = "PRAGMA user_version";
        long current = (long)version.ExecuteScalar()!;
        if (current > SchemaVersion)
        {
            throw new InvalidOperationException($"The database's schema is version {current}; this plugin knows versions up to {SchemaVersion}.");
        }

        // seq is the rowid the full-text index refers to; the triggers keep the index in step with every write.
        Execute(
            connection,
            $"""
            CREATE TABLE IF NOT EXISTS pages (
                seq INTEGER PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                title TEXT NOT NULL,
                content TEXT NOT NULL,
                version INTEGER NOT NULL,
                updated_at TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS page_history (
                id TEXT NOT NULL,
                version INTEGER NOT NULL,
                title TEXT NOT NULL,
                content TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                PRIMARY KEY (id, version)) WITHOUT ROWID;
            CREATE VIRTUAL TABLE IF NOT EXISTS pages_fts USING fts5(title, content, content='pages', content_rowid='seq');
            CREATE TRIGGER IF NOT EXISTS pages_inserted AFTER INSERT ON pages BEGIN
                INSERT INTO pages_fts (rowid, title, content) VALUES (new.seq, new.title, new.content);
            END;
            CREATE TRIGGER IF NOT EXISTS pages_deleted AFTER DELETE ON pages BEGIN
                INSERT INTO pages_fts (pages_fts, rowid, title, content) VALUES ('delete', old.seq, old.title, old.content);
            END;
            CREATE TRIGGER IF NOT EXISTS pages_updated AFTER UPDATE ON pages BEGIN
                INSERT INTO pages_fts (pages_fts, rowid, title, content) VALUES ('delete', old.seq, old.title, old.content);
                INSERT INTO pages_fts (rowid, title, content) VALUES (new.seq, new.title, new.content);
            END;
            PRAGMA user_version = {SchemaVersion};
            """,
            transaction);
        transaction.Commit();
    }

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
