/**
 * @module enrich/list-format
 * The plain-text IP list formats shared by the built-in lists and the feeds:
 * - one IP address or CIDR per line, `#` or `;` comments (whole line or trailing), blank lines ignored;
 *   anything after the first token is ignored (ipsum's `ip<TAB>count`, Spamhaus DROP's `cidr ; SBL...`);
 * - FireHOL netsets (the same shape);
 * - the Tor Project bulk exit list (one IP per line) and its `exit-addresses` form (`ExitAddress <ip> <date>`);
 * - `AS<number>` lines, allowed only where the caller says so (the built-in lists).
 */
import { parseCidr, type ParsedCidr } from './ip.ts';

export interface MalformedLine {
  line: number;
  /** The offending text, cut to 80 characters for logs. */
  text: string;
}

export interface ParsedList {
  cidrs: ParsedCidr[];
  asns: number[];
  malformed: MalformedLine[];
}

/** Lines of Tor's exit-addresses format that carry no address. */
const TOR_META = /^(ExitNode|Published|LastStatus)\s/;

export function parseIpList(text: string, opts: { allowAsn?: boolean } = {}): ParsedList {
  const out: ParsedList = { cidrs: [], asns: [], malformed: [] };
  let lineNo = 0;
  let pos = 0;
  while (pos <= text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    lineNo++;
    let line = text.slice(pos, nl);
    pos = nl + 1;
    const hash = line.search(/[#;]/);
    if (hash >= 0) line = line.slice(0, hash);
    line = line.trim();
    if (line.length === 0) continue;
    if (TOR_META.test(line)) continue;
    const tokens = line.split(/\s+/);
    const token = tokens[0] === 'ExitAddress' && tokens.length > 1 ? tokens[1] : tokens[0];
    if (opts.allowAsn && /^AS\d{1,10}$/i.test(token)) {
      const asn = Number(token.slice(2));
      if (asn <= 0xffffffff) {
        out.asns.push(asn);
        continue;
      }
    }
    const cidr = parseCidr(token);
    if (cidr) out.cidrs.push(cidr);
    else out.malformed.push({ line: lineNo, text: line.slice(0, 80) });
  }
  return out;
}
