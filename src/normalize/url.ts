// URL helpers for the HTTP resolvers. Parsing goes through the WHATWG URL parser built into
// Node (percent-encoding and dot segments normalized the way browsers do). A span's URL is
// read by several resolvers in a row and the same URLs recur across spans, so the parts of
// each parsed value are cached in a small bounded map.
import { boundedMemo } from './memo.ts';

/** Relative values are resolved against this origin and only their path and query are used. */
const RELATIVE_BASE = 'http://tessera.invalid';

const SCHEME_PREFIX = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]/;
/**
 * A URL without its scheme ("0.0.0.0:8081/route?x=1", as HotROD's Go client reports it): a
 * host:port, an IPv4 address or localhost, then a path, query or nothing. A dotted name without
 * a port ("v1.2/users") stays a relative path: it reads as one as often as as a host.
 */
const SCHEMELESS_AUTHORITY = /^(?:(?:\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9.-]+):\d{1,5}|\d{1,3}(?:\.\d{1,3}){3}|localhost)(?=[/?#]|$)/;

export interface UrlParts {
  /** "scheme://host..." that parses. */
  absolute: boolean;
  /** Lower-case scheme, '' unless absolute. */
  scheme: string;
  /** host[:port] (default port omitted), '' unless absolute. */
  host: string;
  /** Normalized path, "" → "/", trailing slashes stripped. */
  path: string;
  /** Query without "?". */
  query: string;
}

/** The parts of a URL or path value; null when it does not parse. The object is shared: read only. */
export const urlParts: (value: string) => UrlParts | null = boundedMemo(1024, (value) => parse(value));

function parse(value: string): UrlParts | null {
  if (value === '') return null;
  const absolute = SCHEME_PREFIX.test(value);
  if (!absolute) {
    const authority = SCHEMELESS_AUTHORITY.exec(value);
    if (authority !== null) return schemelessParts(value, authority[0]);
  }
  let url: URL;
  try {
    // A value starting with "/" is a path even when it starts with "//".
    url = absolute ? new URL(value) : new URL(value.startsWith('/') ? RELATIVE_BASE + value : value, RELATIVE_BASE);
  } catch {
    return null;
  }
  return {
    absolute,
    scheme: absolute ? url.protocol.slice(0, -1) : '',
    host: absolute ? url.host : '',
    path: stripTrailingSlashes(url.pathname === '' ? '/' : url.pathname),
    query: url.search.length <= 1 ? '' : url.search.slice(1),
  };
}

/** Host and port as written (no scheme, so no default port to drop); not absolute: no scheme to tell. */
function schemelessParts(value: string, authority: string): UrlParts | null {
  let url: URL;
  try {
    url = new URL(`http://${value}`);
  } catch {
    return null;
  }
  return {
    absolute: false,
    scheme: '',
    host: authority.toLowerCase(),
    path: stripTrailingSlashes(url.pathname === '' ? '/' : url.pathname),
    query: url.search.length <= 1 ? '' : url.search.slice(1),
  };
}

/** Whether `value` is an absolute URL with an authority ("scheme://host...") that parses. */
export function isAbsoluteUrl(value: string): boolean {
  return urlParts(value)?.absolute === true;
}

/** Whether `value` parses as an absolute or relative URL. */
export function isValidUrl(value: string): boolean {
  return urlParts(value) !== null;
}

/** Drops trailing slashes; the root path "/" stays "/". */
export function stripTrailingSlashes(path: string): string {
  let end = path.length;
  while (end > 1 && path.charCodeAt(end - 1) === 47 /* / */) end--;
  return end === path.length ? path : path.slice(0, end);
}

/** The normalized path of a URL or path value ("" → "/"), trailing slashes stripped; '' if invalid. */
export function pathOf(value: string): string {
  return urlParts(value)?.path ?? '';
}

/** The query string of a URL or path value without the "?", or ''. */
export function queryOf(value: string): string {
  return urlParts(value)?.query ?? '';
}

/**
 * The host[:port] of an absolute URL (default ports are omitted by the parser) or of a
 * scheme-less one ("0.0.0.0:8081/route"), or ''.
 */
export function authorityOf(value: string): string {
  return urlParts(value)?.host ?? '';
}

/** The lower-case scheme of an absolute URL, or ''. */
export function schemeOf(value: string): string {
  return urlParts(value)?.scheme ?? '';
}
