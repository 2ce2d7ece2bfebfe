using Bszo.Cluster.Protocol;
using Bszo.Ort;
using Bszo.Ort.Optimizers;
using Bszo.Ort.Runtime;

namespace Bszo.Cluster.Worker;

/// <summary>
/// The loss of a forward pass across the cluster: runs this worker's shard, sends the shard's loss sum
/// and example count, and returns the global mean the coordinator computed — the same double on every
/// worker, so every worker's optimizer takes the same branch and applies the same sweeps.
/// </summary>
internal sealed class ClusterLossEvaluator(CoordinatorLink link, TrainingGraphSession? session, long step, TimeSpan waitLimit, CancellationToken cancellationToken) : ILossEvaluator
{
    private int _evaluation;

    public double Evaluate()
    {
        double sum = 0;
        long count = 0;
        if (session is not null)
        {
            try
            {
                session.Loss();
            }
            catch (TrainingDivergedException)
            {
                // The non-finite sum below reaches the coordinator, which stops the whole run with the error.
            }
            var losses = session.ExampleLosses;
            for (int i = 0; i < losses.Length; i++) sum += losses[i]; // in example order, in double: as TrainingGraphSession.Loss
            count = losses.Length;
        }
        var part = new LossContribution { Worker = link.Worker, Incarnation = link.Incarnation, Step = step, Evaluation = _evaluation++, Sum = sum, Count = count };
        var reply = link.Poll(g => g.Submit(part), r => r.Verdict == Verdict.Retry, waitLimit, $"the loss of step {step}", cancellationToken);
        return reply.Verdict switch
        {
            Verdict.Go => reply.Loss,
            Verdict.Failed => Throw.Bszo<double>(reply.Error ?? "The run failed."),
            _ => throw new MembershipLostException($"Dropped from step {step}: {reply.Error ?? reply.Verdict.ToString()}"),
        };
    }
}
