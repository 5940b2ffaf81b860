using System.IO.Compression;
using System.Xml.Linq;

namespace PluginIpc.Hosting.Tests.Packaging;

/// <summary>A .nupkg that <c>dotnet pack</c> wrote, its nuspec read.</summary>
internal sealed class PackedPackage
{
    private PackedPackage(string path, XElement metadata)
    {
        Path = path;
        Metadata = metadata;
        Id = Element("id");
        Version = Element("version");
        Dependencies = [.. metadata.Descendants().Where(e => e.Name.LocalName == "dependency")
            .Select(e => (Id: (string)e.Attribute("id")!, Version: (string)e.Attribute("version")!))];
    }

    /// <summary>Gets the path of the .nupkg.</summary>
    public string Path { get; }

    /// <summary>Gets the nuspec's metadata element.</summary>
    public XElement Metadata { get; }

    /// <summary>Gets the package id.</summary>
    public string Id { get; }

    /// <summary>Gets the package version.</summary>
    public string Version { get; }

    /// <summary>Gets the path of the symbol package that goes with it.</summary>
    public string SymbolsPath => System.IO.Path.ChangeExtension(Path, ".snupkg");

    /// <summary>Gets the dependencies of every target framework group, in nuspec order.</summary>
    public IReadOnlyList<(string Id, string Version)> Dependencies { get; }

    /// <summary>Reads the nuspec of the package at <paramref name="path"/>.</summary>
    public static PackedPackage Read(string path)
    {
        using ZipArchive zip = ZipFile.OpenRead(path);
        ZipArchiveEntry nuspec = zip.Entries.Single(e => !e.FullName.Contains('/', StringComparison.Ordinal) && e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        using Stream stream = nuspec.Open();
        XElement metadata = XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        return new PackedPackage(path, metadata);
    }

    /// <summary>Returns the value of the nuspec metadata element named <paramref name="name"/>, or <see langword="null"/>.</summary>
    public string? Optional(string name) => Metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value;

    /// <summary>Returns the text of the entry <paramref name="entryName"/> of <paramref name="packagePath"/>, or <see langword="null"/>.</summary>
    public static string? ReadEntry(string packagePath, string entryName)
    {
        using ZipArchive zip = ZipFile.OpenRead(packagePath);
        if (zip.GetEntry(entryName) is not { } entry)
        {
            return null;
        }

        using var reader = new StreamReader(entry.Open());
        return reader.ReadToEnd();
    }

    /// <summary>Returns the names of the entries of <paramref name="packagePath"/>.</summary>
    public static IReadOnlyList<string> EntryNames(string packagePath)
    {
        using ZipArchive zip = ZipFile.OpenRead(packagePath);
        return [.. zip.Entries.Select(e => e.FullName)];
    }

    private string Element(string name) => Optional(name) ?? throw new InvalidDataException($"The nuspec of {Path} has no <{name}>.");
}
