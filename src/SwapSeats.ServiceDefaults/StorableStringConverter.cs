using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SwapSeats.ServiceDefaults;

/// <summary>
/// Reads JSON strings that can be stored: no NUL characters (PostgreSQL text cannot hold them) and no unpaired UTF-16
/// surrogates (they cannot be encoded as UTF-8). Anything else is a malformed request, answered with a 400.
/// </summary>
public sealed class StorableStringConverter : JsonConverter<string>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var value = reader.GetString();
        if (value is null)
        {
            return null;
        }

        if (value.Contains('\0'))
        {
            throw new JsonException("Text must not contain NUL characters.");
        }

        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(value[i]))
            {
                throw new JsonException("Text must be valid Unicode (an unpaired surrogate was found).");
            }
        }

        return value;
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}
