using System.Diagnostics;
using Bszo.Models.Training;
using Bszo.Tests.Support;

namespace Bszo.Tests.Cli;

/// <summary>A run whose disk fills up stops with a clear error, keeps what it wrote, and resumes once there is space.</summary>
public class FullDiskTests
{
    [Test]
    public void A_full_disk_stops_the_run_cleanly_and_resume_finishes_it()
    {
        using var temp = new TempDirectory();
        var model = FeatureModel.Write(temp["model"]);
        var data = FeatureModel.WriteBlobs(temp["data.csv"], 400, seed: 3);
        var mountPoint = Directory.CreateDirectory(temp["small-disk"]).FullName;
        // A small file system of its own (tmpfs); needs the right to mount, which root in a container usually has.
        Assume.That(Sh("mount", "-t", "tmpfs", "-o", "size=100k", "tmpfs", mountPoint), Is.Zero, "cannot mount a tmpfs here");
        try
        {
            var run = Path.Combine(mountPoint, "run");
            var full = CliRunner.Run([.. FeatureModel.FinetuneArgs(model, data, run, 1000, "--eval-every", "250"), "--no-plots"]);
            Assert.That(full.ExitCode, Is.EqualTo(1), full.ToString());
            Assert.That(full.Error, Does.Contain("No space left on device").And.Contain("--resume"));
            var (_, logged) = Bszo.Ort.Optimizers.TrajectoryLog.Read(Path.Combine(run, "trajectory.jsonl"));
            Assert.That(logged.Count, Is.InRange(1, 999), "the steps written before the disk filled are readable");

            Assert.That(Sh("mount", "-o", "remount,size=20m", mountPoint), Is.Zero);
            var resumed = CliRunner.Run(["finetune", "--out", run, "--resume", "--quiet", "--no-plots"]);
            Assert.That(resumed.ExitCode, Is.Zero, resumed.ToString());
            Assert.That(RunResults.Load(Path.Combine(run, "results.json"))!.Steps, Is.EqualTo(1000));
        }
        finally
        {
            Sh("umount", mountPoint);
        }
    }

    private static int Sh(string program, params string[] args)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(program, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            p.WaitForExit();
            return p.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return -1;
        }
    }
}
