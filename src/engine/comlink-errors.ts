import { transferHandlers } from 'comlink';
import { deserializeError, isSerializedPetitError, serializeError } from './errors.ts';

interface ThrownEnvelope {
  value: unknown;
}

let installed = false;

/**
 * Comlink's default throw handler keeps only name, message and stack. This one carries the PetitError code
 * and details across the worker boundary. Install it on both sides (worker and page).
 */
export function installErrorTransfer(): void {
  if (installed) return;
  installed = true;
  const base = transferHandlers.get('throw');
  if (!base) return;
  transferHandlers.set('throw', {
    canHandle: base.canHandle,
    serialize: (thrown: unknown) => [{ value: serializeError((thrown as ThrownEnvelope).value) }, []],
    deserialize: (serialized: unknown) => {
      const { value } = serialized as ThrownEnvelope;
      throw isSerializedPetitError(value) ? deserializeError(value) : value;
    },
  });
}
