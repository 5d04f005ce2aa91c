// Every error the GraphQL endpoint returns carries `extensions.code` from src/errors.ts:
// resolver errors keep their TesseraError code, syntax and validation errors are BAD_QUERY,
// anything unexpected is INTERNAL (and logged).
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { graphqlExtensionsOf, TesseraError, type ErrorCode } from '../errors.ts';

/** The TesseraError a GraphQL error wraps, if any. */
function tesseraCause(err: GraphQLError): TesseraError | undefined {
  let cause: unknown = err.originalError;
  // graphql wraps errors thrown while coercing inputs one or more levels deep.
  for (let depth = 0; depth < 4 && cause; depth++) {
    if (cause instanceof TesseraError) return cause;
    cause = cause instanceof GraphQLError ? cause.originalError : (cause as { cause?: unknown }).cause;
  }
  return undefined;
}

export function formatGraphqlError(err: GraphQLError, logger?: Logger): GraphQLFormattedError {
  const coded = tesseraCause(err);
  let code: ErrorCode;
  if (coded) code = graphqlExtensionsOf(coded).code;
  else if (!err.originalError || err.originalError instanceof GraphQLError) code = 'BAD_QUERY';
  else {
    code = 'INTERNAL';
    logger?.error({ err: err.originalError, path: err.path }, 'GraphQL resolver failed');
  }
  if (coded?.code === 'INTERNAL') logger?.error({ err: coded, path: err.path }, 'GraphQL resolver failed');
  const formatted = err.toJSON();
  return { ...formatted, extensions: { ...formatted.extensions, code } };
}

/** An error outside any operation (bad request body), in the GraphQL response shape. */
export function requestError(err: TesseraError): { errors: GraphQLFormattedError[] } {
  return { errors: [{ message: err.message, extensions: { ...graphqlExtensionsOf(err) } }] };
}
