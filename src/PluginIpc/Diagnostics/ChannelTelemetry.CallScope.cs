using System.Diagnostics;

namespace PluginIpc;

/// <content>The scope of one observed request.</content>
internal sealed partial class ChannelTelemetry
{
    /// <summary>One observed request: its activity, its start time and its outcome.</summary>
    /// <remarks>A mutable struct kept in the caller's (async) frame, so observing a request allocates nothing beyond its activity.</remarks>
    internal struct CallScope
    {
        private readonly ChannelTelemetry? _owner;
        private readonly Activity? _activity;
        private readonly string? _method;
        private readonly long _start;
        private readonly bool _measure;
        private readonly bool _server;
        private Exception? _failure;
        private string? _errorCode;
        private bool _cancelled;

        internal CallScope(ChannelTelemetry owner, Activity? activity, string method, bool measure, bool server)
        {
            _owner = owner;
            _activity = activity;
            _method = method;
            _measure = measure;
            _start = measure ? Stopwatch.GetTimestamp() : 0;
            _server = server;
        }

        /// <summary>Records that the request failed; returns <see langword="false"/>, so it can sit in an exception filter.</summary>
        public bool Fail(Exception exception)
        {
            _failure ??= exception;
            return false;
        }

        /// <summary>Records that a handler failed with <paramref name="exception"/>, cancelled by <paramref name="requestToken"/> or not.</summary>
        public void Fail(Exception exception, CancellationToken requestToken)
        {
            if (_failure is null)
            {
                _failure = exception;
                _cancelled = exception is OperationCanceledException; // answered CANCELLED, asked for or not (see Channel.ReportHandlerFailureAsync)
            }
        }

        /// <summary>Records that the library answered the request with the error <paramref name="code"/> (one of <see cref="ErrorCodes"/>), with no handler involved.</summary>
        public void Fail(string code) => _errorCode ??= code;

        /// <summary>Ends the activity and records the request's duration.</summary>
        public readonly void Stop()
        {
            if (_owner is null)
            {
                return;
            }

            string? errorType = _errorCode;
            if (errorType is null && _failure is not null)
            {
                errorType = _server ? _owner.Metrics.HandlerErrorType(_failure, _cancelled) : _owner.Metrics.ErrorType(_failure);
            }

            if (_activity is not null)
            {
                if (errorType is not null)
                {
                    _activity.SetStatus(ActivityStatusCode.Error, _failure?.Message ?? errorType);
                    _activity.SetTag(TelemetryNames.ErrorTypeAttribute, errorType);
                }

                _activity.Stop();
            }

            if (!_measure)
            {
                return;
            }

            double seconds = Stopwatch.GetElapsedTime(_start).TotalSeconds;
            var tags = new TagList
            {
                s_systemNameTag,
                { TelemetryNames.MethodAttribute, _method },
                _owner._channelTag,
            };
            if (errorType is not null)
            {
                tags.Add(TelemetryNames.ErrorTypeAttribute, errorType);
            }

            (_server ? _owner.Metrics.ServerCallDuration : _owner.Metrics.ClientCallDuration).Record(seconds, in tags);
        }
    }
}
