/**
 * @module core/text
 * Attacker-controlled text (user agents, names, event names from SaaS events) in line-oriented outputs: terminal
 * and plain-text email lines, CEF. A line break there forges a line of its own (a fake alert in `rampart scan`'s
 * output, a fake "resolved as false positive" in an email), and an escape sequence recolours or rewrites the
 * terminal. JSON and HTML outputs escape for themselves and do not need this.
 */

/**
 * C0 controls (line breaks, ESC), DEL, C1 controls (NEL), and the Unicode line and paragraph separators, as a
 * character-class body: the one definition behind every check below and the schemas that refuse them.
 */
export const CONTROL_CHARS = '\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029';
const CONTROL = new RegExp(`[${CONTROL_CHARS}]`, 'g');
const CONTROL_RUN = new RegExp(`[${CONTROL_CHARS}]+`, 'g');

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** The text on one line, every control character shown as an escape (`\n`, `\u001b`): nothing is lost. */
export function escapeControls(s: string): string {
  return s.replace(CONTROL, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The text on one line, every run of control characters replaced by one space (headers, subjects). */
export function collapseControls(s: string): string {
  return s.replace(CONTROL_RUN, ' ');
}

/** Every control character replaced by a space, one for one (CEF values, after their own escapes). */
export function blankControls(s: string): string {
  return s.replace(CONTROL, ' ');
}

/** Whether the text holds a control character. */
export const hasControls = (s: string): boolean => new RegExp(`[${CONTROL_CHARS}]`).test(s);
