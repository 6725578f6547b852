using System.Text.RegularExpressions;

namespace Aeros.Iam.Tests.Cli;

/// <summary>The real <c>aeros iam</c> command line as child processes against a real IAM process.</summary>
public sealed partial class IamCommandTests
{
    [Fact]
    public async Task Serve_TwoStarts_InitialCredentialPrintedOnceAndAdminCommandsWork()
    {
        var directory = Path.Combine(Path.GetTempPath(), "aeros-iam-cli-" + Guid.NewGuid().ToString("N"));
        var url = $"http://127.0.0.1:{AerosProcess.FreePort()}";
        try
        {
            string secret;
            await using (var first = AerosProcess.Start("iam", "serve", "--urls", url, "--data", directory))
            {
                await TestDeadline.Until(() => first.Output.Contains("IAM listening", StringComparison.Ordinal) || first.HasExited, "the first IAM listens", () => first.Output, TimeSpan.FromSeconds(60));
                Assert.False(first.HasExited, first.Output);
                var match = SecretPattern().Match(first.Output);
                Assert.True(match.Success, first.Output);
                secret = match.Groups[1].Value;
                Assert.Equal(1, CountOf(first.Output, "client secret:"));
            }
            await using var second = AerosProcess.Start("iam", "serve", "--urls", url, "--data", directory);
            await TestDeadline.Until(() => second.Output.Contains("IAM listening", StringComparison.Ordinal) || second.HasExited, "the second IAM listens", () => second.Output, TimeSpan.FromSeconds(60));
            Assert.False(second.HasExited, second.Output);
            Assert.DoesNotContain("client secret:", second.Output, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, second.Output, StringComparison.Ordinal);

            var common = new[] { "--iam", url, "--client-secret", secret };
            var (added, addOutput) = await AerosProcess.RunAsync(["iam", "users", "add", "erin", "--password", "erin's long password", .. common]);
            Assert.True(added == 0, addOutput);
            var (assigned, assignOutput) = await AerosProcess.RunAsync(["iam", "roles", "assign", "--user", "erin", "--role", "ServiceDeployer", "--domain", "domain1", .. common]);
            Assert.True(assigned == 0, assignOutput);
            var (bad, badOutput) = await AerosProcess.RunAsync(["iam", "roles", "assign", "--user", "erin", "--role", "Root", "--domain", "bad domain", .. common]);
            Assert.True(bad == 4, badOutput);
            Assert.Contains("role 'Root'", badOutput, StringComparison.Ordinal);
            var (rotated, rotateOutput) = await AerosProcess.RunAsync(["iam", "keys", "rotate", .. common]);
            Assert.True(rotated == 0, rotateOutput);
            Assert.Contains("\"kid\"", rotateOutput, StringComparison.Ordinal);
            var (denied, deniedOutput) = await AerosProcess.RunAsync(["iam", "users", "list", "--iam", url, "--client-secret", "wrong-secret-wrong-secret"]);
            Assert.True(denied == 9, deniedOutput);
            // Nothing the IAM printed after its first start contains the credential.
            Assert.DoesNotContain(secret, second.Output, StringComparison.Ordinal);
        }
        finally
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temporary directory is harmless.
            }
        }
    }

    private static int CountOf(string text, string value) => Regex.Matches(text, Regex.Escape(value)).Count;

    [GeneratedRegex(@"client secret: (\S+)")]
    private static partial Regex SecretPattern();
}
