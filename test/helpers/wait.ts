/** Polls `fn` until it returns something other than undefined/null/false, or fails at the deadline. */
export async function waitFor<T>(
  fn: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  { timeoutMs = 20_000, everyMs = 50, what = 'a condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== null && v !== false) return v as T;
      last = v;
    } catch (err) {
      last = err;
      if (err instanceof Error && /exited early/.test(err.message)) throw err;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${why})`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
