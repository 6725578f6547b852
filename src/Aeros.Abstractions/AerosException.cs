namespace Aeros;

/// <summary>The base of every exception Aeros throws on purpose; anything else is a bug.</summary>
public class AerosException : Exception
{
    /// <summary>Creates an exception with a message.</summary>
    public AerosException(string message) : base(message) { }

    /// <summary>Creates an exception with a message and the failure that caused it.</summary>
    public AerosException(string message, Exception? inner) : base(message, inner) { }
}
