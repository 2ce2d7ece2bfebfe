using Bszo.Ort.Graph;

namespace Bszo.Bench.Setup;

/// <summary>Turns a benchmark model into Bszo's training model, as `bszo prepare` does.</summary>
public static class TrainingPreparation
{
    /// <summary>
    /// Prepares <paramref name="model"/> into <paramref name="directory"/>: every float weight becomes a
    /// graph input read from Bszo's weight store (not the card's default list, which for the default
    /// model is its head alone: memory and speed are compared with full-model PyTorch MeZO). Decoders get the candidate loss head in its generation protocol (the mean
    /// next-token log-likelihood of the target positions), classifiers the cross-entropy head.
    /// </summary>
    public static PreparedModel Prepare(BenchModel model, string directory)
    {
        ArgumentNullException.ThrowIfNull(model);
        var card = model.Card;
        var logits = card.Outputs.GetValueOrDefault("logits", "logits");
        LossHead head = model.IsDecoder
            ? CandidateLossHead.Create(logits, CandidateProtocol.Generation)
            : ClassificationLossHead.Create(logits, "labels");
        return TrainingModelBuilder.Prepare(model.GraphPath, directory, new PrepareOptions { Loss = head, Trainable = [] });
    }
}
