// Device ids for machine actions (response-actions.md §4): the MDE machine id is the action path's `{id}`; hunting
// results give it as DeviceId and evidence as mdeDeviceId (both 40 hex; equality is by definition, UNCONFIRMED
// verbatim). A device name (DeviceName, deviceDnsName: the FQDN) or an Entra device id (AadDeviceId,
// azureAdDeviceId) is resolved with get-machines.md `$filter` on computerDnsName or aadDeviceId.
import { InputError, NotFoundError } from '../errors';
import type { MachineActionsClient } from './machineActionsClient';
import { machineIdOf } from './machineActionsClient';
import type { Machine } from './types';

export type DeviceRef = { deviceId: string } | { deviceName: string } | { aadDeviceId: string };

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** @throws {InputError} unless exactly one of deviceId, deviceName, aadDeviceId is given and well formed. */
export function deviceRefOf(obj: Record<string, unknown>): DeviceRef {
  const given = (['deviceId', 'deviceName', 'aadDeviceId'] as const).filter(
    (k) => obj[k] !== undefined && obj[k] !== null && obj[k] !== '',
  );
  if (given.length !== 1)
    throw new InputError(
      given[1] ?? 'deviceId',
      given.length === 0
        ? 'give the device as deviceId (MDE machine id), deviceName or aadDeviceId'
        : `give the device once: ${given.join(' and ')} were both set`,
    );
  const field = given[0] as 'deviceId' | 'deviceName' | 'aadDeviceId';
  const v = obj[field];
  if (field === 'deviceId') return { deviceId: machineIdOf(v, 'deviceId') };
  if (typeof v !== 'string') throw new InputError(field, `${field} must be a string`);
  const text = v.trim();
  if (field === 'aadDeviceId') {
    if (!GUID.test(text)) throw new InputError(field, 'aadDeviceId must be an Entra device id (a GUID)');
    return { aadDeviceId: text.toLowerCase() };
  }
  if (!DNS_NAME.test(text)) throw new InputError(field, 'deviceName must be a device (DNS) name');
  return { deviceName: text.toLowerCase() };
}

const seen = (m: Machine): number => Date.parse(m.lastSeen ?? '') || 0;

/**
 * The machine `ref` names. A name must match one device (a second match is refused: acting on the wrong device is
 * worse than not acting); an Entra device id may match several records after re-onboarding (a third-party
 * observation, UNCONFIRMED), so the one seen last is taken.
 * @throws {NotFoundError} when no device matches; {InputError} when a name matches several.
 */
export async function resolveDevice(
  client: MachineActionsClient,
  ref: DeviceRef,
  call: { signal?: AbortSignal } = {},
): Promise<{ machine: Machine; resolvedFrom: 'deviceId' | 'deviceName' | 'aadDeviceId' }> {
  if ('deviceId' in ref) return { machine: await client.getMachine(ref.deviceId, call), resolvedFrom: 'deviceId' };
  if ('aadDeviceId' in ref) {
    const found = await client.findMachines('aadDeviceId', ref.aadDeviceId, call);
    const latest = [...found].sort((a, b) => seen(b) - seen(a))[0];
    if (!latest)
      throw new NotFoundError('aadDeviceId', `no Defender for Endpoint device has aadDeviceId ${ref.aadDeviceId}`);
    return { machine: latest, resolvedFrom: 'aadDeviceId' };
  }
  const found = await client.findMachines('computerDnsName', ref.deviceName, call);
  const ids = [...new Set(found.map((m) => m.id))];
  if (ids.length === 0)
    throw new NotFoundError('deviceName', `no Defender for Endpoint device is named ${ref.deviceName}`);
  if (ids.length > 1)
    throw new InputError(
      'deviceName',
      `${ref.deviceName} names ${ids.length} devices (${ids.join(', ')}): give deviceId`,
    );
  return { machine: found[0] as Machine, resolvedFrom: 'deviceName' };
}
