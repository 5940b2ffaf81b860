global using NUnit.Framework;
global using PluginIpc;
global using PluginIpc.AspNetCore;
