using System.CommandLine;

namespace Bszo.Cli;

/// <summary>Entry point of the <c>bszo</c> command.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("Bszo: fine-tune ONNX models with forward passes only (BSZO, MeZO, SubZero) on ONNX Runtime.");
        return root.Parse(args).Invoke();
    }
}
