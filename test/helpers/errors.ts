/** The `code` of the error a call throws, or undefined when it returns: tests assert on codes. */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}
