using Bszo.Ort.Graph;

namespace Bszo.Bench.Setup;

/// <summary>Turns a benchmark model into Bszo's training model, as `bszo prepare` does.</summary>
public static class TrainingPreparation
{
    /// <summary>
    /// Prepares the model of <paramref name="workload"/> into <paramref name="directory"/>: every float
    /// weight becomes a graph input read from Bszo's weight store (not the card's default list, which for
    /// the default model is its head alone: memory and speed are compared with full-model PyTorch MeZO).
    /// Decoders get the candidate loss head: under the prompt protocol its classification over
    /// candidates, otherwise its generation protocol over every position (the mean next-token
    /// log-likelihood); <paramref name="scoredPositionsOnly"/> chooses whether the LM head runs only where
    /// the loss reads it. Classifiers get the cross-entropy head.
    /// </summary>
    public static PreparedModel Prepare(Workload workload, string directory, bool scoredPositionsOnly)
    {
        ArgumentNullException.ThrowIfNull(workload);
        var model = workload.Model;
        var card = model.Card;
        var logits = card.Outputs.GetValueOrDefault("logits", "logits");
        LossHead head = model.IsDecoder
            ? CandidateLossHead.Create(logits, workload.Prompt ? CandidateProtocol.Classification : CandidateProtocol.Generation, scoredPositionsOnly)
            : ClassificationLossHead.Create(logits, "labels");
        return TrainingModelBuilder.Prepare(model.GraphPath, directory, new PrepareOptions { Loss = head, Trainable = [] });
    }
}
