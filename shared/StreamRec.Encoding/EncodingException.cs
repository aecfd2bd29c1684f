namespace StreamRec.Encoding;

/// <summary>The one error type of the encoding library: model, vocabulary or fetch problems with a clear message.</summary>
public sealed class EncodingException : Exception
{
    public EncodingException()
    {
    }

    public EncodingException(string message)
        : base(message)
    {
    }

    public EncodingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
