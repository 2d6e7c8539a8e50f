import { describe, expect, it } from 'vitest';
import { Redactor, ibanValid, ipv6Valid, luhnValid } from './redaction.ts';

const redact = (text: string) => new Redactor().redact(text);

describe('redaction: what is hidden', () => {
  it.each([
    ['Write to jane.doe+news@example.co.uk today', 'Write to [EMAIL_1] today'],
    ['Contact: J.Smith@Mail.Example.org.', 'Contact: [EMAIL_1].'],
    ['Card 4111 1111 1111 1111 expires soon', 'Card [CARD_1] expires soon'],
    ['card: 4111-1111-1111-1111', 'card: [CARD_1]'],
    ['Amex 378282246310005, thanks', 'Amex [CARD_1], thanks'],
    ['Pay to FR76 3000 6000 0112 3456 7890 189 please', 'Pay to [IBAN_1] please'],
    ['IBAN DE89370400440532013000.', 'IBAN [IBAN_1].'],
    ['GB82 WEST 1234 5698 7654 32 is mine', '[IBAN_1] is mine'],
    ['Server at 192.168.1.20 is down.', 'Server at [IP_1] is down.'],
    ['Ping 2001:db8:85a3::8a2e:370:7334 now', 'Ping [IP_1] now'],
    ['Full form 2001:0db8:0000:0000:0000:ff00:0042:8329 here', 'Full form [IP_1] here'],
    ['Link-local fe80::1ff:fe23:4567:890a%eth0', 'Link-local [IP_1]%eth0'],
    ['Call me on +33 6 12 34 56 78 tonight', 'Call me on [PHONE_1] tonight'],
    ['UK office +44 20 7946 0958.', 'UK office [PHONE_1].'],
    ['US: +1 (415) 555-0132', 'US: [PHONE_1]'],
    ['Ring (555) 123-4567 or 555-987-6543', 'Ring [PHONE_1] or [PHONE_2]'],
    ['Mobile 06 12 34 56 78', 'Mobile [PHONE_1]'],
    ['London 020 7946 0958', 'London [PHONE_1]'],
    ['Berlin 030 12345678', 'Berlin [PHONE_1]'],
  ])('%s', (input, expected) => {
    expect(redact(input)).toBe(expected);
  });
});

describe('redaction: what is left alone (false positives)', () => {
  it.each([
    'The meeting is on 2024-01-15 at 10:30.',
    'Born 12/05/1990, moved on 01.02.2024.',
    'It costs 1,234,567 euros, or 1234567.89 with decimals.',
    'Order number 12345678 shipped.',
    'Use version 1.2.3 or v2.10.4.1 of the library.',
    'The card 4111 1111 1111 1112 fails Luhn so it is not a card.',
    'Population was 67,000,000 in 2023 and 68 million in 2024.',
    'std::vector<int> v; Foo::bar();',
    'Times 12:30:45 and ratios 3:2:1.',
    'MAC 00:1A:2B:3C:4D:5E is a device id.',
    'Score 3-1, room 101, year 1999, pi 3.14159265358979.',
    'A bad IBAN FR76 3000 6000 0112 3456 7890 188 fails mod 97.',
    'Email me at name at example dot com.',
    'Call extension 4471.',
  ])('%s', (input) => {
    expect(redact(input)).toBe(input);
  });
});

describe('redaction: consistency and restoring', () => {
  it('gives the same value the same placeholder across messages, and different values different ones', () => {
    const r = new Redactor();
    const [a, b] = r.redactMessages([
      { role: 'user', content: 'My email is Ana@Example.com and my card is 4111 1111 1111 1111.' },
      { role: 'user', content: 'Again: ana@example.com, 4111-1111-1111-1111, and bob@example.com' },
    ]);
    expect(a.content).toBe('My email is [EMAIL_1] and my card is [CARD_1].');
    expect(b.content).toBe('Again: [EMAIL_1], [CARD_1], and [EMAIL_2]');
    expect(r.entries().map((e) => [e.placeholder, e.kind])).toEqual([
      ['[EMAIL_1]', 'email'],
      ['[CARD_1]', 'card'],
      ['[EMAIL_2]', 'email'],
    ]);
  });

  it('restores the values in a reply and leaves unknown placeholders alone', () => {
    const r = new Redactor();
    r.redact('Reach me at ana@example.com or +44 20 7946 0958');
    expect(r.restore('I will email [EMAIL_1] and call [PHONE_1]; [EMAIL_9] is unknown.')).toBe(
      'I will email ana@example.com and call +44 20 7946 0958; [EMAIL_9] is unknown.',
    );
  });

  it('restores placeholders split across streamed chunks, chunk boundary anywhere', () => {
    const r = new Redactor();
    r.redact('card 4111 1111 1111 1111, mail ana@example.com');
    const reply = 'Your card [CARD_1] and [EMAIL_1] are noted [sic]. Bye [';
    const expected = 'Your card 4111 1111 1111 1111 and ana@example.com are noted [sic]. Bye [';
    for (let size = 1; size <= 12; size++) {
      const restorer = r.createStreamRestorer();
      let out = '';
      for (let i = 0; i < reply.length; i += size) out += restorer.push(reply.slice(i, i + size));
      out += restorer.flush();
      expect(out).toBe(expected);
    }
  });

  it('keeps text flowing: only a possible placeholder prefix is held back', () => {
    const r = new Redactor();
    r.redact('ana@example.com');
    const s = r.createStreamRestorer();
    expect(s.push('Hello [EM')).toBe('Hello ');
    expect(s.push('AIL_1] there')).toBe('ana@example.com there');
    expect(s.push(' [x] ok')).toBe(' [x] ok');
    expect(s.flush()).toBe('');
  });

  it('only redacts the kinds asked for, and rebuilds from stored entries with the same numbering', () => {
    const only = new Redactor({ kinds: ['email'] });
    expect(only.redact('ana@example.com 192.168.0.1')).toBe('[EMAIL_1] 192.168.0.1');
    const again = Redactor.fromEntries(only.entries());
    expect(again.redact('bob@example.com and ana@example.com')).toBe('[EMAIL_2] and [EMAIL_1]');
  });

  it('validators', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(ibanValid('GB82 WEST 1234 5698 7654 32')).toBe(true);
    expect(ibanValid('GB82 WEST 1234 5698 7654 33')).toBe(false);
    expect(ipv6Valid('::ffff:192.0.2.128')).toBe(true);
    expect(ipv6Valid('1:2:3:4:5:6:7')).toBe(false);
    expect(ipv6Valid('1::2::3')).toBe(false);
  });
});
