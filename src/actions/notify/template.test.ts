import { describe, expect, it } from 'vitest';
import { DEFAULT_HTML_TEMPLATE, DEFAULT_TEXT_TEMPLATE, fillTokens, render } from './template.ts';

const T = { html: DEFAULT_HTML_TEMPLATE, text: DEFAULT_TEXT_TEMPLATE };

describe('notification template', () => {
  it('fills %%logo%%, %%title%% and %%content%% and leaves no placeholder', () => {
    const { html, text } = render(T, { logoUrl: 'https://acme.example/l.png', title: 'Unusual sign-in', content: 'Line one.\nLine two.' });
    expect(html).toContain('<img src="https://acme.example/l.png"');
    expect(html).toContain('<h1 style="font-size:20px;margin:16px 0">Unusual sign-in</h1>');
    expect(html).toContain('<p>Line one.</p>\n<p>Line two.</p>');
    expect(html).not.toContain('%%');
    expect(text.startsWith('Unusual sign-in\n\nLine one.\nLine two.')).toBe(true);
  });

  it('escapes alert text so it cannot inject markup, and keeps $ patterns literal', () => {
    const { html } = render(T, { title: '<script>x</script>', content: 'a & b "$&" $1' });
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('a &amp; b &quot;$&amp;&quot; $1');
    expect(html).not.toContain('<img');
  });

  it('fills known {tokens} and leaves unknown ones as written', () => {
    expect(fillTokens('{user} on {app}: {nope}', { user: 'alice', app: 'workplace' })).toBe('alice on workplace: {nope}');
  });
});
