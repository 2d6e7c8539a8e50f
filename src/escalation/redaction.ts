/**
 * Redaction before anything is sent: e-mail addresses, phone numbers, payment card numbers (Luhn-checked), IBANs
 * (mod-97 checked) and IPv4/IPv6 addresses become placeholders such as `[EMAIL_1]`, the same value always getting
 * the same placeholder within a conversation. `restore()` puts the values back into the reply, and a stream
 * restorer does it for streamed chunks even when a placeholder is split across them.
 *
 * Rules favour not eating ordinary text: numbers without phone-like grouping, dates, times, prices, version
 * strings and card-length numbers that fail the Luhn check are left alone.
 */
import type { ChatMessage } from '../engine/protocol.ts';

export const REDACTION_KINDS = ['email', 'iban', 'card', 'ip', 'phone'] as const;
export type RedactionKind = (typeof REDACTION_KINDS)[number];

const PREFIX: Record<RedactionKind, string> = {
  email: 'EMAIL',
  iban: 'IBAN',
  card: 'CARD',
  ip: 'IP',
  phone: 'PHONE',
};
const PLACEHOLDER = /\[(EMAIL|IBAN|CARD|IP|PHONE)_(\d+)\]/g;
/** A tail that may be the start of a placeholder split across stream chunks. */
const PARTIAL_PLACEHOLDER = /\[(?:[A-Z]{0,5}(?:_\d{0,4})?)?$/;

export interface RedactionEntry {
  kind: RedactionKind;
  placeholder: string;
  /** The original text as first seen (shown only on this device, never sent). */
  value: string;
}

export interface RedactorOptions {
  /** Kinds to redact; all by default. */
  kinds?: readonly RedactionKind[];
}

// ── validators ─────────────────────────────────────────────────────────────────────────────────────────────

export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

export function ibanValid(iban: string): boolean {
  const s = iban.replace(/\s+/g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(s)) return false;
  const rearranged = s.slice(4) + s.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const v = ch >= 'A' ? String(ch.charCodeAt(0) - 55) : ch;
    for (const digit of v) remainder = (remainder * 10 + Number(digit)) % 97;
  }
  return remainder === 1;
}

export function ipv6Valid(s: string): boolean {
  let text = s;
  let extra = 0;
  const v4 = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  if (v4) {
    if (!v4[1].split('.').every((p) => Number(p) <= 255)) return false;
    text = `${text.slice(0, v4.index)}0:0`;
    extra = 0;
  }
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const parts = halves.flatMap(groups);
  if (!parts.every((p) => /^[0-9a-fA-F]{1,4}$/.test(p))) return false;
  const count = parts.length + extra;
  return halves.length === 2 ? count <= 7 : count === 8;
}

// ── detectors ──────────────────────────────────────────────────────────────────────────────────────────────

interface Detector {
  kind: RedactionKind;
  pattern: RegExp;
  /** The text to redact inside the match (or null to leave it), and its normalised identity. */
  accept(match: string): { text: string; key: string } | null;
}

const digitsOf = (s: string) => s.replace(/\D/g, '');

const DETECTORS: Detector[] = [
  {
    kind: 'email',
    pattern: /(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])/g,
    accept: (m) => ({ text: m, key: m.toLowerCase() }),
  },
  {
    kind: 'iban',
    pattern: /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{1,4}){3,8}(?![A-Za-z0-9])/g,
    accept: (m) => {
      // The greedy match may run into a following code or word: try shorter prefixes, group by group.
      const tokens = m.split(' ');
      for (let n = tokens.length; n >= 1; n--) {
        const candidate = tokens.slice(0, n).join(' ');
        const compact = candidate.replace(/ /g, '');
        if (compact.length >= 15 && compact.length <= 34 && ibanValid(compact))
          return { text: candidate, key: compact };
      }
      return null;
    },
  },
  {
    kind: 'card',
    pattern: /(?<![\d+\-.,])\d(?:[ -]?\d){12,18}(?![\d-]|[.,]\d)/g,
    accept: (m) => {
      const d = digitsOf(m);
      return d.length >= 13 && d.length <= 19 && luhnValid(d) ? { text: m, key: d } : null;
    },
  },
  {
    kind: 'ip',
    pattern: /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|\d{1,3}(?:\.\d{1,3}){3})?(?![\w:])/g,
    accept: (m) =>
      /\d/.test(m) && /[0-9A-Fa-f]/.test(m) && ipv6Valid(m) ? { text: m, key: m.toLowerCase() } : null,
  },
  {
    kind: 'ip',
    pattern:
      /(?<![\w.])(?<!version )(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?!\d|\.\d)/g,
    accept: (m) => ({ text: m, key: m }),
  },
  {
    // International: +country code, then groups separated by spaces, dots, dashes or parentheses.
    kind: 'phone',
    pattern: /(?<![\w+])\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,7}(?![\w])/g,
    accept: (m) => {
      const d = digitsOf(m);
      return d.length >= 8 && d.length <= 15 ? { text: m, key: `+${d}` } : null;
    },
  },
  {
    // North American: (555) 123-4567, 555-123-4567, 555.123.4567.
    kind: 'phone',
    pattern: /(?<![\w.-])(?:\(\d{3}\) ?|\d{3}[-. ])\d{3}[-. ]\d{4}(?![\w-]|[.,]\d)/g,
    accept: (m) => ({ text: m, key: digitsOf(m) }),
  },
  {
    // National with a trunk 0: 06 12 34 56 78, 020 7946 0958, 030 12345678. At least 9 digits, so dates are not.
    kind: 'phone',
    pattern: /(?<![\w.,:/-])0\d{1,4}(?:[ .-]\d{2,8}){1,4}(?![\w-]|[.,:/]\d)/g,
    accept: (m) => {
      const d = digitsOf(m);
      return d.length >= 9 && d.length <= 12 ? { text: m, key: d } : null;
    },
  },
];

// ── the redactor ───────────────────────────────────────────────────────────────────────────────────────────

export class Redactor {
  readonly kinds: ReadonlySet<RedactionKind>;
  #byKey = new Map<string, RedactionEntry>();
  #byPlaceholder = new Map<string, RedactionEntry>();
  #counters: Record<RedactionKind, number> = { email: 0, iban: 0, card: 0, ip: 0, phone: 0 };

  constructor(options: RedactorOptions = {}, entries: readonly RedactionEntry[] = []) {
    this.kinds = new Set(options.kinds ?? REDACTION_KINDS);
    for (const e of entries) this.#remember(e);
  }

  /** Rebuilds a conversation's redactor from stored entries (so placeholders stay stable across sessions). */
  static fromEntries(entries: readonly RedactionEntry[], options: RedactorOptions = {}): Redactor {
    return new Redactor(options, entries);
  }

  #remember(entry: RedactionEntry): void {
    const n = Number(/_(\d+)\]$/.exec(entry.placeholder)?.[1] ?? 0);
    this.#counters[entry.kind] = Math.max(this.#counters[entry.kind], n);
    this.#byPlaceholder.set(entry.placeholder, entry);
    this.#byKey.set(`${entry.kind}:${this.#keyOf(entry)}`, entry);
  }

  #keyOf(entry: RedactionEntry): string {
    for (const d of DETECTORS) {
      if (d.kind !== entry.kind) continue;
      const r = d.accept(entry.value);
      if (r) return r.key;
    }
    return entry.value;
  }

  #placeholderFor(kind: RedactionKind, key: string, value: string): string {
    const id = `${kind}:${key}`;
    let entry = this.#byKey.get(id);
    if (!entry) {
      this.#counters[kind] += 1;
      entry = { kind, placeholder: `[${PREFIX[kind]}_${this.#counters[kind]}]`, value };
      this.#byKey.set(id, entry);
      this.#byPlaceholder.set(entry.placeholder, entry);
    }
    return entry.placeholder;
  }

  /** Replaces personal data in `text` with placeholders. */
  redact(text: string): string {
    let out = text;
    for (const detector of DETECTORS) {
      if (!this.kinds.has(detector.kind)) continue;
      out = out.replace(detector.pattern, (match) => {
        const accepted = detector.accept(match);
        if (!accepted) return match;
        const placeholder = this.#placeholderFor(detector.kind, accepted.key, accepted.text);
        return placeholder + match.slice(accepted.text.length);
      });
    }
    return out;
  }

  redactMessages(messages: readonly ChatMessage[]): ChatMessage[] {
    return messages.map((m) => ({ role: m.role, content: this.redact(m.content) }));
  }

  /** Puts the original values back; unknown placeholders are left as they are. */
  restore(text: string): string {
    return text.replace(PLACEHOLDER, (p) => this.#byPlaceholder.get(p)?.value ?? p);
  }

  /** For streamed replies: push each chunk, show what it returns, and call flush() at the end. */
  createStreamRestorer(): { push(chunk: string): string; flush(): string } {
    let pending = '';
    return {
      push: (chunk: string) => {
        pending += chunk;
        const tail = PARTIAL_PLACEHOLDER.exec(pending);
        const cut = tail ? tail.index : pending.length;
        const ready = pending.slice(0, cut);
        pending = pending.slice(cut);
        return this.restore(ready);
      },
      flush: () => {
        const rest = this.restore(pending);
        pending = '';
        return rest;
      },
    };
  }

  /** What was hidden so far, in order of first appearance. */
  entries(): RedactionEntry[] {
    return [...this.#byPlaceholder.values()].map((e) => ({ ...e }));
  }
}
