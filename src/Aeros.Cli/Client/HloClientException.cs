namespace Aeros.Cli.Client;

/// <summary>A domain host did not answer, or answered something the client cannot use; the message says which and why.</summary>
public sealed class HloClientException : Exception
{
    /// <summary>Creates the exception.</summary>
    public HloClientException(string message, int? status = null, Exception? inner = null) : base(message, inner) => Status = status;

    /// <summary>Creates the exception.</summary>
    public HloClientException() : this("The domain host failed.")
    {
    }

    /// <summary>Creates the exception.</summary>
    public HloClientException(string message) : this(message, null, null)
    {
    }

    /// <summary>Creates the exception.</summary>
    public HloClientException(string message, Exception inner) : this(message, null, inner)
    {
    }

    /// <summary>The HTTP status, or null when the host did not answer.</summary>
    public int? Status { get; }

    /// <summary>Whether the host could not be reached at all.</summary>
    public bool Unreachable => Status is null;
}
