import { describe, expect, it } from 'vitest';
import { parseUserAgent, UserAgentParser } from './user-agent.ts';

const UA = {
  chromeMac: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/150.0.0.0 Safari/537.36',
  chromeMacOld: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  edgeWin: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/150.0.0.0 Safari/537.36 Edg/150.0.0.0',
  chromeWin7: 'Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36',
  ie11: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; Trident/7.0; rv:11.0) like Gecko',
  iphoneSafari: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  ipadOld: 'Mozilla/5.0 (iPad; CPU OS 15_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.6 Mobile/15E148 Safari/604.1',
  androidChrome: 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/150.0.0.0 Mobile Safari/537.36',
  android8: 'Mozilla/5.0 (Linux; Android 8.1.0; SM-J710F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/150.0.0.0 Mobile Safari/537.36',
  workplaceIos: 'Workplace/450.0.0.33.108 (iPhone; iOS 18.1; Scale/3.00)',
  fbInApp: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/440.0.0.34.109;FBBV/555]',
  office: 'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928; Pro)',
  googlebot: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  python: 'python-requests/2.28.0',
  curl: 'curl/7.68.0',
  headless: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/150.0.0.0 Safari/537.36',
  firefoxLinux: 'Mozilla/5.0 (X11; Linux x86_64; rv:145.0) Gecko/20100101 Firefox/145.0',
  bareMozilla: 'Mozilla/5.0',
};

describe('parseUserAgent', () => {
  it('a current desktop browser: desktop, os and browser, no tags', () => {
    expect(parseUserAgent(UA.chromeMac)).toEqual({ device: { type: 'desktop', os: 'Mac OS 10.15.7', browser: 'Chrome 150' }, tags: [] });
    expect(parseUserAgent(UA.edgeWin)).toEqual({ device: { type: 'desktop', os: 'Windows 10', browser: 'Edge 150' }, tags: [] });
    expect(parseUserAgent(UA.firefoxLinux).device).toEqual({ type: 'desktop', os: 'Linux', browser: 'Firefox 145' });
    expect(parseUserAgent(UA.firefoxLinux).tags).toEqual([]);
  });

  it('Outdated browser and Outdated operating system', () => {
    expect(parseUserAgent(UA.chromeMacOld).tags).toEqual(['Outdated browser']);
    expect(parseUserAgent(UA.chromeWin7).tags).toEqual(['Outdated browser', 'Outdated operating system']);
    expect(parseUserAgent(UA.ie11).tags).toEqual(['Outdated browser']);
    expect(parseUserAgent(UA.ipadOld)).toEqual({ device: { type: 'tablet', os: 'iOS 15.6', browser: 'Mobile Safari 15' }, tags: ['Outdated browser', 'Outdated operating system'] });
    expect(parseUserAgent(UA.android8).tags).toEqual(['Outdated operating system']);
    expect(parseUserAgent(UA.androidChrome).tags).toEqual([]);
  });

  it('mobile devices', () => {
    expect(parseUserAgent(UA.iphoneSafari)).toEqual({ device: { type: 'mobile', os: 'iOS 18.1', browser: 'Mobile Safari 18' }, tags: [] });
    expect(parseUserAgent(UA.androidChrome).device.type).toBe('mobile');
  });

  it('Native client: the Workplace app, in-app webviews, Office, no browser', () => {
    expect(parseUserAgent(UA.workplaceIos)).toEqual({ device: { type: 'mobile', os: 'iOS 18.1', browser: null }, tags: ['Native client'] });
    expect(parseUserAgent(UA.fbInApp).tags).toEqual(['Native client']);
    expect(parseUserAgent(UA.office).tags).toContain('Native client');
    expect(parseUserAgent(UA.bareMozilla).tags).toEqual([]); // a bare Mozilla token says nothing
  });

  it('Robot: crawlers, HTTP libraries and headless browsers are device type bot', () => {
    for (const ua of [UA.googlebot, UA.python, UA.curl, UA.headless]) {
      const info = parseUserAgent(ua);
      expect(info.device.type, ua).toBe('bot');
      expect(info.tags, ua).toEqual(['Robot']);
    }
  });
});

describe('UserAgentParser', () => {
  it('caches by string and returns the same answer', () => {
    const p = new UserAgentParser(10);
    const a = p.parse(UA.chromeMac);
    expect(p.parse(UA.chromeMac)).toBe(a);
    expect(p.parse(UA.python).device.type).toBe('bot');
  });

  it('caps very long strings', () => {
    const p = new UserAgentParser(10);
    expect(p.parse(UA.chromeMac + ' x'.repeat(5000)).device.browser).toBe('Chrome 150');
  });
});
