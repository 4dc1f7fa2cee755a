namespace OnnxAudit.Imaging;

/// <summary>
/// An 8-bit image with interleaved channels (row-major, H×W×Channels): 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA.
/// Palette images are expanded to RGB or RGBA on decode. Treat <see cref="Pixels"/> as read-only.
/// </summary>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="Channels">1, 2, 3 or 4.</param>
/// <param name="Pixels">Height·Width·Channels bytes.</param>
public sealed record PngImage(int Width, int Height, int Channels, byte[] Pixels);
