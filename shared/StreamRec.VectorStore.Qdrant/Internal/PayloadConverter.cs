using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf.Collections;
using StreamRec.Ports;
using GrpcValue = Qdrant.Client.Grpc.Value;
using ListValue = Qdrant.Client.Grpc.ListValue;
using NullValue = Qdrant.Client.Grpc.NullValue;
using Struct = Qdrant.Client.Grpc.Struct;

namespace StreamRec.VectorStore.Qdrant.Internal;

/// <summary>
/// JSON payloads to Qdrant's <c>Value</c> tree and back. Numbers keep their kind: an integral JSON number
/// becomes an <c>integer_value</c> (so integer match filters and integer indexes work on it), any other an
/// <c>double_value</c>. Payloads are read back through UTF-8 JSON so the nodes behave like those of the
/// embedded store (a stored 7 reads as int, long or double alike).
/// </summary>
internal static class PayloadConverter
{
    /// <summary>Adds <paramref name="payload"/>'s properties to <paramref name="target"/>.</summary>
    public static void Write(JsonObject payload, MapField<string, GrpcValue> target)
    {
        foreach (var (key, node) in payload)
        {
            target.Add(key, ToValue(node));
        }
    }

    public static GrpcValue ToValue(JsonNode? node)
    {
        switch (node)
        {
            case null:
                return new GrpcValue { NullValue = NullValue.NullValue };
            case JsonObject obj:
                var fields = new Struct();
                Write(obj, fields.Fields);
                return new GrpcValue { StructValue = fields };
            case JsonArray array:
                var list = new ListValue();
                foreach (var item in array)
                {
                    list.Values.Add(ToValue(item));
                }

                return new GrpcValue { ListValue = list };
            default:
                return ScalarToValue(node.AsValue());
        }
    }

    /// <summary>The payload of a point as JSON, without the keys in <paramref name="skip"/>.</summary>
    public static JsonObject Read(MapField<string, GrpcValue> payload, string skip)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (key, value) in payload)
            {
                if (key != skip)
                {
                    writer.WritePropertyName(key);
                    WriteJson(writer, value);
                }
            }

            writer.WriteEndObject();
        }

        return JsonNode.Parse(buffer.WrittenSpan)!.AsObject();
    }

    private static GrpcValue ScalarToValue(JsonValue value)
    {
        switch (value.GetValueKind())
        {
            case JsonValueKind.String:
                return new GrpcValue { StringValue = value.GetValue<string>() };
            case JsonValueKind.True:
                return new GrpcValue { BoolValue = true };
            case JsonValueKind.False:
                return new GrpcValue { BoolValue = false };
            case JsonValueKind.Null:
                return new GrpcValue { NullValue = NullValue.NullValue };
            case JsonValueKind.Number:
                return TryGetInteger(value, out var integer)
                    ? new GrpcValue { IntegerValue = integer }
                    : new GrpcValue { DoubleValue = GetDouble(value) };
            default:
                throw new VectorStoreException($"unsupported JSON value kind {value.GetValueKind()} in a payload");
        }
    }

    /// <summary>True when the JSON number is integral and fits a long, the way its JSON text reads: 7 is an
    /// integer, 7.0 and 7e0 are not (Qdrant's own JSON parsing draws the same line).</summary>
    public static bool TryGetInteger(JsonValue value, out long integer)
    {
        if (value.TryGetValue(out JsonElement element))
        {
            return element.TryGetInt64(out integer);
        }

        if (value.TryGetValue(out long l))
        {
            integer = l;
            return true;
        }

        if (value.TryGetValue(out int i))
        {
            integer = i;
            return true;
        }

        if (value.TryGetValue(out short s))
        {
            integer = s;
            return true;
        }

        if (value.TryGetValue(out byte b))
        {
            integer = b;
            return true;
        }

        if (value.TryGetValue(out uint ui))
        {
            integer = ui;
            return true;
        }

        if (value.TryGetValue(out ulong ul) && ul <= long.MaxValue)
        {
            integer = (long)ul;
            return true;
        }

        // Doubles, decimals and anything else: decide by the number's JSON text.
        return long.TryParse(value.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out integer);
    }

    private static double GetDouble(JsonValue value) =>
        value.TryGetValue(out double d) ? d : double.Parse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);

    private static void WriteJson(Utf8JsonWriter writer, GrpcValue value)
    {
        switch (value.KindCase)
        {
            case GrpcValue.KindOneofCase.StringValue:
                writer.WriteStringValue(value.StringValue);
                break;
            case GrpcValue.KindOneofCase.IntegerValue:
                writer.WriteNumberValue(value.IntegerValue);
                break;
            case GrpcValue.KindOneofCase.DoubleValue:
                writer.WriteNumberValue(value.DoubleValue);
                break;
            case GrpcValue.KindOneofCase.BoolValue:
                writer.WriteBooleanValue(value.BoolValue);
                break;
            case GrpcValue.KindOneofCase.StructValue:
                writer.WriteStartObject();
                foreach (var (key, field) in value.StructValue.Fields)
                {
                    writer.WritePropertyName(key);
                    WriteJson(writer, field);
                }

                writer.WriteEndObject();
                break;
            case GrpcValue.KindOneofCase.ListValue:
                writer.WriteStartArray();
                foreach (var item in value.ListValue.Values)
                {
                    WriteJson(writer, item);
                }

                writer.WriteEndArray();
                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }
}
