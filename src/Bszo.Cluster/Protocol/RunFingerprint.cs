namespace Bszo.Cluster.Protocol;

/// <summary>
/// What makes two processes train the same run, as far as the spec does not already say it: the
/// same base weights (so the same prepared model and trainable tensors) and the same training
/// examples. The coordinator takes its lead's and refuses workers whose own differ.
/// </summary>
/// <param name="BaseWeightsSha256">SHA-256 of the base weights (the prepared model's manifest).</param>
/// <param name="TrainableElements">Trainable scalars.</param>
/// <param name="TrainExamplesSha256">SHA-256 over the training examples' prompts, candidates and labels.</param>
[GenerateSerializer]
[Immutable]
[Alias("bszo.cluster.RunFingerprint")]
public sealed record RunFingerprint([property: Id(0)] string BaseWeightsSha256, [property: Id(1)] long TrainableElements, [property: Id(2)] string TrainExamplesSha256);
