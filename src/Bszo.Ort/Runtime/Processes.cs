using System.Diagnostics;

namespace Bszo.Ort.Runtime;

/// <summary>Whether other processes are still there: the owners of partial files, the program that started a worker.</summary>
public static class Processes
{
    /// <summary>True while process <paramref name="pid"/> runs (this process always does).</summary>
    public static bool IsRunning(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false; // no such process
        }
        catch (InvalidOperationException)
        {
            return false; // it exited while we looked
        }
    }
}
