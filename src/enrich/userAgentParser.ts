// The one wrapper around the user-agent parsing library (ua-parser-js), with a bounded cache:
// browsers send the same few strings over and over, and parsing one costs tens of microseconds.

import { LRUCache } from 'lru-cache';
import { UAParser } from 'ua-parser-js';
import { Bots, CLIs, Crawlers, Fetchers, InApps, Libraries, MediaPlayers } from 'ua-parser-js/extensions';
import type { UserAgentInfo } from './types.ts';

/** Non-browser clients (bots, command-line tools, HTTP libraries) are common in API traffic. */
const EXTENSIONS = [Bots, CLIs, Crawlers, Fetchers, InApps, Libraries, MediaPlayers].flat();

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
  const result = new UAParser(ua, EXTENSIONS).getResult();
  const name = result.browser.name ?? '';
  const type = result.browser.type ?? (name !== '' ? 'browser' : '');
  const deviceCategory = result.device.type ?? (type === 'browser' ? 'desktop' : name !== '' ? 'other' : '');
  return {
    name,
    type,
    deviceCategory,
    osName: result.os.name ?? '',
    osVersion: result.os.version ?? '',
    browserVersion: result.browser.version ?? '',
  };
}
