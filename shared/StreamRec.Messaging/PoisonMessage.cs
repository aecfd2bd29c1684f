namespace StreamRec.Messaging;

/// <summary>A message a handler rejects without throwing.</summary>
/// <param name="Index">Index of the message in the batch given to the handler.</param>
/// <param name="Reason">Why: becomes the dead letter's <c>error</c> header.</param>
public sealed record PoisonMessage(int Index, string Reason);
