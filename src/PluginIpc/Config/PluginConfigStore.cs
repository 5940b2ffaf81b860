using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Win32.SafeHandles;

namespace PluginIpc;

/// <summary>
/// The host's <see cref="IPluginConfigStore"/>: files written atomically (temporary file, flush to disk, rename, flush the folder), changes to one
/// file made one at a time, parsed files cached while their size and time stay the same, and a <c>sys.config.changed</c> for
/// the plugin changed (through <see cref="HostBus.DeliverTo"/>).
/// </summary>
internal sealed class PluginConfigStore : IPluginConfigStore
{
    /// <summary>The most parsed files kept; past it the cache starts over.</summary>
    private const int MaxCached = 256;

    /// <summary>Options of the files: comments allowed (people edit them), and room for a value of <see cref="ConfigNames.MaxValueDepth"/> inside the object.</summary>
    private static readonly JsonDocumentOptions s_fileOptions = new() { CommentHandling = JsonCommentHandling.Skip, MaxDepth = ConfigNames.MaxFileDepth };

    private static readonly System.Buffers.SearchValues<char> s_hex = System.Buffers.SearchValues.Create("0123456789abcdef");

    private static readonly JsonElement s_empty = Parse("{}"u8.ToArray());

    private readonly PluginConfigOptions _options;
    private readonly HostBus _bus;
    private readonly ILogger _logger;
    private readonly FileLocks _locks = new();
    private readonly Lock _cacheLock = new();
    private readonly Dictionary<string, CachedFile> _cache = new(StringComparer.Ordinal);

    // The size and time of each unreadable file already logged (under _cacheLock): a file is reported once, not at every read.
    private readonly Dictionary<string, (long Length, DateTime Time)> _reported = new(StringComparer.Ordinal);

    // The scope folders already searched for temporary files that crashed writes left.
    private readonly ConcurrentDictionary<string, bool> _swept = new(StringComparer.Ordinal);

    // Counts the cache's stores and clears (under _cacheLock): a reader caches what it read only if no store of that path, and no
    // clear, came after it began; else a reader of the old file could put it back over a writer's newer one (same size and time).
    private long _generation;
    private long _clearedAt;

    public PluginConfigStore(IOptions<PluginIpcOptions> options, HostBus bus, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(bus);
        _options = options.Value.Config.Snapshot();
        _bus = bus;
        _logger = (services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger("PluginIpc.Config");
    }

    /// <summary>Gets or sets what a read runs after it has parsed a file, before it caches it: a test's way to interleave a writer.</summary>
    internal Func<Task>? BeforeReadCached { get; set; }

    /// <summary>Gets or sets what flushes a folder's entries after a rename in it (<see cref="DirectorySync.TryFlush"/>; a test may watch it).</summary>
    internal Func<string, bool> FlushFolder { get; set; } = DirectorySync.TryFlush;

    /// <summary>Gets how old a temporary file must be before the store removes it as a crash's leftover; a live write takes far less.</summary>
    internal static TimeSpan StaleTemporaryAge { get; } = TimeSpan.FromMinutes(5);

    /// <summary>Gets the store's folder, full path.</summary>
    public string Directory => _options.Directory;

    /// <summary>Returns the file of a plugin's scope: <c>{Directory}/{scope}/{plugin}.json</c>.</summary>
    public string PathOf(string plugin, PluginConfigScope scope) => Path.Combine(_options.Directory, ConfigNames.Of(scope), plugin + ".json");

    /// <inheritdoc/>
    public async Task<JsonElement> GetAsync(string plugin, PluginConfigScope scope, CancellationToken cancellationToken = default)
    {
        ConfigNames.ValidatePlugin(plugin, nameof(plugin));
        return (await ReadAsync(PathOf(plugin, scope), cancellationToken).ConfigureAwait(false)).Root;
    }

    /// <inheritdoc/>
    public async Task<JsonElement?> GetAsync(string plugin, PluginConfigScope scope, string key, CancellationToken cancellationToken = default)
    {
        ConfigNames.ValidatePlugin(plugin, nameof(plugin));
        ConfigNames.ValidateKey(key, nameof(key));
        JsonElement root = (await ReadAsync(PathOf(plugin, scope), cancellationToken).ConfigureAwait(false)).Root;
        return root.TryGetProperty(key, out JsonElement value) ? value : null;
    }

    /// <inheritdoc/>
    public Task SetAsync(string plugin, PluginConfigScope scope, string key, JsonElement value, CancellationToken cancellationToken = default)
    {
        if (value.ValueKind == JsonValueKind.Undefined)
        {
            throw new ArgumentException("The value is undefined (default(JsonElement)); JSON null is a value.", nameof(value));
        }

        return ChangeAsync(plugin, scope, key, value, changedBy: null, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<bool> RemoveAsync(string plugin, PluginConfigScope scope, string key, CancellationToken cancellationToken = default) =>
        ChangeAsync(plugin, scope, key, value: null, changedBy: null, cancellationToken);

    /// <summary>Sets (<paramref name="value"/>) or removes (<see langword="null"/>) a key, one change per file at a time, and tells the plugin.</summary>
    /// <param name="plugin">The plugin's name.</param>
    /// <param name="scope">The scope.</param>
    /// <param name="key">The key.</param>
    /// <param name="value">The new value, or <see langword="null"/> to remove the key.</param>
    /// <param name="changedBy">The plugin that asked, or <see langword="null"/> for host code: the publisher of <c>sys.config.changed</c>.</param>
    /// <param name="cancellationToken">Cancels the change until its writing begins.</param>
    /// <returns>Whether the file changed.</returns>
    internal async Task<bool> ChangeAsync(string plugin, PluginConfigScope scope, string key, JsonElement? value, string? changedBy, CancellationToken cancellationToken)
    {
        ConfigNames.ValidatePlugin(plugin, nameof(plugin));
        ConfigNames.ValidateKey(key, nameof(key));
        if (value is { } checkedValue)
        {
            ConfigNames.ValidateValue(checkedValue, nameof(value));
        }

        string path = PathOf(plugin, scope);
        using (await _locks.AcquireAsync(path, cancellationToken).ConfigureAwait(false))
        {
            // Read, change and write under the file's lock: a concurrent change waits for this one and starts from its result.
            JsonElement root = (await ReadAsync(path, cancellationToken).ConfigureAwait(false)).Root;
            bool present = root.TryGetProperty(key, out JsonElement old);
            if (value is { } set ? present && JsonElement.DeepEquals(old, set) : !present)
            {
                return false; // nothing to write, nothing to tell
            }

            byte[] bytes = Compose(root, key, value);
            if (bytes.Length > _options.MaxFileBytes)
            {
                throw new PluginConfigTooLargeException(
                    $"Setting '{key}' would make the configuration file '{path}' {bytes.Length} bytes, more than PluginConfigOptions.MaxFileBytes ({_options.MaxFileBytes}); nothing was changed.");
            }

            // Parsed before it is written: a file the store could not read back is never written.
            JsonElement parsed = Parse(bytes);
            DateTime written = await WriteAtomicallyAsync(path, bytes).ConfigureAwait(false);
            Remember(path, new CachedFile(bytes.Length, written, parsed, 0), readFrom: null);
            string scopeName = ConfigNames.Of(scope);
            ConfigLog.Changed(_logger, plugin, scopeName, key, changedBy ?? "host");
            _bus.DeliverTo(plugin, BusTopics.ConfigChanged, ConfigWire.Changed(plugin, scope, key), changedBy);
            return true;
        }
    }

    /// <summary>The file's object with <paramref name="key"/> set to <paramref name="value"/> (in its place, or last) or removed, indented.</summary>
    private static byte[] Compose(JsonElement root, string key, JsonElement? value)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        bool written = false;
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            foreach (JsonProperty property in root.EnumerateObject())
            {
                if (!property.NameEquals(key))
                {
                    property.WriteTo(writer);
                }
                else if (value is { } replacement && !written)
                {
                    writer.WritePropertyName(key);
                    replacement.WriteTo(writer);
                    written = true;
                }
            }

            if (value is { } added && !written)
            {
                writer.WritePropertyName(key);
                added.WriteTo(writer);
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Writes <paramref name="bytes"/> to a new temporary file beside <paramref name="path"/>, flushes it to disk, and renames it
    /// over <paramref name="path"/>: a reader or a crash sees the old file or the new one, never a part. Returns the file's write time.
    /// </summary>
    private async Task<DateTime> WriteAtomicallyAsync(string path, byte[] bytes)
    {
        string folder = Path.GetDirectoryName(path)!;
        System.IO.Directory.CreateDirectory(folder);
        string temporary = Path.Combine(folder, $"{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            DateTime written;
            var stream = new FileStream(temporary, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, PreallocationSize = bytes.Length });
            await using (stream.ConfigureAwait(false))
            {
                // Not cancellable once begun: the change either happens whole or not at all.
                await stream.WriteAsync(bytes, CancellationToken.None).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
                written = File.GetLastWriteTimeUtc(stream.SafeFileHandle); // the rename keeps it: the cache's stamp of the new file
            }

            File.Move(temporary, path, overwrite: true);

            // The rename is durable only once the folder is: else a power loss may bring back the old file (best effort).
            FlushFolder(folder);
            return written;
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    private void TryDelete(string temporary)
    {
        try
        {
            File.Delete(temporary);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ConfigLog.TempNotDeleted(_logger, temporary, ex); // left beside the file, which it never affects
        }
    }

    /// <summary>
    /// Removes, the first time this store uses a scope folder, the temporary files (<c>{plugin}.json.{32 hex digits}.tmp</c>) older
    /// than <see cref="StaleTemporaryAge"/> that writes interrupted by a crash left there. Best effort: a failure is logged.
    /// </summary>
    private void SweepOnce(string folder)
    {
        if (!_swept.TryAdd(folder, true))
        {
            return;
        }

        try
        {
            DateTime staleBefore = DateTime.UtcNow - StaleTemporaryAge;
            foreach (string file in System.IO.Directory.EnumerateFiles(folder, "*.json.*.tmp"))
            {
                // Younger ones may be a live write's, of this process or another sharing the folder.
                if (!IsTemporaryName(Path.GetFileName(file)) || File.GetLastWriteTimeUtc(file) > staleBefore)
                {
                    continue;
                }

                try
                {
                    File.Delete(file);
                    ConfigLog.TempRemoved(_logger, file);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    ConfigLog.TempNotDeleted(_logger, file, ex);
                }
            }
        }
        catch (DirectoryNotFoundException)
        {
            // Nothing written there yet.
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ConfigLog.SweepFailed(_logger, folder, ex);
        }
    }

    /// <summary>Whether <paramref name="name"/> is a temporary file's name of <see cref="WriteAtomicallyAsync"/>: <c>{plugin}.json.{32 hex digits}.tmp</c>.</summary>
    private static bool IsTemporaryName(string name)
    {
        const int Suffix = 42; // ".json." + 32 hex digits + ".tmp"
        return name.Length > Suffix
            && name.EndsWith(".tmp", StringComparison.Ordinal)
            && name.AsSpan(name.Length - Suffix, 6).SequenceEqual(".json.")
            && !name.AsSpan(name.Length - 36, 32).ContainsAnyExcept(s_hex);
    }

    /// <summary>Reads and parses a file (an empty object when there is none), or returns it from the cache while its size and time are the same.</summary>
    /// <exception cref="InvalidDataException">The file is not a JSON object, or is larger than the limit.</exception>
    private async Task<CachedFile> ReadAsync(string path, CancellationToken cancellationToken)
    {
        SweepOnce(Path.GetDirectoryName(path)!);
        long began;
        lock (_cacheLock)
        {
            began = _generation; // before the file is opened: any write that may follow stores after this
        }

        SafeFileHandle handle;
        try
        {
            // Delete sharing: a writer may rename over the file while it is read (the reader keeps the old one).
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.Asynchronous);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return new CachedFile(0, default, s_empty, 0);
        }

        using (handle)
        {
            long length = RandomAccess.GetLength(handle);
            DateTime time = File.GetLastWriteTimeUtc(handle);
            lock (_cacheLock)
            {
                if (_cache.TryGetValue(path, out CachedFile? cached) && cached.Length == length && cached.Time == time)
                {
                    return cached;
                }
            }

            if (length > _options.MaxFileBytes)
            {
                throw Invalid(path, length, time, $"it is {length} bytes, more than PluginConfigOptions.MaxFileBytes ({_options.MaxFileBytes})");
            }

            byte[] bytes = new byte[length];
            int read = 0;
            while (read < bytes.Length)
            {
                int count = await RandomAccess.ReadAsync(handle, bytes.AsMemory(read), read, cancellationToken).ConfigureAwait(false);
                if (count == 0)
                {
                    break; // shortened while read (not by this store, which never writes in place): what was there
                }

                read += count;
            }

            JsonElement root;
            try
            {
                root = Parse(bytes.AsMemory(0, read));
            }
            catch (JsonException ex)
            {
                throw Invalid(path, length, time, ex.Message);
            }

            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Invalid(path, length, time, $"it holds a JSON {root.ValueKind.ToString().ToLowerInvariant()}, not an object");
            }

            var file = new CachedFile(length, time, root, 0);
            if (BeforeReadCached is { } hook)
            {
                await hook().ConfigureAwait(false);
            }

            Remember(path, file, readFrom: began);
            return file;
        }
    }

    /// <summary>Caches <paramref name="file"/>: always a writer's (<paramref name="readFrom"/> null, under the file's lock); a reader's only if nothing newer was stored since it began.</summary>
    private void Remember(string path, CachedFile file, long? readFrom)
    {
        lock (_cacheLock)
        {
            if (readFrom is { } began && (_clearedAt > began || (_cache.TryGetValue(path, out CachedFile? stored) && stored.Generation > began)))
            {
                return;
            }

            if (_cache.Count >= MaxCached && !_cache.ContainsKey(path))
            {
                _cache.Clear();
                _clearedAt = ++_generation;
            }

            _cache[path] = file with { Generation = ++_generation };
            _reported.Remove(path); // readable again: a later fault is news

        }
    }

    private InvalidDataException Invalid(string path, long length, DateTime time, string reason)
    {
        bool news;
        lock (_cacheLock)
        {
            // Once per version of the file (its size and time): a plugin that polls a broken file must not flood the log.
            news = !_reported.TryGetValue(path, out (long Length, DateTime Time) seen) || seen != (length, time);
            if (news)
            {
                if (_reported.Count >= MaxCached && !_reported.ContainsKey(path))
                {
                    _reported.Clear();
                }

                _reported[path] = (length, time);
            }
        }

        if (news)
        {
            ConfigLog.FileInvalid(_logger, path, reason);
        }

        return new InvalidDataException($"The configuration file '{path}' is not a JSON object of at most {_options.MaxFileBytes} bytes: {reason.TrimEnd('.')}. It was left as it is; fix or remove it.");
    }

    private static JsonElement Parse(ReadOnlyMemory<byte> bytes)
    {
        using JsonDocument document = JsonDocument.Parse(bytes, s_fileOptions);
        return document.RootElement.Clone();
    }

    /// <summary>A parsed file, the size and write time it had, and when the cache stored it (<see cref="_generation"/>).</summary>
    private sealed record CachedFile(long Length, DateTime Time, JsonElement Root, long Generation);
}
