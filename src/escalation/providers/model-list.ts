/**
 * A provider's own list of models, read from its list endpoint page by page under the same rules as every other
 * request (timeout, key only in headers, failures mapped to PetitErrors).
 */
import { badResponseError, get, type FailureContext } from './transport.ts';

/** A provider's own list of models, or Petit's dated fallback where it has none. */
export interface ModelList {
  ids: string[];
  /** 'provider': read from its list endpoint just now; 'preset': Petit's list of `checkedOn`. */
  source: 'provider' | 'preset';
  /** ISO date: when it was fetched, or when the fallback was last checked. */
  checkedOn: string;
  /** Announced shutdown dates (OpenAI's `shutdown_date`), by id. */
  shutdown?: Record<string, string>;
}

/**
 * OpenAI-compatible `GET …/models` → `{ data: [{ id, shutdown_date? }] }`; Anthropic `GET /v1/models` →
 * `{ data: [{ id, type: 'model' }], has_more, last_id }`, followed page by page (at most 10).
 */
export async function fetchModelList(
  ctx: FailureContext,
  modelsPath: string,
  headers: Record<string, string>,
  signal: AbortSignal | undefined,
): Promise<ModelList> {
  const { endpoint } = ctx;
  const ids: string[] = [];
  const shutdown: Record<string, string> = {};
  let after: string | undefined;
  for (let page = 0; page < 10; page++) {
    const url = new URL(`${endpoint.base}${modelsPath}`);
    if (endpoint.preset.protocol === 'anthropic') {
      url.searchParams.set('limit', '1000');
      if (after) url.searchParams.set('after_id', after);
    }
    const { response, watchdog } = await get(ctx, url.toString(), headers, signal);
    let json: unknown;
    try {
      json = JSON.parse(await response.text());
    } catch (err) {
      throw badResponseError(ctx, 'the model list is not JSON', err);
    } finally {
      watchdog.dispose();
    }
    const list = json as { data?: unknown; has_more?: unknown; last_id?: unknown };
    if (!Array.isArray(list?.data)) throw badResponseError(ctx, 'the model list has no "data" array');
    for (const item of list.data as { id?: unknown; shutdown_date?: unknown }[]) {
      if (typeof item?.id !== 'string') continue;
      ids.push(item.id);
      if (typeof item.shutdown_date === 'string') shutdown[item.id] = item.shutdown_date;
    }
    if (list.has_more !== true || typeof list.last_id !== 'string') break;
    after = list.last_id;
  }
  return {
    ids,
    source: 'provider',
    checkedOn: new Date().toISOString().slice(0, 10),
    ...(Object.keys(shutdown).length > 0 ? { shutdown } : {}),
  };
}
