namespace Bszo.Bench.Probes;

/// <summary>The child side: <c>Bszo.Bench probe REQUEST RESULT</c> measures one request and writes its result.</summary>
public static class ProbeCommand
{
    public static int Run(string requestPath, string resultPath)
    {
        var request = ProbeRequest.Load(requestPath);
        switch (request.Kind)
        {
            case "inference":
                InferenceProbe.Run(request).Save(resultPath);
                break;
            case "train":
                TrainProbe.Run(request).Save(resultPath);
                break;
            case "speed":
                SpeedProbe.Run(request).Save(resultPath);
                break;
            default:
                Throw.Bszo($"Unknown probe kind '{request.Kind}'.", "inference, train or speed", request.Kind);
                break;
        }
        return 0;
    }
}
