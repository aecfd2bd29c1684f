namespace StreamRec.Messaging;

/// <summary>Values of a dead letter's <c>error-kind</c> header.</summary>
public static class DeadLetterKinds
{
    /// <summary>The handler threw a non-transient exception for this message alone.</summary>
    public const string HandlerError = "handler_error";

    /// <summary>The handler returned it as poison (bad JSON, schema violation, ...), or gave up on it later.</summary>
    public const string Rejected = "rejected";

    /// <summary>Larger than <c>MaxMessageBytes</c>; the handler never saw it.</summary>
    public const string TooLarge = "too_large";
}
