// The code of the TesseraError a promise rejects with (undefined when it resolves); any other
// rejection fails the test as it is.
import { TesseraError } from '../../src/errors.ts';

export async function codeOf(p: unknown): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    if (err instanceof TesseraError) return err.code;
    throw err;
  }
  return undefined;
}
