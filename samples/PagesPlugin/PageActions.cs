using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using PluginIpc;

namespace PagesPlugin;

/// <summary>
/// The data actions: each checks what the client sent (E1003 naming the field), applies the protocol's rules (E1001, E1002)
/// and runs inside a transaction of the <see cref="PageStore"/>.
/// </summary>
internal static class PageActions
{
    public static Page Read(PageTransaction pages, ReadPageRequest? request)
    {
        string id = RequireId(request?.Id);
        return pages.Find(id) ?? throw PageErrors.PageNotFound(id);
    }

    public static Page Create(PageTransaction pages, CreatePageRequest? request)
    {
        if (request?.Title is null)
        {
            throw PageErrors.Invalid("title", "create needs a title.");
        }

        string id = request.Id is null ? Guid.NewGuid().ToString("N") : RequireId(request.Id);
        string title = CheckTitle(request.Title);
        string content = CheckContent(request.Content ?? string.Empty);
        if (pages.Find(id) is { } existing)
        {
            throw PageErrors.StaleVersion(id, null, existing.Version);
        }

        return pages.Insert(id, title, content);
    }

    public static Page Update(PageTransaction pages, UpdatePageRequest? request)
    {
        string id = RequireId(request?.Id);
        long version = RequireVersion(request!.Version);
        if (request.Title is null && request.Content is null)
        {
            throw PageErrors.Invalid("title", "update needs a title, a content or both.");
        }

        string? title = request.Title is null ? null : CheckTitle(request.Title);
        string? content = request.Content is null ? null : CheckContent(request.Content);
        Page current = pages.Find(id) ?? throw PageErrors.PageNotFound(id);
        if (current.Version != version)
        {
            throw PageErrors.StaleVersion(id, version, current.Version);
        }

        return pages.Replace(current, title ?? current.Title, content ?? current.Content);
    }

    public static DeletedPage Delete(PageTransaction pages, DeletePageRequest? request)
    {
        string id = RequireId(request?.Id);
        long version = RequireVersion(request!.Version);
        Page current = pages.Find(id) ?? throw PageErrors.PageNotFound(id);
        if (current.Version != version)
        {
            throw PageErrors.StaleVersion(id, version, current.Version);
        }

        pages.Remove(id);
        return new DeletedPage(id, version, Deleted: true);
    }

    /// <summary>
    /// Runs the operations in order in the caller's one transaction, each inside a savepoint: one that fails is undone alone and
    /// reported in its result, and the later ones still run and see the earlier ones' writes. The batch commits (one fsync) when
    /// all have run, before it answers.
    /// </summary>
    public static IReadOnlyList<BatchResult> Batch(PageTransaction pages, BatchRequest? request)
    {
        IReadOnlyList<BatchOperation> operations = request?.Operations ?? throw PageErrors.Invalid("operations", "batch needs operations.");
        if (operations.Count > PageLimits.MaxBatchOperations)
        {
            throw PageErrors.Invalid("operations", $"A batch has at most {PageLimits.MaxBatchOperations} operations, not {operations.Count}.");
        }

        var results = new BatchResult[operations.Count];
        for (int i = 0; i < operations.Count; i++)
        {
            const string savepoint = "operation";
            pages.Save(savepoint);
            try
            {
                results[i] = new BatchResult(true, Run(pages, operations[i]), null);
                pages.Release(savepoint);
            }
            catch (RemoteException ex)
            {
                pages.RollbackTo(savepoint);
                pages.Release(savepoint);
                results[i] = new BatchResult(false, null, new PageError(ex.Code, ex.Message, ex.Details));
            }
        }

        return results;
    }

    public static List<SearchHit> Search(PageTransaction pages, SearchRequest? request)
    {
        string match = SearchQuery.ToMatch(request?.Query);
        return pages.Search(match, CheckLimit(request!.Limit));
    }

    public static ExportResult Export(PageTransaction pages, ExportRequest? request)
    {
        string? idsJson = null;
        if (request?.Ids is { } ids)
        {
            if (ids.Count > PageLimits.MaxExportPages)
            {
                throw PageErrors.Invalid("ids", $"export names at most {PageLimits.MaxExportPages} ids, not {ids.Count}.");
            }

            foreach (string id in ids)
            {
                _ = RequireId(id, "ids");
            }

            idsJson = JsonSerializer.Serialize(ids, PagesJsonContext.Default.IReadOnlyListString);
        }

        string after = request?.After is null ? string.Empty : RequireId(request.After, "after");
        (List<Page> exported, bool more) = pages.Export(idsJson, after, PageLimits.MaxExportPages, PageLimits.MaxExportBytes);
        return new ExportResult(exported, more ? exported[^1].Id : null);
    }

    public static List<Page> History(PageTransaction pages, HistoryRequest? request)
    {
        string id = RequireId(request?.Id);
        int limit = CheckLimit(request!.Limit);
        _ = pages.Find(id) ?? throw PageErrors.PageNotFound(id);
        return pages.History(id, limit);
    }

    private static JsonElement Run(PageTransaction pages, BatchOperation? operation) =>
        operation?.Action switch
        {
            "read" => Answer(Read(pages, Data(operation, PagesJsonContext.Default.ReadPageRequest)), PagesJsonContext.Default.Page),
            "create" => Answer(Create(pages, Data(operation, PagesJsonContext.Default.CreatePageRequest)), PagesJsonContext.Default.Page),
            "update" => Answer(Update(pages, Data(operation, PagesJsonContext.Default.UpdatePageRequest)), PagesJsonContext.Default.Page),
            "delete" => Answer(Delete(pages, Data(operation, PagesJsonContext.Default.DeletePageRequest)), PagesJsonContext.Default.DeletedPage),
            _ => throw PageErrors.Invalid("action", $"A batch operation is read, create, update or delete, not '{operation?.Action}'."),
        };

    private static T? Data<T>(BatchOperation operation, JsonTypeInfo<T> type)
    {
        if (operation.Data is not { ValueKind: not JsonValueKind.Null } data)
        {
            return default;
        }

        try
        {
            return data.Deserialize(type);
        }
        catch (JsonException ex)
        {
            throw PageErrors.Invalid(ex.Path is { Length: > 2 } path ? path[2..] : "data", $"The data of '{operation.Action}' is not valid: {ex.Message}");
        }
    }

    private static JsonElement Answer<T>(T value, JsonTypeInfo<T> type) => JsonSerializer.SerializeToElement(value, type);

    private static string RequireId(string? id, string field = "id")
    {
        if (string.IsNullOrEmpty(id))
        {
            throw PageErrors.Invalid(field, $"{field} is required.");
        }

        if (id.Length > PageLimits.MaxIdLength || !id.All(IsIdChar))
        {
            throw PageErrors.Invalid(field, $"An id has 1 to {PageLimits.MaxIdLength} letters, digits, '-', '_', '.' or ':'.");
        }

        return id;
    }

    private static bool IsIdChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':';

    private static long RequireVersion(long? version) =>
        version is >= 1 ? version.Value : throw PageErrors.Invalid("version", "version (the one last read, 1 or more) is required.");

    private static string CheckTitle(string title) =>
        string.IsNullOrWhiteSpace(title) || title.Length > PageLimits.MaxTitleLength
            ? throw PageErrors.Invalid("title", $"A title has 1 to {PageLimits.MaxTitleLength} chars, not all blank.")
            : title;

    private static string CheckContent(string content) =>
        content.Length > PageLimits.MaxContentBytes || Encoding.UTF8.GetByteCount(content) > PageLimits.MaxContentBytes
            ? throw PageErrors.Invalid("content", $"A content has at most {PageLimits.MaxContentBytes} bytes in UTF-8.")
            : content;

    private static int CheckLimit(int? limit) =>
        limit switch
        {
            null => PageLimits.DefaultListLimit,
            >= 1 and <= PageLimits.MaxListLimit => limit.Value,
            _ => throw PageErrors.Invalid("limit", $"limit is 1 to {PageLimits.MaxListLimit}, not {limit}."),
        };
}
