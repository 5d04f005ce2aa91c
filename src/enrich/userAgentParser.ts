// The one wrapper around the user-agent parsing library (ua-parser-js), with a bounded cache:
// browsers send the same few strings over and over, and parsing one costs tens of microseconds.

import { LRUCache } from 'lru-cache';
import UAParser from 'ua-parser-js';
import type { UserAgentInfo } from './types.ts';

/**
 * Non-browser clients are common in API traffic and browser parsers do not name their kind:
 * these classify them (first match wins). ua-parser-js 1.x (MIT) parses browsers, OS and device.
 */
const CLIENT_KINDS: { type: string; pattern: RegExp }[] = [
  { type: 'crawler', pattern: /^(?:.*?\b)?([\w.-]*(?:bot|crawler|spider|slurp)[\w.-]*)(?:\/([\w.]+))?/i },
  { type: 'cli', pattern: /^(curl|wget|httpie|xh|aria2)\/([\w.]+)/i },
  {
    type: 'library',
    pattern: /^(python-requests|python-urllib3|python-httpx|aiohttp|okhttp|go-http-client|axios|node-fetch|undici|got|java|apache-httpclient|jersey|grpc-[\w-]+|ruby|faraday|dart|php-curl-class|guzzlehttp|reqwest|hyper|libwww-perl)(?:\/([\w.]+))?/i,
  },
];

/** Longer user agents are cut to this length before parsing (Hypertrace's limit). */
export const MAX_USER_AGENT_LENGTH = 1000;

export class UserAgentParser {
  private readonly cache: LRUCache<string, UserAgentInfo>;

  constructor(options: { cacheSize?: number } = {}) {
    this.cache = new LRUCache({ max: options.cacheSize ?? 20_000 });
  }

  parse(userAgent: string): UserAgentInfo {
    const ua = userAgent.length > MAX_USER_AGENT_LENGTH ? userAgent.slice(0, MAX_USER_AGENT_LENGTH) : userAgent;
    let info = this.cache.get(ua);
    if (info === undefined) {
      info = describe(ua);
      this.cache.set(ua, info);
    }
    return info;
  }
}

/**
 * UA_NAME is the browser (or client library) name; UA_TYPE the library's browser type
 * ("crawler", "cli", "library", "fetcher", …) or "browser" for an ordinary one; DEVICE_CATEGORY
 * the device type ("mobile", "tablet", "smarttv", …), "desktop" for an ordinary browser without
 * one, else "other". Unknown parts are "".
 */
function describe(ua: string): UserAgentInfo {
  for (const kind of CLIENT_KINDS) {
    const m = kind.pattern.exec(ua);
    if (m) return { name: m[1], type: kind.type, deviceCategory: 'other', osName: '', osVersion: '', browserVersion: m[2] ?? '' };
  }
  const result = new UAParser(ua).getResult();
  const name = result.browser.name ?? '';
  const type = name !== '' ? 'browser' : '';
  const deviceCategory = result.device.type ?? (name !== '' ? 'desktop' : '');
  return {
    name,
    type,
    deviceCategory,
    osName: result.os.name ?? '',
    osVersion: result.os.version ?? '',
    browserVersion: result.browser.version ?? '',
  };
}
