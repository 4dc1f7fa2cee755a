namespace OnnxAudit.Autodiff;

/// <summary>Names of the inputs and outputs a gradient graph adds.</summary>
public static class GradientNames
{
    /// <summary>The scalar float output holding the total loss.</summary>
    public const string Loss = "loss";

    /// <summary>Default name of the int64 [N] labels input.</summary>
    public const string Labels = "labels";

    /// <summary>Default name of the squared-error target input.</summary>
    public const string Target = "target";

    /// <summary>Scalar float input holding λ_TV when <see cref="GradientRequest.TotalVariationAsInput"/>.</summary>
    public const string TotalVariationWeight = "tv_weight";

    /// <summary>The output holding the gradient of the loss w.r.t. <paramref name="tensor"/> (same shape).</summary>
    public static string Gradient(string tensor) => "grad:" + tensor;

    /// <summary>A file-system safe version of a tensor name ('/', ':' and other separators become '_').</summary>
    public static string Sanitize(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var chars = name.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
            if (chars[i] is '/' or ':' or '\\' or '*' or '?' or '"' or '<' or '>' or '|' || char.IsControl(chars[i])) chars[i] = '_';
        return new string(chars);
    }
}
