using System.Diagnostics;

namespace PluginIpc;

/// <content>The scope of one observed request.</content>
internal static partial class ChannelTelemetry
{
    /// <summary>One observed request: its activity, its start time and its outcome.</summary>
    /// <remarks>A mutable struct kept in the caller's (async) frame, so observing a request allocates nothing beyond its activity.</remarks>
    internal struct CallScope
    {
        private readonly string? _channel;
        private readonly Activity? _activity;
        private readonly long _start;
        private readonly bool _server;
        private Exception? _failure;

        internal CallScope(string channel, Activity? activity, bool measure, bool server = false)
        {
            _channel = measure ? channel : null;
            _activity = activity;
            _start = measure ? Stopwatch.GetTimestamp() : 0;
            _server = server;
        }

        /// <summary>Records that the request failed; returns <see langword="false"/>, so it can sit in an exception filter.</summary>
        public bool Fail(Exception exception)
        {
            _failure ??= exception;
            return false;
        }

        /// <summary>Ends the activity and records the request's metrics.</summary>
        public readonly void Stop()
        {
            if (_activity is not null)
            {
                if (_failure is not null)
                {
                    _activity.SetStatus(ActivityStatusCode.Error, _failure.Message);
                    _activity.SetTag(ErrorTypeTag, ErrorType(_failure));
                }

                _activity.Stop();
            }

            if (_channel is null)
            {
                return;
            }

            var tags = new TagList
            {
                { ChannelTag, _channel },
                { DirectionTag, _server ? "server" : "client" },
                { OutcomeTag, _failure is null ? "ok" : "error" },
            };
            s_calls.Add(1, tags);
            s_duration.Record(Stopwatch.GetElapsedTime(_start).TotalSeconds, tags);
            if (_failure is not null)
            {
                tags.Add(ErrorTypeTag, ErrorType(_failure));
                s_errors.Add(1, tags);
            }
        }
    }
}
