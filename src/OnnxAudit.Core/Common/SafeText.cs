using System.Globalization;
using System.Text;

namespace OnnxAudit.Common;

/// <summary>Makes user-supplied text safe to echo in a one-line message: control and non-printable characters are
/// escaped (\n, \xNN, \uNNNN) and long text is truncated with an ellipsis. Thread-safe.</summary>
internal static class SafeText
{
    /// <summary>The default longest echoed fragment, in characters.</summary>
    public const int DefaultMax = 120;

    /// <summary>Escapes <paramref name="text"/> and truncates it to about <paramref name="max"/> characters.</summary>
    public static string Escape(string? text, int max = DefaultMax)
    {
        if (string.IsNullOrEmpty(text)) return text ?? "";
        var sb = new StringBuilder(Math.Min(text.Length, max) + 8);
        foreach (var c in text)
        {
            if (sb.Length >= max)
            {
                sb.Append(CultureInfo.InvariantCulture, $"… ({text.Length} characters)");
                break;
            }
            switch (c)
            {
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < 0x20 || c == 0x7F) sb.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
                    else if (char.IsControl(c) || char.IsSurrogate(c) || char.GetUnicodeCategory(c) is UnicodeCategory.Format or UnicodeCategory.OtherNotAssigned or UnicodeCategory.PrivateUse)
                        sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
                    else sb.Append(c);
                    break;
            }
        }
        return sb.ToString();
    }
}
