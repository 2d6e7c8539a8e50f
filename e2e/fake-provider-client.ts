/** The e2e side of the fake remote provider (tools/fake-provider): its control endpoints and request log. */
import type { RecordedRequest } from '../tools/fake-provider/fake-provider-server.ts';
import { PROVIDER_URL } from './env.ts';

export type { RecordedRequest };

/** Tells the fake what to do next (`reset`, `reply`, `auth`, faults…). */
export async function fake(path: string, body?: unknown): Promise<void> {
  await fetch(`${PROVIDER_URL}/__fake/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body ?? {}),
  });
}

/** What reached the provider, CORS preflights left out. */
export async function providerRequests(): Promise<RecordedRequest[]> {
  const all = (await (await fetch(`${PROVIDER_URL}/__fake/requests`)).json()) as RecordedRequest[];
  return all.filter((r) => r.protocol !== 'preflight');
}
