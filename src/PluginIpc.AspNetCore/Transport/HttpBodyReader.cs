using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace PluginIpc.AspNetCore.Transport;

/// <summary>Reads a request body of at most a limit: a declared or actual length over it is refused before the body is read whole.</summary>
internal static class HttpBodyReader
{
    /// <summary>Reads the body into <paramref name="buffer"/>; returns <see langword="false"/> when it is over the buffer's limit.</summary>
    public static async Task<bool> TryReadAsync(HttpRequest request, BoundedMessageBuffer buffer, int maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes)
        {
            return false;
        }

        // Kestrel's own limit too, so that a chunked body over it fails in the server rather than in our loop alone.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = maxBytes + 1L;
        }

        while (true)
        {
            int read;
            try
            {
                read = await request.Body.ReadAsync(buffer.GetFree(), cancellationToken).ConfigureAwait(false);
            }
            catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                return false; // the server's limit (ours + 1) counted a chunk before this loop saw it: the same refusal
            }

            if (read == 0)
            {
                return true;
            }

            buffer.Advance(read);
            if (buffer.Exceeded)
            {
                return false;
            }
        }
    }
}
