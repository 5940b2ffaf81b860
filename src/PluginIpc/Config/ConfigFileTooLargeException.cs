namespace PluginIpc;

/// <summary>A change that would make a configuration file larger than <see cref="PluginConfigOptions.MaxFileBytes"/>; told apart from other <see cref="InvalidOperationException"/>s to answer <see cref="ErrorCodes.ConfigTooLarge"/>.</summary>
internal sealed class ConfigFileTooLargeException(string message) : InvalidOperationException(message);
