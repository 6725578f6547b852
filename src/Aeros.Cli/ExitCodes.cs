namespace Aeros.Cli;

/// <summary>The exit codes of the aeros command.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int BadUsage = 2;
    public const int BadConfiguration = 3;
}
