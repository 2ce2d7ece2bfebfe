using System.CommandLine;
using Bszo.Cli.Display;
using Bszo.Ort.Optimizers;

namespace Bszo.Cli.Commands;

/// <summary><c>bszo optimizers</c>: the zeroth-order methods, with their defaults and sources.</summary>
internal static class OptimizersCommand
{
    /// <summary>The command.</summary>
    public static Command Create(CliConsole console)
    {
        var command = new Command("optimizers", "List the optimizers --optimizer accepts, with their published defaults and sources.");
        command.SetAction(_ =>
        {
            console.Out.WriteLine(OptimizerCatalog.Describe());
            console.Out.WriteLine();
            console.Out.WriteLine("Override a method's options with --optimizer-option key=value (e.g. subspace-dimension=4, rank=16).");
            return 0;
        });
        return command;
    }
}
