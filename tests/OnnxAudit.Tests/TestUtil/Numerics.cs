using System.Globalization;

namespace OnnxAudit.Tests.TestUtil;

/// <summary>Shared numeric assertions (isclose form, as in onnxruntime's FloatComparer).</summary>
public static class Numerics
{
    /// <summary>Asserts |a−e| ≤ atol + rtol·|e| element-wise; reports the first failing index.</summary>
    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double atol, double rtol, string? what = null)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: length {actual.Length}, expected {expected.Length}");
        for (var i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (!(Math.Abs(a - e) <= atol + rtol * Math.Abs(e)))
            {
                Assert.Fail(string.Create(CultureInfo.InvariantCulture,
                    $"{what}: first mismatch at index {i}: actual {a:R}, expected {e:R}, |diff| {Math.Abs(a - e):E3} > atol {atol} + rtol {rtol}·|e|"));
            }
        }
    }

    /// <summary>Asserts |a−e| ≤ atol + rtol·|e| element-wise for doubles.</summary>
    public static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double atol, double rtol, string? what = null)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: length {actual.Length}, expected {expected.Length}");
        for (var i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (!(Math.Abs(a - e) <= atol + rtol * Math.Abs(e)))
            {
                Assert.Fail(string.Create(CultureInfo.InvariantCulture,
                    $"{what}: first mismatch at index {i}: actual {a:R}, expected {e:R}, |diff| {Math.Abs(a - e):E3} > atol {atol} + rtol {rtol}·|e|"));
            }
        }
    }

    /// <summary>Scalar isclose.</summary>
    public static void AssertClose(double expected, double actual, double atol, double rtol, string? what = null)
        => AssertClose([expected], [actual], atol, rtol, what);
}
