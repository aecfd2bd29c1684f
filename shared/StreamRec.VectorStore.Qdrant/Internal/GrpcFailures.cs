using Grpc.Core;
using StreamRec.Ports;

namespace StreamRec.VectorStore.Qdrant.Internal;

/// <summary>
/// What a gRPC status means for StreamRec. Two separate questions: may Polly retry the attempt at once
/// (<see cref="IsRetryable"/>: the server or the path was briefly unable to answer), and should the consumer
/// pause and try the batch later instead of dead-lettering it (<see cref="IsTransient"/>: the failure lies with
/// the store or its configuration, not with the event).
/// </summary>
internal static class GrpcFailures
{
    /// <summary>Unavailable (connection refused or reset, server restarting), DeadlineExceeded (a server-side
    /// timeout), ResourceExhausted (rate limit, full queue) and Aborted (a conflicting concurrent operation).
    /// Never InvalidArgument, NotFound, PermissionDenied or Unauthenticated: repeating the same call cannot help.</summary>
    public static bool IsRetryable(StatusCode code) =>
        code is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted or StatusCode.Aborted;

    /// <summary>False only when the request itself is wrong (bad input, a missing collection, an unsupported
    /// call): the event that caused it would fail the same way forever. Refused credentials count as transient:
    /// they are fixed by an operator, and dead-lettering every event meanwhile would be the worst answer.</summary>
    public static bool IsTransient(StatusCode code) =>
        code is not (StatusCode.InvalidArgument or StatusCode.NotFound or StatusCode.AlreadyExists
            or StatusCode.FailedPrecondition or StatusCode.OutOfRange or StatusCode.Unimplemented);

    /// <summary>The HTTP status a gRPC code corresponds to (the gRPC-HTTP mapping), so that
    /// <see cref="VectorStoreException.StatusCode"/> keeps meaning an HTTP status whatever the transport.</summary>
    public static int HttpStatus(StatusCode code) => code switch
    {
        StatusCode.OK => 200,
        StatusCode.Cancelled => 499,
        StatusCode.InvalidArgument or StatusCode.FailedPrecondition or StatusCode.OutOfRange => 400,
        StatusCode.Unauthenticated => 401,
        StatusCode.PermissionDenied => 403,
        StatusCode.NotFound => 404,
        StatusCode.AlreadyExists or StatusCode.Aborted => 409,
        StatusCode.ResourceExhausted => 429,
        StatusCode.Unimplemented => 501,
        StatusCode.Unavailable => 503,
        StatusCode.DeadlineExceeded => 504,
        _ => 500,
    };

    public static bool IsCredentialFailure(StatusCode code) => code is StatusCode.Unauthenticated or StatusCode.PermissionDenied;

    public static VectorStoreException ToException(RpcException ex, string operation, string collection)
    {
        var code = ex.StatusCode;
        var detail = string.IsNullOrEmpty(ex.Status.Detail) ? "(no detail)" : ex.Status.Detail;
        var hint = IsCredentialFailure(code) ? $" (check {QdrantOptions.SectionName}:ApiKey)" : "";
        return new VectorStoreException(
            $"Qdrant {operation} on '{collection}' failed with gRPC status {code}: {detail}{hint}",
            HttpStatus(code),
            IsTransient(code),
            ex);
    }
}
