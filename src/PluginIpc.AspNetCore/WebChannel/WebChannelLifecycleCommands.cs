namespace PluginIpc.AspNetCore.WebChannel;

/// <summary>The one-way commands the gateway sends plugins about their pages; clients may not send them.</summary>
internal static class WebChannelLifecycleCommands
{
    public const string OnInit = "onInit";
    public const string OnPageReady = "onPageReady";
    public const string OnDataChanged = "onDataChanged";
    public const string OnBeforeDestroy = "onBeforeDestroy";
    public const string OnDestroy = "onDestroy";

    public static bool IsLifecycle(string cmd) =>
        cmd is OnInit or OnPageReady or OnDataChanged or OnBeforeDestroy or OnDestroy;
}
