namespace PluginIpc.AspNetCore.Calls;

/// <summary>Joins JSON values already written (a batch's responses or results) into one JSON array.</summary>
internal static class JsonArrays
{
    /// <summary>Returns <c>[v1,v2,...]</c>; <c>[]</c> for none.</summary>
    public static byte[] Join(IReadOnlyList<byte[]> values)
    {
        int length = 2 + Math.Max(values.Count - 1, 0);
        for (int i = 0; i < values.Count; i++)
        {
            length += values[i].Length;
        }

        byte[] array = new byte[length];
        int position = 0;
        array[position++] = (byte)'[';
        for (int i = 0; i < values.Count; i++)
        {
            if (i > 0)
            {
                array[position++] = (byte)',';
            }

            values[i].CopyTo(array, position);
            position += values[i].Length;
        }

        array[position] = (byte)']';
        return array;
    }
}
