using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using System.Reflection;

namespace PluginIpc.AspNetCore.Tests;

/// <summary>A real Kestrel app on a free loopback port with the gateway at /plugins and real plugin processes (started on first use).</summary>
internal sealed class GatewayApp : IAsyncDisposable
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private GatewayApp(WebApplication app, Uri address, PluginLogWaiter logs)
    {
        Logs = logs;
        App = app;
        Address = address;
        Http = new HttpClient { BaseAddress = address, Timeout = Wait };
    }

    public WebApplication App { get; }

    /// <summary>Gets what the plugins logged through the host, to await an entry.</summary>
    public PluginLogWaiter Logs { get; }

    public Uri Address { get; }

    public HttpClient Http { get; }

    public IServiceProvider Services => App.Services;

    /// <summary>Builds the app (plugins echo, greeter, greeter-json, broken, probe) and starts it; throws what its start throws.</summary>
    public static async Task<GatewayApp> StartAsync(Action<PluginGatewayOptions> configure, Action<WebApplicationBuilder>? build = null, Action<IEndpointConventionBuilder>? map = null, Action<WebApplication>? mapMore = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var logs = new PluginLogWaiter();
        builder.Logging.AddProvider(logs);
        if (Environment.GetEnvironmentVariable("GATEWAY_TEST_LOG") == "1")
        {
            builder.Logging.AddProvider(new ProgressLoggerProvider());
        }
        builder.Services.AddPlugin("echo", o => Dotnet(o, PluginPath("EchoPlugin")));
        builder.Services.AddPlugin("greeter", o => Dotnet(o, PluginPath("TestPlugin"), "greeter"));
        builder.Services.AddPlugin("greeter-json", o => Dotnet(o, PluginPath("TestPlugin"), "greeter", "json"));
        builder.Services.AddPlugin("probe", o => Dotnet(o, PluginPath("TestPlugin"), "gateway"));
        builder.Services.AddPlugin("broken", o =>
        {
            Dotnet(o, PluginPath("TestPlugin"), "exit", "5");
            o.RestartPolicy = RestartPolicy.Never;
        });
        builder.Services.AddPluginGateway(configure);
        build?.Invoke(builder);
        WebApplication app = builder.Build();
        IEndpointConventionBuilder gateway = app.MapPluginGateway("/plugins");
        map?.Invoke(gateway);
        mapMore?.Invoke(app);
        try
        {
            await app.StartAsync().WaitAsync(Wait);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        string url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new GatewayApp(app, new Uri(url), logs);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        try
        {
            await App.StopAsync().WaitAsync(Wait);
        }
        finally
        {
            await App.DisposeAsync();
        }
    }

    /// <summary>POSTs <paramref name="body"/> to /plugins/rpc.</summary>
    public Task<HttpResponseMessage> PostAsync(string body, string? token = null, string? origin = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/plugins/rpc") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        return Http.SendAsync(request);
    }

    /// <summary>POSTs <paramref name="body"/> and returns the response's JSON (200 expected).</summary>
    public async Task<JsonElement> RpcAsync(string body)
    {
        using HttpResponseMessage response = await PostAsync(body);
        string text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(System.Net.HttpStatusCode.OK), text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Opens a WebSocket to /plugins/ws.</summary>
    public async Task<ClientWebSocket> ConnectAsync(string? token = null, string? origin = null, string? query = null)
    {
        var socket = new ClientWebSocket();
        if (token is not null)
        {
            socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        }

        if (origin is not null)
        {
            socket.Options.SetRequestHeader("Origin", origin);
        }

        var uri = new UriBuilder(Address) { Scheme = "ws", Path = "/plugins/ws", Query = query ?? string.Empty }.Uri;
        using var timeout = new CancellationTokenSource(Wait);
        await socket.ConnectAsync(uri, timeout.Token);
        return socket;
    }

    /// <summary>Gets the dotnet host that runs the tests.</summary>
    internal static string DotnetPath { get; } =
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath ? hostPath
        : Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath!
        : "dotnet";

    /// <summary>Gets what the build recorded in the test assembly's <c>PluginIpc.Gateway.{name}</c> metadata (a path, the configuration).</summary>
    internal static string Setting(string name) =>
        typeof(GatewayApp).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "PluginIpc.Gateway." + name).Value!;

    internal static string PluginPath(string name) => Setting(name);

    internal static void Dotnet(PluginOptions options, string dll, params string[] arguments)
    {
        options.ExecutablePath = DotnetPath;
        options.StartTimeout = Wait;
        options.Arguments.Add("exec");
        options.Arguments.Add(dll);
        foreach (string argument in arguments)
        {
            options.Arguments.Add(argument);
        }
    }
}
