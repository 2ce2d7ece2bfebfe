namespace Bszo.Cluster.Host;

/// <summary>
/// Entry point of <c>bszo-cluster</c>, the program other machines run to take part in a data-parallel
/// <c>bszo finetune</c> run: it is <c>bszo worker</c> (same options, same exit codes), under the name
/// the scale-out documentation uses.
/// </summary>
public static class Program
{
    public static int Main(string[] args) => Cli.Program.Main([Cli.Commands.WorkerCommand.Name, .. args]);
}
