using System.Text.Json;
using System.Text.Json.Serialization;

namespace PagesPlugin;

/// <summary>
/// The JSON of every action, generated at build time with the web defaults (camelCase): what a web client sends through the
/// gateway reaches the handlers as is. Nulls are left out of answers, so a batch result carries either data or error.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Page))]
[JsonSerializable(typeof(ReadPageRequest))]
[JsonSerializable(typeof(CreatePageRequest))]
[JsonSerializable(typeof(UpdatePageRequest))]
[JsonSerializable(typeof(DeletePageRequest))]
[JsonSerializable(typeof(DeletedPage))]
[JsonSerializable(typeof(BatchRequest))]
[JsonSerializable(typeof(IReadOnlyList<BatchResult>))]
[JsonSerializable(typeof(SearchRequest))]
[JsonSerializable(typeof(IReadOnlyList<SearchHit>))]
[JsonSerializable(typeof(ExportRequest))]
[JsonSerializable(typeof(IReadOnlyList<string>))]
[JsonSerializable(typeof(ExportResult))]
[JsonSerializable(typeof(HistoryRequest))]
[JsonSerializable(typeof(IReadOnlyList<Page>))]
[JsonSerializable(typeof(FieldDetails))]
[JsonSerializable(typeof(PageIdDetails))]
[JsonSerializable(typeof(ConflictDetails))]
internal sealed partial class PagesJsonContext : JsonSerializerContext;
