// PagesPlugin: a plugin that keeps pages in SQLite and answers the data actions of the WebChannel protocol (read, create,
// update, delete, batch, search, export, history) in JSON, with that protocol's data errors E1001-E1003. What it acknowledged
// survives a crash: each write commits (WAL, synchronous=FULL) before its answer. See README.md.
// It opens its database before the handshake, so that a host learns at start why it cannot (PluginStartException with the
// reason); started by hand it opens it too, then says it needs a host on stderr and exits with code 1.
using Microsoft.Data.Sqlite;
using PagesPlugin;
using PluginIpc;

string databasePath = DatabasePath.Resolve(args, Environment.GetEnvironmentVariable(DatabasePath.EnvironmentVariable));
PageStore store;
try
{
    store = PageStore.Open(databasePath, TimeProvider.System);
}
catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException or InvalidOperationException)
{
    await Console.Error.WriteLineAsync($"PagesPlugin cannot open its database '{databasePath}': {ex.Message}");
    return 1;
}

using (store)
{
    var options = new MainOptions
    {
        Name = "pages",
        Serializer = new JsonPluginSerializer(PagesJsonContext.Default), // the JSON web clients send, camelCase, as is
    };
    options.Metadata["version"] = "1.0";
    options.Metadata["description"] = "Pages in SQLite: the WebChannel data actions.";
    options.OnStart = (main, _) =>
    {
        PagesLog.Started(main.CreateLogger("PagesPlugin"), Environment.ProcessId, databasePath);
        return Task.CompletedTask;
    };

    options.Handle<ReadPageRequest, Page>("read", (request, token) => new(store.ReadAsync(pages => PageActions.Read(pages, request), token)));
    options.Handle<CreatePageRequest, Page>("create", (request, token) => new(store.WriteAsync(pages => PageActions.Create(pages, request), token)));
    options.Handle<UpdatePageRequest, Page>("update", (request, token) => new(store.WriteAsync(pages => PageActions.Update(pages, request), token)));
    options.Handle<DeletePageRequest, DeletedPage>("delete", (request, token) => new(store.WriteAsync(pages => PageActions.Delete(pages, request), token)));
    options.Handle<BatchRequest, IReadOnlyList<BatchResult>>("batch", (request, token) => new(store.WriteAsync(pages => PageActions.Batch(pages, request), token)));
    options.Handle<SearchRequest, IReadOnlyList<SearchHit>>("search", (request, token) => new(store.ReadAsync<IReadOnlyList<SearchHit>>(pages => PageActions.Search(pages, request), token)));
    options.Handle<ExportRequest, ExportResult>("export", (request, token) => new(store.ReadAsync(pages => PageActions.Export(pages, request), token)));
    options.Handle<HistoryRequest, IReadOnlyList<Page>>("history", (request, token) => new(store.ReadAsync<IReadOnlyList<Page>>(pages => PageActions.History(pages, request), token)));

    return await Main.RegisterAsync(options);
}
