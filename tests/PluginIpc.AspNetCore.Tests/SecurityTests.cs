using System.Net;
using System.Net.WebSockets;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace PluginIpc.AspNetCore.Tests;

/// <summary>The start rule, bearer tokens, RequireAuthorization, the loopback switch and origins.</summary>
[TestFixture]
[Parallelizable(ParallelScope.None)]
public sealed class SecurityTests
{
    private const string Token = "a-test-token-of-32-characters-xx";
    private const string Echo = """{"jsonrpc":"2.0","id":1,"method":"echo/echo","params":["x"]}""";

    [Test]
    public void A_gateway_without_authentication_refuses_to_start()
    {
        InvalidOperationException? failure = Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await using GatewayApp app = await GatewayApp.StartAsync(o => o.Expose("echo"));
        });
        Assert.That(failure!.Message, Does.Contain("RequireAuthorization").And.Contain("BearerToken").And.Contain("AllowUnauthenticatedLoopback"));
    }

    [Test]
    public void Invalid_options_fail_the_start_naming_the_option()
    {
        OptionsValidationException? failure = Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            await using GatewayApp app = await GatewayApp.StartAsync(o =>
            {
                o.AllowUnauthenticatedLoopback = true;
                o.MaxSendQueueMessages = 0;
            });
        });
        Assert.That(failure!.Message, Does.Contain("MaxSendQueueMessages"));

        // One byte past the limit must fit an array: int.MaxValue overflowed on the first message.
        OptionsValidationException? huge = Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            await using GatewayApp app = await GatewayApp.StartAsync(o =>
            {
                o.AllowUnauthenticatedLoopback = true;
                o.MaxMessageBytes = int.MaxValue;
                o.MaxSendQueueBytes = int.MaxValue;
            });
        });
        Assert.That(huge!.Message, Does.Contain("MaxMessageBytes must be from 64"));
    }

    [Test]
    public async Task An_idle_timeout_of_a_year_is_taken()
    {
        // Its check runs a quarter of it apart: over about 198 days, that was a timer's period no timer takes.
        await using GatewayApp app = await GatewayApp.StartAsync(o =>
        {
            o.AllowUnauthenticatedLoopback = true;
            o.Expose("echo");
            o.IdleTimeout = TimeSpan.FromDays(365);
        });
        using System.Net.WebSockets.ClientWebSocket socket = await app.ConnectAsync();
        await socket.SendAsync("""{"jsonrpc":"2.0","id":1,"method":"echo/echo","params":["x"]}""");
        Assert.That((await socket.ReceiveJsonAsync())!.Value.GetProperty("result").GetString(), Is.EqualTo("x"));
    }

    [Test]
    public async Task A_bearer_token_is_required_and_compared()
    {
        await using GatewayApp app = await GatewayApp.StartAsync(o => o.Expose("echo").BearerToken = Token);
        using (HttpResponseMessage none = await app.PostAsync(Echo))
        {
            Assert.That(none.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        }

        using (HttpResponseMessage wrong = await app.PostAsync(Echo, token: Token[..^1] + "y"))
        {
            Assert.That(wrong.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        }

        using (HttpResponseMessage right = await app.PostAsync(Echo, token: Token))
        {
            Assert.That(right.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        var refused = Assert.ThrowsAsync<WebSocketException>(async () => (await app.ConnectAsync()).Dispose());
        Assert.That(refused!.Message, Does.Contain("401"));
        using ClientWebSocket byHeader = await app.ConnectAsync(token: Token);
        using ClientWebSocket byQuery = await app.ConnectAsync(query: "access_token=" + Token);
        Assert.That(byQuery.State, Is.EqualTo(WebSocketState.Open));
    }

    [Test]
    public async Task RequireAuthorization_lets_the_applications_scheme_decide()
    {
        await using GatewayApp app = await GatewayApp.StartAsync(
            o => o.Expose("echo"),
            builder =>
            {
                HeaderAuthenticationHandler.Register(builder);
            },
            gateway => gateway.RequireAuthorization());
        using (HttpResponseMessage anonymous = await app.PostAsync(Echo))
        {
            Assert.That(anonymous.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        }

        var request = new HttpRequestMessage(HttpMethod.Post, "/plugins/rpc") { Content = new StringContent(Echo, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Add(HeaderAuthenticationHandler.Header, "alice");
        using HttpResponseMessage alice = await app.Http.SendAsync(request);
        Assert.That(alice.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task System_topics_are_allowed_only_when_listed_exactly()
    {
        await using GatewayApp app = await GatewayApp.StartAsync(o =>
        {
            o.AllowUnauthenticatedLoopback = true;
            o.Expose("echo");
            o.AllowedTopics.Add("*");
            o.AllowedTopics.Add("sys.*");
            o.AllowedTopics.Add("sys.restart");
        });
        using ClientWebSocket socket = await app.ConnectAsync();

        // sys.config.changed tells which plugin changed which key: "*" or "sys.*" never give it away.
        await socket.SendAsync("""{"jsonrpc":"2.0","id":1,"method":"$/subscribe","params":{"topic":"sys.config.changed"}}""");
        JsonRpcCallTests.AssertError((await socket.ReceiveJsonAsync())!.Value, -32003, "FORBIDDEN");
        await socket.SendAsync("""{"jsonrpc":"2.0","id":2,"method":"$/subscribe","params":{"topic":"sys.restart"}}""");
        Assert.That((await socket.ReceiveJsonAsync())!.Value.GetProperty("result").GetBoolean(), Is.True, "listed exactly");
        await socket.SendAsync("""{"jsonrpc":"2.0","id":3,"method":"$/subscribe","params":{"topic":"news.today"}}""");
        Assert.That((await socket.ReceiveJsonAsync())!.Value.GetProperty("result").GetBoolean(), Is.True, "other topics match patterns as before");
    }

    [Test]
    public async Task The_loopback_switch_refuses_remote_clients()
    {
        await using GatewayApp app = await GatewayApp.StartAsync(
            o => o.Expose("echo").AllowUnauthenticatedLoopback = true,
            build: null,
            gateway => gateway.Add(endpoint =>
            {
                // Looks like a remote client: the connection's address is rewritten before the gateway sees it.
                RequestDelegate inner = endpoint.RequestDelegate!;
                endpoint.RequestDelegate = context =>
                {
                    if (context.Request.Headers.ContainsKey("X-Test-Remote"))
                    {
                        context.Connection.RemoteIpAddress = IPAddress.Parse("203.0.113.7");
                    }

                    return inner(context);
                };
            }));
        using (HttpResponseMessage local = await app.PostAsync(Echo))
        {
            Assert.That(local.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        var request = new HttpRequestMessage(HttpMethod.Post, "/plugins/rpc") { Content = new StringContent(Echo, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Test-Remote", "1");
        using HttpResponseMessage remote = await app.Http.SendAsync(request);
        Assert.That(remote.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task Origins_not_listed_are_refused_on_websocket_and_post()
    {
        await using GatewayApp app = await GatewayApp.StartAsync(o =>
        {
            o.Expose("echo").AllowUnauthenticatedLoopback = true;
            o.AllowedOrigins.Add("https://app.example");
        });
        var refused = Assert.ThrowsAsync<WebSocketException>(async () => (await app.ConnectAsync(origin: "https://evil.example")).Dispose());
        Assert.That(refused!.Message, Does.Contain("403"));
        using ClientWebSocket allowed = await app.ConnectAsync(origin: "https://app.example");
        using ClientWebSocket noOrigin = await app.ConnectAsync();

        using HttpResponseMessage post = await app.PostAsync(Echo, origin: "https://evil.example");
        Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
    }
}
