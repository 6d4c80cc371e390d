/**
 * @module enrich/user-agent
 * User agent -> device {type, os, browser} and MDCA's user agent tags ("Native client", "Outdated browser",
 * "Outdated operating system", "Robot"), with ua-parser-js v1 (MIT; v2 is AGPL, do not upgrade) behind an
 * LRU cache: real traffic has a few hundred distinct user agents.
 * The rules are documented in docs/enrichment.md; the version thresholds are dated and need a yearly look.
 */
import { UAParser } from 'ua-parser-js';
import { LruCache } from './lru.ts';

export const DEVICE_TYPES = ['desktop', 'mobile', 'tablet', 'bot', 'other'] as const;
export type DeviceType = (typeof DEVICE_TYPES)[number];

export const UA_TAG = {
  native: 'Native client',
  outdatedBrowser: 'Outdated browser',
  outdatedOs: 'Outdated operating system',
  robot: 'Robot',
} as const;

export interface UserAgentInfo {
  device: { type: DeviceType; os: string | null; browser: string | null };
  tags: string[];
}

/**
 * Crawlers, headless browsers and HTTP libraries: scripted access, not a person at a browser or app.
 * (okhttp, CFNetwork and Dalvik are the HTTP stacks of mobile apps, so they count as native clients.)
 */
const ROBOT_RE =
  /bot\b|bot\/|crawl|spider|slurp|headless|phantomjs|selenium|puppeteer|playwright|python-requests|python-urllib|python\/|aiohttp|httpx|scrapy|curl\/|wget\/|go-http-client|java\/|apache-httpclient|libwww-perl|node-fetch|axios\/|undici|postmanruntime|insomnia|httpie|powershell|facebookexternalhit|pingdom|uptimerobot/i;

/** Native apps and their webviews: the Workplace/Facebook apps (FBAN/FBAV), Office, and mobile HTTP stacks. */
const NATIVE_RE = /\bFBAN\/|\bFBAV\/|\bFB_IAB\/|Workplace\/|WorkChat|Microsoft Office|Outlook-|MSOffice|Teams\/|Slack\/|Electron\/|Dalvik\/|CFNetwork\/|okhttp\/|Darwin\//i;

/**
 * Browsers older than these major versions are "Outdated browser". Snapshot 2026-11: roughly a year behind
 * the current stable release (Chrome 140 and Firefox ESR 140 shipped mid-2025, Safari 18 in 2024).
 * Internet Explorer is always outdated.
 */
export const OUTDATED_BROWSER_BELOW: Readonly<Record<string, number>> = {
  Chrome: 140,
  Chromium: 140,
  'Chrome WebView': 140,
  Edge: 140,
  Firefox: 140,
  'Mobile Firefox': 140,
  Safari: 18,
  'Mobile Safari': 18,
  Opera: 120,
  'Samsung Browser': 27,
};
const ALWAYS_OUTDATED_BROWSERS = new Set(['IE', 'IEMobile']);

/** Operating systems below these versions are "Outdated operating system" (snapshot 2026-11). */
export const OUTDATED_OS_BELOW: Readonly<Record<string, number>> = {
  iOS: 17,
  Android: 10, // Chrome freezes the reduced UA at "Android 10; K", so newer versions cannot be told apart
  'Mac OS': 10.15, // browsers freeze macOS at 10_15_7
};
const OUTDATED_WINDOWS = new Set(['95', '98', 'ME', 'NT', 'NT 4.0', '2000', 'XP', 'Vista', '7', '8', '8.1', 'RT', 'RT 8.1']);
const ALWAYS_OUTDATED_OS = new Set(['Windows Phone', 'Windows Mobile', 'Symbian', 'BlackBerry', 'RIM Tablet OS', 'Firefox OS', 'webOS', 'Bada', 'MeeGo']);
const DESKTOP_OS = /^(Windows|Mac OS|macOS|Linux|Ubuntu|Debian|Fedora|Mint|Arch|CentOS|Red Hat|SUSE|openSUSE|Gentoo|Chrome OS|Chromium OS|FreeBSD|OpenBSD|NetBSD|Solaris|Unix)/;

/** `major.minor` of a dotted version as a number (17.1.2 -> 17.1); NaN when absent. */
const versionNumber = (v: string | undefined): number => {
  const m = v ? /^(\d+)(?:[._](\d+))?/.exec(v) : null;
  return m ? Number(`${m[1]}.${m[2] ?? 0}`) : NaN;
};

export function parseUserAgent(ua: string): UserAgentInfo {
  const r = new UAParser(ua).getResult();
  const browserName = r.browser.name ?? null;
  const osName = r.os.name ?? null;
  const tags: string[] = [];

  const robot = ROBOT_RE.test(ua) || browserName === 'Chrome Headless';
  let type: DeviceType;
  if (robot) type = 'bot';
  else if (r.device.type === 'mobile' || r.device.type === 'wearable') type = 'mobile';
  else if (r.device.type === 'tablet') type = 'tablet';
  else if (r.device.type) type = 'other'; // console, smarttv, embedded, xr
  else if (osName === 'iOS' || osName === 'Android') type = 'mobile';
  else if (osName && DESKTOP_OS.test(osName)) type = 'desktop';
  else type = 'other';

  if (robot) tags.push(UA_TAG.robot);
  else if (NATIVE_RE.test(ua) || (!browserName && !/^Mozilla\/\d/.test(ua))) tags.push(UA_TAG.native);

  if (browserName && !robot) {
    const below = OUTDATED_BROWSER_BELOW[browserName];
    const major = Number(r.browser.major);
    if (ALWAYS_OUTDATED_BROWSERS.has(browserName) || (below !== undefined && Number.isFinite(major) && major < below)) {
      tags.push(UA_TAG.outdatedBrowser);
    }
  }
  if (osName) {
    const v = versionNumber(r.os.version);
    const below = OUTDATED_OS_BELOW[osName];
    if (
      ALWAYS_OUTDATED_OS.has(osName) ||
      (osName === 'Windows' && r.os.version !== undefined && OUTDATED_WINDOWS.has(r.os.version)) ||
      (below !== undefined && v < below)
    ) {
      tags.push(UA_TAG.outdatedOs);
    }
  }

  const os = osName ? (r.os.version ? `${osName} ${r.os.version}` : osName) : null;
  const browser = browserName ? (r.browser.major ? `${browserName} ${r.browser.major}` : browserName) : null;
  return { device: { type, os: os?.slice(0, 128) ?? null, browser: browser?.slice(0, 128) ?? null }, tags };
}

/** parseUserAgent behind an LRU cache keyed by the exact string. */
export class UserAgentParser {
  readonly #cache: LruCache<string, UserAgentInfo>;

  constructor(cacheEntries = 10_000) {
    this.#cache = new LruCache(cacheEntries);
  }

  parse(ua: string): UserAgentInfo {
    let info = this.#cache.get(ua);
    if (!info) {
      info = parseUserAgent(ua.length > 1024 ? ua.slice(0, 1024) : ua);
      this.#cache.set(ua, info);
    }
    return info;
  }
}
