namespace Aeros.Continuum;

/// <summary>The <c>unitCode</c> texts the aerOS data-model examples write (read back, they are ignored: units are fixed per attribute).</summary>
public static class Units
{
    /// <summary>Megabytes.</summary>
    public const string Megabytes = "Megabytes (MB)";

    /// <summary>Percent.</summary>
    public const string Percentage = "Percentage (%)";

    /// <summary>Megahertz.</summary>
    public const string Megahertz = "Megahertzs (MHz)";

    /// <summary>Megabits per second.</summary>
    public const string MegabitsPerSecond = "Megabits per second (Mbps)";

    /// <summary>Megabytes per second.</summary>
    public const string MegabytesPerSecond = "Megabytes per second (MBps)";
}
